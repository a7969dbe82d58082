/**
 * Pool benchmark 4: single-call round-trip latency, and the CPU an idle pool burns.
 *
 * Latency: one no-op call at a time (`await pool.apply(tasks.noop)`, `await piscina.run()`, ...), each
 * timed with performance.now(). Every pool (2 workers, created and warmed up first) makes CALLS (100)
 * calls per round, pools taken in turn and the order rotated each round; after the warm-up rounds, `runs`
 * rounds (25) give runs x CALLS samples per pool (2500). p50/p99 in microseconds. The Python row times
 * `pool.apply(noop)` the same way inside Python.
 * Idle CPU: then, for each pool alone (the others closed): open it, warm it up, make 200 sequential calls,
 * and from the moment the last one returns, sample `process.cpuUsage()` (user + system, all threads of this
 * process, so the worker threads too) over IDLE_MS of idleness: CPU % of one core. The first row is this
 * process with no pool at all. The Python row sums utime + stime of the Python process tree from /proc.
 * A reference row runs the multiproc Pool with `runtime: 'process'` (child processes): its idle CPU is this
 * process plus its children, from /proc.
 * Targets: multiproc p50 at most half of piscina's; multiproc idle CPU under 2% (the thread runtime, and the
 * process runtime too).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { LABELS, openPool, PEERS, POOL_SIZE, withTimeout } from '../lib/pools.mjs';
import { openPythonPool } from '../lib/python-pool.mjs';
import { quantile, times } from '../lib/stats.mjs';

const CALLS = 100;
const IDLE_MS = 3000;
const TARGET_P50 = 0.5;
const TARGET_IDLE = 2;
/** The Node rows: every pool of the tables, plus multiproc on child processes (reference). */
const KINDS = [PEERS[0], 'multiprocProcess', ...PEERS.slice(1)];
/** A round that takes longer has lost a call: fail instead of hanging. */
const LIMIT_MS = 120_000;

async function sequential(pool, calls, out) {
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await pool.call();
    const t1 = performance.now();
    out?.push((t1 - t0) * 1000);
  }
}

/**
 * CPU % of one core this process used while idle for `idleMs` (process.cpuUsage(): every thread, so worker
 * threads too); with `children`, plus the CPU of its child processes (from /proc, Linux; NaN elsewhere).
 */
async function idleCpu(idleMs, { children = false } = {}) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const k0 = children ? childrenTicks(process.pid) : 0;
  await sleep(idleMs);
  const c = process.cpuUsage(c0);
  const k1 = children ? childrenTicks(process.pid) : 0;
  const wallUs = (performance.now() - t0) * 1000;
  if (k0 === undefined || k1 === undefined) return Number.NaN;
  // USER_HZ is 100 on Linux: a tick is 10 ms.
  return ((c.user + c.system + (k1 - k0) * 10_000) / wallUs) * 100;
}

/** utime + stime (clock ticks) of the descendants of `pid` (children of any of its threads), from /proc. */
function childrenTicks(pid) {
  try {
    let ticks = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
        const sub = treeTicks(Number(child));
        if (sub !== undefined) ticks += sub;
      }
    }
    return ticks;
  } catch {
    return undefined;
  }
}

/** utime + stime (clock ticks) of `pid` and its descendants, from /proc (Linux); undefined elsewhere. */
function treeTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    const below = childrenTicks(pid);
    return below === undefined ? undefined : own + below;
  } catch {
    return undefined;
  }
}

async function pythonIdleCpu(pid, idleMs) {
  const k0 = treeTicks(pid);
  const t0 = performance.now();
  await sleep(idleMs);
  const k1 = treeTicks(pid);
  if (k0 === undefined || k1 === undefined) return Number.NaN;
  // USER_HZ is 100 on Linux.
  return (((k1 - k0) * 10) / (performance.now() - t0)) * 100;
}

const us = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const pct = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}%` : 'n/a');

export default {
  name: 'pool-latency',
  title: 'single-call round trip (one call at a time): p50/p99 us, and idle CPU',
  // A run is one round: CALLS sequential calls on each pool in turn. Short rounds, many of them, so that the
  // machine's state (other load, idle vCPUs that are slow to wake) changes under every pool alike.
  defaults: { runs: 25, warmup: 3 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const pools = {};
    for (const kind of KINDS) pools[kind] = await openPool(kind, 'noop', { warmup: 300 });
    log(`opening the Python pool (${POOL_SIZE} processes)`);
    const py = await openPythonPool({ processes: POOL_SIZE });
    const names = py.error ? [...KINDS] : [...KINDS, 'python'];
    const samples = Object.fromEntries(names.map((name) => [name, []]));

    log(`latency: ${names.length} pools x (${warmup} warm-up + ${runs} rounds) x ${CALLS} sequential calls`);
    try {
      for (let round = 0; round < warmup + runs; round++) {
        const shift = round % names.length;
        for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
          const out = round >= warmup ? samples[name] : undefined;
          if (name === 'python') {
            const answer = await withTimeout(py.request({ op: 'latency', n: CALLS }), LIMIT_MS, `python: ${CALLS} calls`);
            out?.push(...answer.us);
          } else {
            await withTimeout(sequential(pools[name], CALLS, out), LIMIT_MS, `${name}: ${CALLS} sequential calls`);
          }
        }
      }
    } finally {
      for (const kind of KINDS) await pools[kind].close();
    }

    log(`idle CPU: ${IDLE_MS} ms of idleness per pool, each pool alone`);
    const idle = { none: await idleCpu(IDLE_MS) };
    for (const kind of KINDS) {
      const pool = await openPool(kind, 'noop', { warmup: 300 });
      try {
        await withTimeout(sequential(pool, 200), LIMIT_MS, `${kind}: 200 sequential calls`);
        idle[kind] = await idleCpu(IDLE_MS, { children: kind === 'multiprocProcess' });
      } finally {
        await pool.close();
      }
      log(`  ${kind}: ${pct(idle[kind])}`);
    }
    if (!py.error) {
      await withTimeout(py.request({ op: 'latency', n: 200 }), LIMIT_MS, 'python: 200 calls');
      idle.python = await pythonIdleCpu(py.pid, IDLE_MS);
      await py.close();
    }

    const p = (name, q) => quantile([...samples[name]].sort((a, b) => a - b), q);
    const base50 = p('piscina', 0.5);
    const base99 = p('piscina', 0.99);
    const rows = [
      ['(no pool: this process alone)', '', '', '', '', '', pct(idle.none)],
      ...names.map((name) => [
        name === 'python' ? `${LABELS.python} apply` : LABELS[name],
        String(samples[name].length),
        us(p(name, 0.5)),
        us(p(name, 0.99)),
        name === 'piscina' ? '1.00x (baseline)' : times(p(name, 0.5) / base50),
        name === 'piscina' ? '1.00x (baseline)' : times(p(name, 0.99) / base99),
        pct(idle[name]),
      ]),
    ];
    const r50 = p('multiproc', 0.5) / base50;
    const targets = [
      { target: "latency p50 <= 0.5x piscina's", value: `${times(r50)} (${us(p('multiproc', 0.5))} vs ${us(base50)} us)`, met: r50 <= TARGET_P50 },
      { target: `idle pool CPU < ${TARGET_IDLE}%`, value: pct(idle.multiproc), met: idle.multiproc < TARGET_IDLE },
      {
        target: `idle pool CPU < ${TARGET_IDLE}%, runtime 'process' (pool process + children)`,
        value: pct(idle.multiprocProcess),
        met: idle.multiprocProcess < TARGET_IDLE,
      },
    ];
    const notes = [
      `multiproc p50 vs piscina: ${targets[0].value} (target: <= ${TARGET_P50}x, ${targets[0].met ? 'met' : 'NOT met'}); p99 ${times(p('multiproc', 0.99) / base99)}`,
      `multiproc idle CPU: ${pct(idle.multiproc)} of one core over ${IDLE_MS / 1000} s right after its last call (target: < ${TARGET_IDLE}%, ${targets[1].met ? 'met' : 'NOT met'})`,
      "idle CPU = process.cpuUsage() (user + system, every thread of this process) / wall time, each pool alone; runtime 'process' adds its child processes, Python is its process tree, both from /proc",
      `multiproc runtime 'process' idle CPU: ${pct(idle.multiprocProcess)} (target: < ${TARGET_IDLE}%, ${targets[2].met ? 'met' : 'NOT met'})`,
      py.error ? `Python row: n/a, ${py.error}` : `Python ${py.version}, start method ${py.startMethod}`,
    ];
    return {
      header: ['pool (2 workers)', 'calls', 'p50 us', 'p99 us', 'p50 vs piscina', 'p99 vs piscina', 'idle CPU'],
      align: ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows,
      notes,
      targets,
      data: {
        calls: CALLS,
        latencyUs: Object.fromEntries(names.map((name) => [name, { p50: p(name, 0.5), p99: p(name, 0.99), n: samples[name].length }])),
        idleCpuPercent: idle,
      },
    };
  },
};
