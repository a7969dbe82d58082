/**
 * Sync benchmark 1: uncontended Lock operations per second.
 *
 * One operation = one acquire + one release of a `Lock` from @multiproc/sync that nobody else touches. Rows:
 *  - `acquireSync(); release()` in a worker thread (Process runtime 'thread')     target >= 20M ops/s
 *  - `await acquire(); release()` on the main thread                              target >= 2M ops/s
 *  - `acquireSync(); release()` on the main thread (reference)
 *  - the same as the first row with an `RLock` (the default lock of `Value` and `SharedArray`; reference)
 *  - the floor: the same loop on bare Atomics (a CAS to take, an exchange to free) in a worker thread
 *  - `acquireSync(); release()` in a child process (runtime 'process'): a proxy, each call a round trip
 *    to the owner (reference, far fewer operations)
 *  - Python `multiprocessing.Lock()`: `acquire(); release()` in one process (python3 subprocess, alone)
 * A run times N operations (after an untimed warm-up loop in the same worker); each row's figure is the
 * median over the runs (5). The Node rows are measured round-robin; the Python script runs alone after them.
 */
import { performance } from 'node:perf_hooks';
import { RawArray } from '@multiproc/shared';
import { Lock, RLock } from '@multiproc/sync';
import tasks from '../fixtures/sync-tasks.mjs';
import { roundRobin } from '../lib/measure.mjs';
import { duration, millions, rate, ratio, runSyncPython, runTask } from '../lib/sync-bench.mjs';
import { summarize } from '../lib/stats.mjs';

const N_SYNC = 10_000_000;
const N_ASYNC = 2_000_000;
const N_PROXY = 2_000;
const N_PYTHON = 2_000_000;
const TARGET_WORKER = 20e6;
const TARGET_MAIN_ASYNC = 2e6;

/** A variant that times `n` operations of `task` in a fresh Process. */
function inProcess(name, runtime, n, warm, task, withLock, LockClass = Lock) {
  const lock = new LockClass();
  const out = new RawArray('d', 1);
  return {
    name,
    n,
    async run() {
      await runTask(task, withLock ? [lock, n, warm, out] : [n, warm, out], runtime);
      return { ms: out.get(0) };
    },
  };
}

export default {
  name: 'lock-uncontended',
  title: 'uncontended Lock acquire + release: operations per second',
  defaults: { runs: 5, warmup: 1 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const mainAsyncLock = new Lock();
    const mainSyncLock = new Lock();
    const variants = [
      inProcess('workerSync', 'thread', N_SYNC, 1_000_000, tasks.lockSyncLoop, true),
      {
        name: 'mainAsync',
        n: N_ASYNC,
        async run() {
          const lock = mainAsyncLock;
          for (let i = 0; i < 100_000; i++) {
            await lock.acquire();
            lock.release();
          }
          const t0 = performance.now();
          for (let i = 0; i < N_ASYNC; i++) {
            await lock.acquire();
            lock.release();
          }
          return { ms: performance.now() - t0 };
        },
      },
      {
        name: 'mainSync',
        n: N_SYNC,
        async run() {
          const lock = mainSyncLock;
          for (let i = 0; i < 1_000_000; i++) {
            lock.acquireSync();
            lock.release();
          }
          const t0 = performance.now();
          for (let i = 0; i < N_SYNC; i++) {
            lock.acquireSync();
            lock.release();
          }
          return { ms: performance.now() - t0 };
        },
      },
      inProcess('workerSyncRLock', 'thread', N_SYNC, 1_000_000, tasks.lockSyncLoop, true, RLock),
      inProcess('rawAtomics', 'thread', N_SYNC, 1_000_000, tasks.rawAtomicsLoop, false),
      inProcess('processProxy', 'process', N_PROXY, 200, tasks.lockSyncLoop, true),
    ];
    log(`Node: ${variants.length} variants x (${warmup} warm-up + ${runs} runs), round-robin`);
    const samples = await roundRobin(variants, { runs, warmup });
    log(`Python: multiprocessing.Lock x ${N_PYTHON} per run, (${warmup} warm-up + ${runs} runs)`);
    const py = await runSyncPython('lock', { runs, warmup, n: N_PYTHON });

    // ops/s of a run = n / seconds; the median run is the median-ms run.
    const perSecond = (n, msValue) => n / (msValue / 1000);
    const stats = {};
    for (const v of variants) {
      const s = summarize(samples.get(v.name));
      stats[v.name] = { n: v.n, median: perSecond(v.n, s.median), low: perSecond(v.n, s.max), high: perSecond(v.n, s.min) };
    }
    if (!py.error) {
      const s = summarize(py.ms);
      stats.python = { n: py.n, median: perSecond(py.n, s.median), low: perSecond(py.n, s.max), high: perSecond(py.n, s.min) };
    }
    const pyRate = stats.python?.median;
    const row = (label, where, key) => {
      const s = stats[key];
      return [
        label,
        where,
        s ? s.n.toLocaleString('en-US') : 'n/a',
        rate(s?.median),
        duration(1e9 / s?.median),
        s ? `${rate(s.low)} - ${rate(s.high)}` : 'n/a',
        ratio(s?.median / stats.rawAtomics.median),
        pyRate ? ratio(s?.median / pyRate) : 'n/a',
      ];
    };
    const rows = [
      row('Lock acquireSync() + release()', 'worker thread', 'workerSync'),
      row('Lock await acquire() + release()', 'main thread', 'mainAsync'),
      row('Lock acquireSync() + release()', 'main thread', 'mainSync'),
      row('RLock acquireSync() + release() (Value default)', 'worker thread', 'workerSyncRLock'),
      row('raw Atomics CAS + exchange (floor)', 'worker thread', 'rawAtomics'),
      row("Lock acquireSync() + release(), proxied", "child process ('process')", 'processProxy'),
      row('Python multiprocessing.Lock acquire() + release()', 'one process', 'python'),
    ];
    const worker = stats.workerSync.median;
    const mainAsync = stats.mainAsync.median;
    const targets = [
      { target: 'worker-thread acquireSync+release >= 20M ops/s', value: `${millions(worker)}M ops/s`, met: worker >= TARGET_WORKER },
      { target: 'main-thread await acquire()+release >= 2M ops/s', value: `${millions(mainAsync)}M ops/s`, met: mainAsync >= TARGET_MAIN_ASYNC },
    ];
    const notes = [
      ...targets.map((t) => `${t.target}: ${t.value} (${t.met ? 'met' : 'NOT met'})`),
      `proxied (child process) acquireSync+release: ${duration(1e9 / stats.processProxy.median)} per operation (2 blocking round trips to the owner)`,
      py.error ? `Python row: n/a, ${py.error}` : `Python ${py.python}`,
    ];
    return {
      header: ['operation', 'runs on', 'ops/run', 'median ops/s', 'time/op', 'range ops/s', 'vs raw Atomics', 'vs Python'],
      align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows,
      notes,
      targets,
      data: { stats, python: py.error ? { error: py.error } : { version: py.python } },
    };
  },
};
