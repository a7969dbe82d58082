/**
 * Pool benchmark 1: throughput of tiny tasks, 100k no-op calls in flight at once.
 *
 * One run = submit 100,000 no-op tasks without waiting, then await them all; tasks/s = 100k / run time.
 * Rows: multiproc `pool.apply(tasks.noop)`, piscina `run()`, tinypool `run()`, workerpool `exec('noop')`,
 * poolifier `execute(undefined, 'noop')`, and Python `Pool.apply_async(noop)` x 100k then `get()` each.
 * All pools have 2 workers, are created and warmed up before timing, and are measured round-robin (one run
 * of each per round, order rotated), the Python pool too (it runs in a python3 child driven over a pipe and
 * times itself). A second piscina row sets `concurrentTasksPerWorker: 4` (its README says the option is for
 * tasks with an asynchronous part, but it lets more tasks ride per worker); the baseline of the target is
 * whichever piscina row is faster in the run. Target: multiproc >= 20x piscina.
 */
import { roundRobin } from '../lib/measure.mjs';
import { flood, LABELS, openPool, PEERS, POOL_SIZE, withTimeout } from '../lib/pools.mjs';
import { openPythonPool } from '../lib/python-pool.mjs';
import { count, summarize, times } from '../lib/stats.mjs';
import { ms } from '../lib/table.mjs';

const TASKS = 100_000;
const TARGET = 20;
/** The rows: the pools of every table, plus piscina with concurrentTasksPerWorker. */
const KINDS = [...PEERS.slice(0, 2), 'piscinaConcurrent', ...PEERS.slice(2)];

export default {
  name: 'pool-apply-throughput',
  title: `${TASKS / 1000}k no-op apply calls in flight (submit all, await all): tasks/s`,
  defaults: { runs: 5, warmup: 1 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const pools = {};
    const variants = KINDS.map((kind) => ({
      name: kind,
      setup: async () => {
        pools[kind] = await openPool(kind, 'noop', { warmup: 3000 });
      },
      run: async () => {
        const results = await withTimeout(flood(pools[kind], TASKS), 300_000, `${kind}: ${TASKS} tasks`);
        if (results.length !== TASKS) throw new Error(`${kind}: ${results.length} results`);
      },
      teardown: () => pools[kind]?.close(),
    }));
    log(`opening the Python pool (${POOL_SIZE} processes)`);
    const py = await openPythonPool({ processes: POOL_SIZE });
    if (!py.error) {
      variants.push({
        name: 'python',
        run: () => withTimeout(py.request({ op: 'apply', n: TASKS }), 300_000, `python: ${TASKS} tasks`),
        teardown: () => py.close(),
      });
    }
    log(`${variants.length} pools x (${warmup} warm-up + ${runs} runs) of ${TASKS} tasks, round-robin`);
    const samples = await roundRobin(variants, {
      runs,
      warmup,
      onRound: (round) => log(`round ${round + 1}/${warmup + runs}${round < warmup ? ' (warm-up)' : ''} done`),
    });

    const stats = Object.fromEntries([...samples].map(([name, xs]) => [name, summarize(xs)]));
    const rate = (name) => (stats[name] ? TASKS / (stats[name].median / 1000) : Number.NaN);
    // The baseline: the faster piscina row of this run.
    const baseName = rate('piscinaConcurrent') > rate('piscina') ? 'piscinaConcurrent' : 'piscina';
    const base = rate(baseName);
    const names = [...KINDS, 'python'];
    const rows = names.map((name) => {
      const s = stats[name];
      const label = name === 'python' ? `${LABELS.python} apply_async${py.error ? '' : ` (${py.startMethod})`}` : LABELS[name];
      return [
        label,
        count(rate(name)),
        ms(s?.median),
        s ? `${count(TASKS / (s.max / 1000))}-${count(TASKS / (s.min / 1000))}` : 'n/a',
        name === baseName ? '1.00x (baseline)' : times(rate(name) / base),
        name === 'multiproc' ? '1.00x' : times(rate('multiproc') / rate(name)),
      ];
    });
    const ratio = rate('multiproc') / base;
    const notes = [
      `multiproc vs piscina (the faster piscina row: ${LABELS[baseName]}): ${times(ratio, 1)} (target: >= ${TARGET}x, ${ratio >= TARGET ? 'met' : 'NOT met'})`,
      `multiproc vs piscina with its defaults: ${times(rate('multiproc') / rate('piscina'), 1)}`,
      py.error ? `Python row: n/a, ${py.error}` : `Python ${py.version}, start method ${py.startMethod}`,
    ];
    return {
      header: ['pool (2 workers)', 'tasks/s (median)', 'median ms', 'range tasks/s', 'vs piscina (faster row)', 'multiproc is'],
      align: ['l', 'r', 'r', 'r', 'r', 'r'],
      rows,
      notes,
      targets: [{ target: `apply throughput >= ${TARGET}x piscina`, value: times(ratio, 1), met: ratio >= TARGET }],
      data: { tasks: TASKS, baseline: baseName, stats, python: py.error ? { error: py.error } : { version: py.version } },
    };
  },
};
