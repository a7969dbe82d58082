/**
 * The worker pools under comparison, each created at its documented best settings with the same number of
 * worker threads, behind one small interface so every benchmark drives them alike:
 *
 *   const pool = await openPool('piscina', 'square');   // started and warmed up (both workers answered)
 *   await pool.call(3);                                  // one task: fn(3) in a worker
 *   await pool.close();
 *
 * `pool.raw` is the library's own pool object, for calls the interface does not cover (multiproc's map).
 * Settings, from each library's README (see apps/bench/README.md, "Pool settings"):
 *  - multiproc: `new Pool({ processes, runtime: 'thread' })`, nothing else to tune.
 *  - piscina: `minThreads = maxThreads = size` (the pool never shrinks, so `idleTimeout` does not matter;
 *    set anyway as the README's tip says), `atomics: 'sync'` (the default, "faster communication"),
 *    `taskQueue: new FixedQueue()` (the README's faster queue, also the v5 default), no `maxQueue` (the
 *    benchmarks put up to 100k tasks in flight; `maxQueue: 'auto'` = size^2 would reject them), one task
 *    per worker at a time (`concurrentTasksPerWorker` is for async tasks), `name` = the export to run.
 *  - tinypool: the same as piscina, `isolateWorkers: false` (the default) and `useAtomics: true` (default).
 *  - workerpool: `minWorkers = maxWorkers = size`, `workerType: 'thread'`.
 *  - poolifier: `FixedThreadPool(size, file)` with the defaults its own comparison benchmark
 *    (benchmarks/versus-external-pools/fixed-poolifier.mjs) uses.
 */
import { fileURLToPath } from 'node:url';

export const POOL_SIZE = 2;

/** Row order of every pool table. */
export const PEERS = ['multiproc', 'piscina', 'tinypool', 'workerpool', 'poolifier'];

export const LABELS = {
  multiproc: 'multiproc Pool',
  multiprocProcess: "multiproc Pool, runtime 'process'",
  piscina: 'piscina',
  piscinaConcurrent: 'piscina, concurrentTasksPerWorker: 4',
  tinypool: 'tinypool',
  workerpool: 'workerpool',
  poolifier: 'poolifier FixedThreadPool',
  python: 'Python multiprocessing.Pool',
};

const PEER_WORKER = fileURLToPath(new URL('../fixtures/peer-worker.mjs', import.meta.url));
const WORKERPOOL_WORKER = fileURLToPath(new URL('../fixtures/workerpool-worker.mjs', import.meta.url));
const POOLIFIER_WORKER = fileURLToPath(new URL('../fixtures/poolifier-worker.mjs', import.meta.url));

/**
 * @typedef {object} BenchPool
 * @property {string} kind
 * @property {string} label
 * @property {(arg?: unknown) => Promise<unknown>} call one task running `fn(arg)` (fn fixed at open)
 * @property {() => Promise<void>} close
 * @property {any} raw the library's pool object
 */

/**
 * @param {string} kind one of PEERS
 * @param {'noop' | 'square' | 'squareChunk' | 'cpu'} fn the function the pool runs
 * @param {{ size?: number, warmup?: number }} [options] warmup: calls made (all in flight) before returning
 * @returns {Promise<BenchPool>}
 */
export async function openPool(kind, fn, { size = POOL_SIZE, warmup = 200 } = {}) {
  const pool = await create(kind, fn, size);
  if (warmup > 0) {
    const arg = fn === 'noop' ? undefined : fn === 'squareChunk' ? [1, 2, 3] : fn === 'cpu' ? 1000 : 3;
    // Several bursts so that each worker surely has started and run the function.
    for (let burst = 0; burst < 3; burst++) {
      await Promise.all(Array.from({ length: Math.ceil(warmup / 3) }, () => pool.call(arg)));
    }
  }
  return pool;
}

async function create(kind, fn, size) {
  switch (kind) {
    case 'multiproc':
    case 'multiprocProcess': {
      const [{ Pool }, { default: tasks }] = await Promise.all([import('@multiproc/pool'), import('../fixtures/pool-tasks.mjs')]);
      const pool = new Pool({ processes: size, runtime: kind === 'multiproc' ? 'thread' : 'process' });
      if (fn === 'squareChunk') throw new Error('multiproc maps with pool.map, not a hand-written chunk function');
      const task = tasks[fn];
      const call = fn === 'noop' ? () => pool.apply(task) : (arg) => pool.apply(task, [arg]);
      return { kind, label: LABELS[kind], call, close: () => pool.terminate(), raw: pool };
    }
    case 'piscina':
    case 'piscinaConcurrent': {
      const { Piscina, FixedQueue } = await import('piscina');
      const pool = new Piscina({
        filename: PEER_WORKER,
        name: fn,
        minThreads: size,
        maxThreads: size,
        idleTimeout: 60_000,
        atomics: 'sync',
        taskQueue: new FixedQueue(),
        // The README: "generally only makes sense if there is some kind of asynchronous component to the
        // task"; measured anyway as a second piscina row where many tasks are in flight.
        ...(kind === 'piscinaConcurrent' ? { concurrentTasksPerWorker: 4 } : {}),
      });
      return { kind, label: LABELS[kind], call: (arg) => pool.run(arg), close: () => pool.destroy(), raw: pool };
    }
    case 'tinypool': {
      const { default: Tinypool } = await import('tinypool');
      const pool = new Tinypool({
        filename: PEER_WORKER,
        name: fn,
        minThreads: size,
        maxThreads: size,
        idleTimeout: 60_000,
        isolateWorkers: false,
        useAtomics: true,
      });
      return { kind, label: LABELS[kind], call: (arg) => pool.run(arg), close: () => pool.destroy(), raw: pool };
    }
    case 'workerpool': {
      const { default: workerpool } = await import('workerpool');
      const pool = workerpool.pool(WORKERPOOL_WORKER, { minWorkers: size, maxWorkers: size, workerType: 'thread' });
      const call = fn === 'noop' ? () => pool.exec(fn, []) : (arg) => pool.exec(fn, [arg]);
      return { kind, label: LABELS[kind], call, close: () => pool.terminate(), raw: pool };
    }
    case 'poolifier': {
      const { FixedThreadPool } = await import('poolifier');
      const pool = new FixedThreadPool(size, POOLIFIER_WORKER, { errorHandler: (e) => console.error(e) });
      const call = (arg) => pool.execute(arg, fn);
      // poolifier 5's destroy() sometimes never settles (seen here about once in seven pool-latency runs, with
      // its workers already gone): give up on it after 10 s rather than hang the run.
      const close = () =>
        withTimeout(pool.destroy(), 10_000, 'poolifier destroy()').catch((error) => console.error(`  (warning: ${error.message})`));
      return { kind, label: LABELS[kind], call, close, raw: pool };
    }
    default:
      throw new Error(`unknown pool kind ${kind}`);
  }
}

/**
 * `promise`, or a rejection naming `what` if it has not settled within `ms`: a pool that loses a task makes
 * the benchmark fail with a message instead of hanging. One timer per timed operation (a whole flood or a
 * round of calls, never per call), so it does not weigh on what is measured.
 */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s (a lost task?)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `count` tasks all in flight at once (submit all, then await all). */
export function flood(pool, count, arg) {
  const pending = new Array(count);
  for (let i = 0; i < count; i++) pending[i] = pool.call(arg);
  return Promise.all(pending);
}
