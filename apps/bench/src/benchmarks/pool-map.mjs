/**
 * Pool benchmark 2: map over many small items (n => n * n), items/s.
 *
 * Rows (2 workers each, created and warmed up before timing, measured round-robin):
 *  - multiproc `pool.map(tasks.square, items)` over 1M items, default chunksize (Python's ceil(n / (4 x 2)))
 *  - piscina per item: `Promise.all(items.map((i) => piscina.run(i)))`. A million tasks at piscina's rate
 *    would take most of a minute per run, so this row maps the first 100k items; its items/s is per-item
 *    throughput on 100k items (labelled so in the table)
 *  - piscina, tinypool, workerpool, poolifier fed the same 1M items chunked by hand: chunks of
 *    ceil(n / (4 x 2)) items sliced in the main thread, one task per chunk (the worker maps its chunk with
 *    `squareChunk`), results concatenated in order. Slicing and concatenating are in the timing, as they are
 *    inside multiproc's map
 *  - Python `Pool.map(square, items)` over 1M items with its default chunksize
 * Targets: multiproc >= 100x piscina per item, ahead of piscina chunked by hand, >= Python's Pool.map.
 */
import { roundRobin } from '../lib/measure.mjs';
import { LABELS, openPool, PEERS, POOL_SIZE, withTimeout } from '../lib/pools.mjs';
import { openPythonPool } from '../lib/python-pool.mjs';
import { count, summarize, times } from '../lib/stats.mjs';
import { ms } from '../lib/table.mjs';

const ITEMS = 1_000_000;
const PER_ITEM = 100_000;
const CHUNK = Math.ceil(ITEMS / (4 * POOL_SIZE));
const TARGET_PER_ITEM = 100;
/** A run that takes longer has lost a task: fail instead of hanging. */
const LIMIT_MS = 300_000;

function check(name, out, n) {
  if (out.length !== n || out[n - 1] !== (n - 1) * (n - 1) || out[n >> 1] !== (n >> 1) * (n >> 1)) {
    throw new Error(`${name}: wrong map result (length ${out.length})`);
  }
}

async function byHand(pool, items) {
  const parts = [];
  for (let i = 0; i < items.length; i += CHUNK) parts.push(pool.call(items.slice(i, i + CHUNK)));
  return [].concat(...(await Promise.all(parts)));
}

export default {
  name: 'pool-map',
  title: `map over ${ITEMS / 1e6}M small items (n => n * n): items/s`,
  defaults: { runs: 5, warmup: 1 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const items = Array.from({ length: ITEMS }, (_, i) => i);
    const few = items.slice(0, PER_ITEM);
    const pools = {};
    const variants = [];
    variants.push({
      name: 'multiproc',
      setup: async () => {
        pools.multiproc = await openPool('multiproc', 'square', { warmup: 300 });
        const { default: tasks } = await import('../fixtures/pool-tasks.mjs');
        pools.multiproc.map = (xs) => pools.multiproc.raw.map(tasks.square, xs);
      },
      run: async () => check('multiproc', await withTimeout(pools.multiproc.map(items), LIMIT_MS, 'multiproc map'), ITEMS),
      teardown: () => pools.multiproc?.close(),
    });
    variants.push({
      name: 'piscinaPerItem',
      setup: async () => {
        pools.piscinaPerItem = await openPool('piscina', 'square', { warmup: 3000 });
      },
      run: async () => {
        const out = await withTimeout(Promise.all(few.map((i) => pools.piscinaPerItem.call(i))), LIMIT_MS, 'piscina per item');
        check('piscina per item', out, PER_ITEM);
      },
      teardown: () => pools.piscinaPerItem?.close(),
    });
    for (const kind of PEERS.filter((k) => k !== 'multiproc')) {
      variants.push({
        name: kind,
        setup: async () => {
          pools[kind] = await openPool(kind, 'squareChunk', { warmup: 30 });
        },
        run: async () => check(`${kind} by hand`, await withTimeout(byHand(pools[kind], items), LIMIT_MS, `${kind} by hand`), ITEMS),
        teardown: () => pools[kind]?.close(),
      });
    }
    log(`opening the Python pool (${POOL_SIZE} processes)`);
    const py = await openPythonPool({ processes: POOL_SIZE });
    let pyChunksize;
    if (!py.error) {
      variants.push({
        name: 'python',
        run: async () => {
          const answer = await withTimeout(py.request({ op: 'map', n: ITEMS }), LIMIT_MS, 'python map');
          pyChunksize = answer.chunksize;
          return answer;
        },
        teardown: () => py.close(),
      });
    }
    log(`${variants.length} rows x (${warmup} warm-up + ${runs} runs), round-robin`);
    const samples = await roundRobin(variants, {
      runs,
      warmup,
      onRound: (round) => log(`round ${round + 1}/${warmup + runs}${round < warmup ? ' (warm-up)' : ''} done`),
    });

    const stats = Object.fromEntries([...samples].map(([name, xs]) => [name, summarize(xs)]));
    const n = (name) => (name === 'piscinaPerItem' ? PER_ITEM : ITEMS);
    const rate = (name) => (stats[name] ? n(name) / (stats[name].median / 1000) : Number.NaN);
    const perItem = rate('piscinaPerItem');
    const chunked = rate('piscina');
    const ours = rate('multiproc');
    const rows = [
      ['multiproc', `multiproc pool.map, default chunksize (${CHUNK})`],
      ['piscinaPerItem', `piscina per item: Promise.all(items.map(run)), on ${PER_ITEM / 1000}k items`],
      ...PEERS.filter((k) => k !== 'multiproc').map((k) => [k, `${LABELS[k]}, chunked by hand (${CHUNK} items/task)`]),
      ['python', `Python Pool.map, default chunksize${pyChunksize ? ` (${pyChunksize})` : ''}`],
    ].map(([name, label]) => {
      const s = stats[name];
      return [
        label,
        count(n(name)),
        count(rate(name)),
        ms(s?.median),
        name === 'piscinaPerItem' ? '1.00x (baseline)' : times(rate(name) / perItem, 1),
        name === 'piscina' ? '1.00x (baseline)' : times(rate(name) / chunked),
      ];
    });
    const targets = [
      { target: `map >= ${TARGET_PER_ITEM}x piscina per-item`, value: times(ours / perItem, 1), met: ours / perItem >= TARGET_PER_ITEM },
      { target: 'map ahead of piscina chunked by hand', value: times(ours / chunked), met: ours > chunked },
      {
        target: "map >= Python's Pool.map (default chunksize)",
        value: py.error ? 'n/a' : times(ours / rate('python')),
        met: !py.error && ours >= rate('python'),
      },
    ];
    const notes = [
      ...targets.map((t) => `multiproc: ${t.target.replace(/^map /, '')}: ${t.value} (${t.met ? 'met' : 'NOT met'})`),
      `piscina per item is measured on the first ${PER_ITEM / 1000}k items (1M would take ~${Math.round(ITEMS / perItem)} s a run); its items/s is per-item throughput`,
      py.error ? `Python row: n/a, ${py.error}` : `Python ${py.version}, start method ${py.startMethod}`,
    ];
    return {
      header: ['variant (2 workers)', 'items', 'items/s (median)', 'median ms', 'vs piscina per-item', 'vs piscina chunked'],
      align: ['l', 'r', 'r', 'r', 'r', 'r'],
      rows,
      notes,
      targets,
      data: { items: ITEMS, perItem: PER_ITEM, chunk: CHUNK, stats, python: py.error ? { error: py.error } : { version: py.version } },
    };
  },
};
