/**
 * Sync benchmark 2: Event set -> waiter wake-up latency.
 *
 * A waiter parks on an `Event` from @multiproc/sync; the main thread sets it; the latency is the time from
 * just before `set()` (main) to just after the waiter's `wait` returned (waiter), both stamped on the shared
 * clock (process.hrtime, CLOCK_MONOTONIC: one clock for every thread and process of the machine). Each
 * sample: the waiter sets `ready` and parks on `go`; the main thread sees `ready`, waits GAP_MS (so the waiter
 * is surely parked), stamps, sets `go`; the waiter stamps, clears `go`, and goes round again. Rows:
 *  - waiter in a worker thread, `go.waitSync()` (Atomics.wait underneath)
 *  - waiter in a worker thread, `await go.wait()` (Atomics.waitAsync: the wake-up goes through its event loop)
 *  - the floor: the same protocol on bare Atomics.wait / Atomics.notify between the same two threads
 *  - waiter in a child process, `go.waitSync()`: a proxy; the wait runs in this process (the owner), whose
 *    reply travels back over a socket through the child's sync-call helper thread
 *  - waiter in a child process, `await go.wait()` (proxy, reply over the child's own connection)
 *  - Python `multiprocessing.Event`: set in the parent, waited on in a child process (python3 subprocess,
 *    run alone after the Node rows, same protocol)
 * Every waiter is started first; then the Node rows are measured in rounds of ROUND samples, rows taken in
 * turn (order rotated each round), so load drift hits them alike. p50/p90/p99 over `runs` samples per row
 * (after `warmup` samples), in microseconds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Process } from '@multiproc/process';
import { RawArray } from '@multiproc/shared';
import { Event } from '@multiproc/sync';
import tasks from '../fixtures/sync-tasks.mjs';
import { BASE_MS, finish, runSyncPython, stamp, us } from '../lib/sync-bench.mjs';
import { quantile, times } from '../lib/stats.mjs';

const GAP_MS = 2;
const ROUND = 50;
const READY_TIMEOUT_MS = 30_000;

/** A waiter using multiproc's Event, in a worker thread or a child process. */
function eventVariant(name, runtime, async, total) {
  const go = new Event();
  const ready = new Event();
  const stop = new Event();
  const wakes = new RawArray('d', total);
  const sets = [];
  const proc = new Process({ target: tasks.eventWaiter, args: [go, ready, stop, wakes, BASE_MS, async], runtime, daemon: true });
  const awaitReady = async () => {
    if (!(await ready.wait(READY_TIMEOUT_MS))) throw new Error(`event-latency ${name}: the waiter was not ready within ${READY_TIMEOUT_MS / 1000} s`);
    ready.clear();
  };
  return {
    name,
    start: () => proc.start(),
    async sample() {
      await awaitReady();
      await sleep(GAP_MS);
      sets.push(stamp());
      go.set();
    },
    async stop() {
      await awaitReady();
      stop.set();
      go.set();
      await finish(proc, 60_000);
    },
    kill: () => proc.kill(),
    latenciesUs: () => sets.map((t, i) => (wakes.get(i) - t) / 1000),
  };
}

/** The floor: the same protocol on bare Atomics between this thread and a worker thread. */
function rawVariant(name, total) {
  const buffer = new SharedArrayBuffer(12);
  const words = new Int32Array(buffer); // [go, ready, stop]
  const wakes = new RawArray('d', total);
  const sets = [];
  const proc = new Process({ target: tasks.rawAtomicsWaiter, args: [buffer, wakes, BASE_MS], runtime: 'thread', daemon: true });
  const awaitReady = async () => {
    const deadline = performance.now() + READY_TIMEOUT_MS;
    while (Atomics.load(words, 1) === 0) {
      if (performance.now() > deadline) throw new Error(`event-latency ${name}: the waiter was not ready within ${READY_TIMEOUT_MS / 1000} s`);
      const waited = Atomics.waitAsync(words, 1, 0, 1000);
      if (waited.async) await waited.value;
    }
    Atomics.store(words, 1, 0);
  };
  const wake = () => {
    Atomics.store(words, 0, 1);
    Atomics.notify(words, 0);
  };
  return {
    name,
    start: () => proc.start(),
    async sample() {
      await awaitReady();
      await sleep(GAP_MS);
      sets.push(stamp());
      wake();
    },
    async stop() {
      await awaitReady();
      Atomics.store(words, 2, 1);
      wake();
      await finish(proc, 60_000);
    },
    kill: () => proc.kill(),
    latenciesUs: () => sets.map((t, i) => (wakes.get(i) - t) / 1000),
  };
}

export default {
  name: 'event-latency',
  title: 'Event set -> waiter wake-up latency (p50/p99 us)',
  // A run is one set -> wake sample; each row takes warmup + runs of them.
  defaults: { runs: 1000, warmup: 50 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const total = warmup + runs;
    const variants = [
      eventVariant('threadSync', 'thread', false, total),
      eventVariant('threadAsync', 'thread', true, total),
      rawVariant('rawAtomics', total),
      eventVariant('processSync', 'process', false, total),
      eventVariant('processAsync', 'process', true, total),
    ];
    log(`Node: ${variants.length} waiters x (${warmup} warm-up + ${runs} samples), in rounds of ${ROUND}, ${GAP_MS} ms between set()s`);
    variants.forEach((v) => v.start());
    // The waiters are daemons and a bare Atomics.waitAsync (the raw row) does not keep Node.js alive: hold it open.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      for (let round = 0, done = 0; done < total; round++, done += ROUND) {
        const shift = round % variants.length;
        const count = Math.min(ROUND, total - done);
        for (const v of [...variants.slice(shift), ...variants.slice(0, shift)]) {
          for (let i = 0; i < count; i++) await v.sample();
        }
      }
      for (const v of variants) await v.stop();
    } catch (error) {
      variants.forEach((v) => v.kill());
      throw error;
    } finally {
      clearInterval(keepAlive);
    }
    log(`Python: multiprocessing.Event, (${warmup} warm-up + ${runs} samples), ${GAP_MS} ms between set()s`);
    const py = await runSyncPython('event', { runs, warmup, 'gap-ms': GAP_MS });

    const stats = {};
    const summarizeUs = (xs) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return { n: sorted.length, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] };
    };
    for (const v of variants) stats[v.name] = summarizeUs(v.latenciesUs().slice(warmup));
    if (!py.error) stats.python = summarizeUs(py.us);
    const pyP50 = stats.python?.p50;
    const row = (label, waiter, key) => {
      const s = stats[key];
      if (!s) return [label, waiter, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
      return [label, waiter, String(s.n), us(s.p50), us(s.p90), us(s.p99), us(s.max), pyP50 ? times(s.p50 / pyP50) : 'n/a'];
    };
    const rows = [
      row('multiproc Event, waitSync()', 'worker thread', 'threadSync'),
      row('multiproc Event, await wait()', 'worker thread', 'threadAsync'),
      row('raw Atomics.wait / notify (floor)', 'worker thread', 'rawAtomics'),
      row('multiproc Event, waitSync(), proxied', 'child process', 'processSync'),
      row('multiproc Event, await wait(), proxied', 'child process', 'processAsync'),
      row('Python multiprocessing.Event', `child process (${py.start_method ?? '?'})`, 'python'),
    ];
    const notes = [
      `thread waitSync p50 vs raw Atomics.wait: ${times(stats.threadSync.p50 / stats.rawAtomics.p50)}; child process waitSync p50: ${us(stats.processSync.p50)} us`,
      'latency = waiter timestamp right after wait returns - setter timestamp right before set(), one CLOCK_MONOTONIC clock (process.hrtime / time.perf_counter_ns)',
      py.error ? `Python row: n/a, ${py.error}` : `Python ${py.python}`,
    ];
    return {
      header: ['waiter', 'runs in', 'samples', 'p50 us', 'p90 us', 'p99 us', 'max us', 'p50 vs Python'],
      align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows,
      notes,
      data: { gapMs: GAP_MS, latencyUs: stats, python: py.error ? { error: py.error } : { version: py.python, startMethod: py.start_method } },
    };
  },
};
