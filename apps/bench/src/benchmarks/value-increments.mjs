/**
 * Shared benchmark 1: locked increments of one shared Value by two workers.
 *
 * Two workers each make M increments of one `Value('i', 0)` from @multiproc/shared, every increment under
 * the value's lock (its default RLock, as Python's), one acquire per increment:
 *   `await lock.acquire(); value.value += 1; lock.release();`
 * Warm-up, as a benchmark harness does: before it reports ready, each worker makes WARM_THREAD untimed
 * increments of a private Value in the same loop function, so that the timed part measures compiled code
 * rather than V8 tiering up (a fresh worker runs its first ~100k iterations at 1.5-6x the steady cost).
 * Python's processes do the same (WARM_PYTHON untimed increments of a private Value; CPython has no JIT,
 * so it changes little there). A "cold workers" row shows the same without the warm-up.
 * The workers are started, report that they are ready, and are released together by an Event; each stamps
 * its start and end on the shared clock (process.hrtime, CLOCK_MONOTONIC), and a run's time is the last end
 * minus the first start. After every run the value must be exactly 2 x M. Rows:
 *  - runtime 'thread', async acquire (the API above)                     target: >= 10x Python's rate
 *  - runtime 'thread', the same with cold workers (no warm-up)
 *  - runtime 'thread', the same with `new Value('i', 0, { lock: new Lock() })` instead of the default RLock
 *  - runtime 'thread', `acquireSync()` instead (reference)
 *  - runtime 'process', async acquire: the lock and the value are proxies served by this process, so an
 *    increment is four round trips (acquire, read, write, release); a much smaller M, no warm-up
 *  - Python: `multiprocessing.Value('i', 0)`, 2 processes each doing M x `with v.get_lock(): v.value += 1`
 *    (same start/stop protocol): each of its runs is one
 *    `python3 sync_bench.py value --runs 1 --warmup 1 --warm-increments WARM_PYTHON`
 *    (a warm-up run, then the timed one), taking its turn in the round-robin with the Node rows, so that all
 *    rows, Python's included, see the same machine load
 * Each row: median increments per second over the runs (5), all rows measured round-robin. The
 * final-value check covers the Node warm-up runs too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Process } from '@multiproc/process';
import { RawArray, Value } from '@multiproc/shared';
import { Event, Lock } from '@multiproc/sync';
import tasks from '../fixtures/sync-tasks.mjs';
import { roundRobin } from '../lib/measure.mjs';
import { BASE_MS, duration, finish, rate, ratio, runSyncPython } from '../lib/sync-bench.mjs';
import { summarize, times } from '../lib/stats.mjs';

const M_THREAD = 1_000_000;
const M_PROCESS = 500;
const M_PYTHON = 200_000;
/** Untimed increments of a private Value each worker makes first, in the same loop (JIT warm-up); Python too. */
const WARM_THREAD = 200_000;
const WARM_PYTHON = 20_000;
const TARGET_VS_PYTHON = 10;

/** One run: 2 workers x m locked increments. Resolves { ms } (first start to last end) and checks the total. */
async function incrementRun(runtime, m, async, plainLock, warm, check) {
  const value = plainLock ? new Value('i', 0, { lock: new Lock() }) : new Value('i', 0);
  const go = new Event();
  const out = new RawArray('d', 4);
  const ready = new RawArray('i', 2);
  const workers = [0, 1].map(
    (slot) => new Process({ target: tasks.valueIncrements, args: [value, m, go, ready, out, slot, BASE_MS, async, warm], runtime, daemon: true }),
  );
  workers.forEach((w) => w.start());
  try {
    const deadline = performance.now() + 60_000;
    while (ready.get(0) === 0 || ready.get(1) === 0) {
      if (performance.now() > deadline) throw new Error(`value-increments: the ${runtime} workers did not get ready within 60 s`);
      await sleep(1);
    }
    await sleep(5); // both are parked in go.wait()
    go.set();
    await Promise.all(workers.map((w) => finish(w, 120_000)));
  } catch (error) {
    workers.forEach((w) => w.kill());
    throw error;
  }
  check(value.value);
  return { ms: (Math.max(out.get(1), out.get(3)) - Math.min(out.get(0), out.get(2))) / 1e6 };
}

export default {
  name: 'value-increments',
  title: 'locked increments of one shared Value by 2 workers: increments per second',
  defaults: { runs: 5, warmup: 1 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const finals = { threadAsync: [], threadAsyncCold: [], threadAsyncLock: [], threadSync: [], processAsync: [] };
    const variant = (name, runtime, m, async, { plainLock = false, warm = 0 } = {}) => ({
      name,
      m,
      run: () => incrementRun(runtime, m, async, plainLock, warm, (final) => finals[name].push(final)),
    });
    const variants = [
      variant('threadAsync', 'thread', M_THREAD, true, { warm: WARM_THREAD }),
      variant('threadAsyncCold', 'thread', M_THREAD, true),
      variant('threadAsyncLock', 'thread', M_THREAD, true, { plainLock: true, warm: WARM_THREAD }),
      variant('threadSync', 'thread', M_THREAD, false, { warm: WARM_THREAD }),
      variant('processAsync', 'process', M_PROCESS, true),
    ];
    // Python takes its turn in the same round-robin (one process per run), if it is there at all.
    const probe = await runSyncPython('value', { runs: 1, warmup: 0, m: 1000 });
    const py = probe.error ? { error: probe.error } : { python: probe.python, start_method: probe.start_method, m: M_PYTHON, ms: [], final: [] };
    if (!py.error) {
      variants.push({
        name: 'python',
        m: M_PYTHON,
        run: async () => {
          const result = await runSyncPython('value', { runs: 1, warmup: 1, m: M_PYTHON, 'warm-increments': WARM_PYTHON });
          if (result.error) throw new Error(`value-increments: ${result.error}`);
          py.final.push(...result.final);
          return { ms: result.ms[0] };
        },
      });
    }
    log(`${variants.length} variants (Python: ${py.error ? 'n/a' : `2 processes x ${M_PYTHON} increments`}) x (${warmup} warm-up + ${runs} runs), round-robin`);
    const samples = await roundRobin(variants, { runs, warmup });
    if (!py.error) py.ms = samples.get('python');

    const perSecond = (total, msValue) => total / (msValue / 1000);
    const stats = {};
    for (const v of variants.filter((variant) => variant.name !== 'python')) {
      const s = summarize(samples.get(v.name));
      const expected = 2 * v.m;
      const bad = finals[v.name].filter((final) => final !== expected);
      stats[v.name] = { m: v.m, ms: s.median, median: perSecond(expected, s.median), low: perSecond(expected, s.max), high: perSecond(expected, s.min), bad, runs: finals[v.name].length };
    }
    if (!py.error) {
      const s = summarize(py.ms);
      const expected = 2 * py.m;
      const bad = py.final.filter((final) => final !== expected);
      stats.python = { m: py.m, ms: s.median, median: perSecond(expected, s.median), low: perSecond(expected, s.max), high: perSecond(expected, s.min), bad, runs: py.final.length };
    }
    const pyRate = stats.python?.median;
    const row = (label, runtime, key) => {
      const s = stats[key];
      if (!s) return [label, runtime, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
      return [
        label,
        runtime,
        `2 x ${s.m.toLocaleString('en-US')}`,
        rate(s.median),
        duration(1e9 / s.median),
        `${rate(s.low)} - ${rate(s.high)}`,
        pyRate ? ratio(s.median / pyRate) : 'n/a',
        s.bad.length === 0 ? `ok (${s.runs}/${s.runs})` : `WRONG: ${s.bad.join(', ')}`,
      ];
    };
    const rows = [
      row('multiproc Value (default RLock) + await acquire()', 'thread', 'threadAsync'),
      row('the same, cold workers (no warm-up increments)', 'thread', 'threadAsyncCold'),
      row('multiproc Value ({ lock: new Lock() }) + await acquire()', 'thread', 'threadAsyncLock'),
      row('multiproc Value (default RLock) + acquireSync()', 'thread', 'threadSync'),
      row('multiproc Value (default RLock) + await acquire(), proxied', 'process', 'processAsync'),
      row("Python Value('i') + with get_lock()", `process (${py.start_method ?? '?'})`, 'python'),
    ];
    const vsPython = stats.threadAsync.median / pyRate;
    const allExact = Object.keys(finals).every((key) => stats[key].bad.length === 0);
    const targets = [
      {
        target: 'thread runtime, async acquire: >= 10x Python multiprocessing.Value increments/s',
        value: pyRate ? `${times(vsPython, 1)} (${rate(stats.threadAsync.median)} vs ${rate(pyRate)} increments/s)` : 'n/a (no Python)',
        met: Boolean(pyRate) && vsPython >= TARGET_VS_PYTHON,
      },
      { target: 'final value exactly 2 x M after every run', value: allExact ? 'yes' : 'NO', met: allExact },
    ];
    const notes = [
      ...targets.map((t) => `${t.target}: ${t.value} (${t.met ? 'met' : 'NOT met'})`),
      `cold workers (no warm-up increments, the JIT compiles during the timed part): ${pyRate ? times(stats.threadAsyncCold.median / pyRate, 1) : 'n/a'} Python's rate`,
      `with a plain Lock instead of the default RLock: ${times(stats.threadAsyncLock.median / stats.threadAsync.median)} the RLock row's rate${pyRate ? ` (${times(stats.threadAsyncLock.median / pyRate, 1)} Python)` : ''}`,
      `process runtime: ${duration(1e9 / stats.processAsync.median)} per increment (acquire, read, write, release: 4 round trips to the owner; 2 workers)`,
      py.error ? `Python row: n/a, ${py.error}` : `Python ${py.python}`,
    ];
    return {
      header: ['variant', 'runtime', 'increments', 'median incr/s', 'time/incr', 'range incr/s', 'vs Python', 'final = 2 x M'],
      align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
      rows,
      notes,
      targets,
      data: { stats, python: py.error ? { error: py.error } : { version: py.python, startMethod: py.start_method } },
    };
  },
};
