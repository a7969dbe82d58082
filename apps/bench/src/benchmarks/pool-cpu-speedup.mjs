/**
 * Pool benchmark 3: speedup of a CPU-bound map over one thread.
 *
 * The work: 64 items, each `cpu(iterations)` (work.mjs, a fixed xorshift loop), with `iterations`
 * calibrated once at start so that one item takes about 40 ms on this machine (about 2.5 s in all). Rows,
 * measured round-robin after warm-up, pools started before timing:
 *  - one thread: `items.map(cpu)` in the main thread (same function, same module)
 *  - multiproc `pool.map(tasks.cpu, items)` with 2 workers, default chunksize (ceil(64 / 8) = 8)
 *  - multiproc `pool.map(tasks.cpu, items, { chunksize: 1 })`: the same with one item per task, to show how
 *    much of the difference is chunk granularity (a late 8-item chunk can leave the other worker idle)
 *  - piscina with 2 threads, one task per item: `Promise.all(items.map((i) => piscina.run(i)))`
 * speedup = one thread's median / the row's median. Target: multiproc >= 1.8x.
 */
import { performance } from 'node:perf_hooks';
import { cpu } from '../fixtures/work.mjs';
import { startLoadMeter } from '../lib/load.mjs';
import { roundRobin } from '../lib/measure.mjs';
import { openPool, POOL_SIZE, withTimeout } from '../lib/pools.mjs';
import { summarize, times } from '../lib/stats.mjs';
import { ms } from '../lib/table.mjs';

const ITEMS = 64;
const ITEM_MS = 40;
const TARGET = 1.8;
/** A run that takes longer has lost a task: fail instead of hanging. */
const LIMIT_MS = 300_000;

/**
 * Iterations of cpu() that take about `targetMs` here: the fastest of several timed calls after a warm-up
 * (the fastest, because other load on the machine only ever slows a call down), so the total is at least
 * ITEMS x targetMs of work even when the calibration ran on an idle machine.
 */
function calibrate(targetMs) {
  const probe = 4_000_000;
  for (let i = 0; i < 10; i++) cpu(probe);
  const xs = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    cpu(probe);
    xs.push(performance.now() - t0);
  }
  const { min } = summarize(xs);
  return Math.max(probe, Math.round((probe * targetMs) / min));
}

export default {
  name: 'pool-cpu-speedup',
  title: `CPU-bound map (${ITEMS} items of ~${ITEM_MS} ms): speedup of ${POOL_SIZE} workers over one thread`,
  defaults: { runs: 5, warmup: 1 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const iterations = calibrate(ITEM_MS);
    const items = new Array(ITEMS).fill(iterations);
    const expected = cpu(iterations);
    log(`cpu(${iterations}) ~ ${ITEM_MS} ms per item, ${ITEMS} items`);
    const check = (name, out) => {
      if (out.length !== ITEMS || out.some((x) => x !== expected)) throw new Error(`${name}: wrong results`);
    };
    const pools = {};
    const variants = [
      { name: 'single', run: async () => check('one thread', items.map((n) => cpu(n))) },
      {
        name: 'multiproc',
        setup: async () => {
          pools.multiproc = await openPool('multiproc', 'cpu', { warmup: 30 });
          const { default: tasks } = await import('../fixtures/pool-tasks.mjs');
          pools.multiproc.map = (xs, options) => pools.multiproc.raw.map(tasks.cpu, xs, options);
        },
        run: async () => check('multiproc', await withTimeout(pools.multiproc.map(items), LIMIT_MS, 'multiproc map')),
        teardown: () => pools.multiproc?.close(),
      },
      {
        name: 'multiprocChunk1',
        run: async () => check('multiproc chunksize 1', await withTimeout(pools.multiproc.map(items, { chunksize: 1 }), LIMIT_MS, 'multiproc map')),
      },
      {
        name: 'piscina',
        setup: async () => {
          pools.piscina = await openPool('piscina', 'cpu', { warmup: 30 });
        },
        run: async () => check('piscina', await withTimeout(Promise.all(items.map((n) => pools.piscina.call(n))), LIMIT_MS, 'piscina')),
        teardown: () => pools.piscina?.close(),
      },
    ];
    // The cores other processes took during each timed run: a parallel row can only be as fast as the cores
    // left to it, so the table shows this next to the times.
    let round = 0;
    const others = Object.fromEntries(variants.map((v) => [v.name, []]));
    for (const v of variants) {
      const run = v.run;
      v.run = async () => {
        const meter = startLoadMeter();
        await run();
        if (round >= warmup) others[v.name].push(meter.stop().othersCores);
      };
    }
    log(`${variants.length} rows x (${warmup} warm-up + ${runs} runs), round-robin`);
    const samples = await roundRobin(variants, {
      runs,
      warmup,
      onRound: (r) => {
        round = r + 1;
        log(`round ${r + 1}/${warmup + runs}${r < warmup ? ' (warm-up)' : ''} done`);
      },
    });
    const stats = Object.fromEntries([...samples].map(([name, xs]) => [name, summarize(xs)]));
    const single = stats.single.median;
    const speedup = (name) => single / stats[name].median;
    const rows = [
      ['single', 'one thread (main thread, items.map(cpu))'],
      ['multiproc', `multiproc pool.map, ${POOL_SIZE} workers, default chunksize (${Math.ceil(ITEMS / (4 * POOL_SIZE))})`],
      ['multiprocChunk1', `multiproc pool.map, ${POOL_SIZE} workers, chunksize 1`],
      ['piscina', `piscina, ${POOL_SIZE} threads, one run() per item`],
    ].map(([name, label]) => [
      label,
      ms(stats[name].median),
      ms(stats[name].min),
      ms(stats[name].max),
      name === 'single' ? '1.00x (baseline)' : times(speedup(name)),
      name === 'single' ? '' : times(single / stats[name].min),
      others[name].map((x) => (Number.isFinite(x) ? x.toFixed(1) : '?')).join(' '),
    ]);
    const ours = speedup('multiproc');
    const notes = [
      `one item = cpu(${iterations}); total single-thread work ${ms(single)} ms (${single >= 2000 ? '>= 2 s' : 'under 2 s!'})`,
      'speedup (median) = median of one thread / median of the row (the target); speedup (fastest run) uses the row\'s fastest run, for context',
      `other load per run: cores that other processes on the machine used during each timed run (of ${POOL_SIZE}); a parallel row cannot beat ${POOL_SIZE} minus that`,
      `multiproc speedup over one thread: ${times(ours)} (target: >= ${TARGET}x, ${ours >= TARGET ? 'met' : 'NOT met'}); with chunksize 1: ${times(speedup('multiprocChunk1'))}; piscina: ${times(speedup('piscina'))}`,
    ];
    return {
      header: ['variant', 'median ms', 'min ms', 'max ms', 'speedup (median)', 'speedup (fastest run)', 'other load per run (cores)'],
      align: ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
      rows,
      notes,
      targets: [{ target: `CPU-bound map speedup >= ${TARGET}x one thread`, value: times(ours), met: ours >= TARGET }],
      data: { iterations, items: ITEMS, stats, othersCores: others },
    };
  },
};
