/**
 * Channel benchmark 2: Pipe round-trip latency (p50/p99).
 *
 * The main thread sends the integer i on one end of a duplex `Pipe` from @multiproc/channel and waits for
 * it to come back; an echo task holding the other end sends every message back. One sample = one round
 * trip, timed in the main thread (process.hrtime around `send` + `await recv()`). Rows:
 *  - Pipe, echo in a worker thread with `await conn.recv()`
 *  - Pipe, echo in a worker thread with the blocking `conn.recvSync()`
 *  - Pipe, echo in a child process (runtime 'process'): the child's end is a proxy served by this process
 *  - the baseline: a MessagePort ping-pong with a raw worker thread (parentPort.postMessage both ways)
 *  - Python `multiprocessing.Pipe()`: parent <-> child process ping-pong (python3 subprocess, run alone after
 *    the Node rows, same protocol)
 * The echo tasks are started first; then the Node rows are measured in rounds of ROUND round trips, rows
 * taken in turn (order rotated each round), so load drift hits them alike. p50/p90/p99 over `runs` round
 * trips per row (after `warmup`), in microseconds. Every echo is checked.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Pipe } from '@multiproc/channel';
import { Process } from '@multiproc/process';
import tasks from '../fixtures/channel-tasks.mjs';
import { quantile, times } from '../lib/stats.mjs';
import { finish, us } from '../lib/sync-bench.mjs';
import { runChannelPython } from './queue-throughput.mjs';

const ROUND = 100;
const PORT_WORKER = new URL('../fixtures/channel-port-worker.mjs', import.meta.url);
const now = () => process.hrtime.bigint();

/** A Pipe with its echo end in a Process. */
function pipeVariant(name, runtime, sync) {
  const [here, there] = Pipe();
  const proc = new Process({ target: tasks.pipeEcho, args: [there, sync], runtime, daemon: true });
  const samples = [];
  let bad = 0;
  return {
    name,
    samples,
    bad: () => bad,
    start: () => proc.start(),
    async sample(i) {
      const t0 = now();
      here.send(i);
      const back = await here.recv();
      samples.push(Number(now() - t0) / 1000);
      if (back !== i) bad++;
    },
    async stop() {
      here.send(null);
      await finish(proc, 30_000);
      here.close();
      there.close();
    },
    kill: () => proc.kill(),
  };
}

/** The baseline: ping-pong with a raw worker over its parentPort. */
function portVariant(name) {
  let worker;
  let exited;
  let pending;
  const samples = [];
  let bad = 0;
  return {
    name,
    samples,
    bad: () => bad,
    start() {
      worker = new Worker(PORT_WORKER, { workerData: { mode: 'echo' } });
      exited = once(worker, 'exit');
      worker.on('message', (msg) => pending?.(msg));
    },
    async sample(i) {
      const t0 = now();
      const back = await new Promise((resolve) => {
        pending = resolve;
        worker.postMessage(i);
      });
      samples.push(Number(now() - t0) / 1000);
      if (back !== i) bad++;
    },
    async stop() {
      worker.postMessage(null);
      await exited;
    },
    kill: () => worker?.terminate(),
  };
}

export default {
  name: 'pipe-latency',
  title: 'Pipe round-trip latency (p50/p99 us)',
  // A run is one round trip; each row takes warmup + runs of them.
  defaults: { runs: 5000, warmup: 500 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const total = warmup + runs;
    const variants = [
      pipeVariant('threadAsync', 'thread', false),
      pipeVariant('threadSync', 'thread', true),
      pipeVariant('process', 'process', false),
      portVariant('port'),
    ];
    log(`Node: ${variants.length} echo tasks x (${warmup} warm-up + ${runs} round trips), in rounds of ${ROUND}`);
    variants.forEach((v) => v.start());
    try {
      for (let round = 0, done = 0; done < total; round++, done += ROUND) {
        const shift = round % variants.length;
        const count = Math.min(ROUND, total - done);
        for (const v of [...variants.slice(shift), ...variants.slice(0, shift)]) {
          for (let i = 0; i < count; i++) await v.sample(done + i);
        }
      }
      for (const v of variants) await v.stop();
    } catch (error) {
      variants.forEach((v) => v.kill());
      throw error;
    }
    log(`Python: multiprocessing.Pipe, (${warmup} warm-up + ${runs} round trips)`);
    const py = await runChannelPython('pipe', { runs, warmup });

    const summarizeUs = (xs, bad) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return { n: sorted.length, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1], bad };
    };
    const stats = {};
    for (const v of variants) stats[v.name] = summarizeUs(v.samples.slice(warmup), v.bad());
    if (!py.error) stats.python = summarizeUs(py.us, py.bad);
    const port = stats.port;
    const python = stats.python;
    const row = (label, echo, key) => {
      const s = stats[key];
      if (!s) return [label, echo, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
      return [
        label,
        echo,
        String(s.n),
        us(s.p50),
        us(s.p90),
        us(s.p99),
        us(s.max),
        `${times(s.p50 / port.p50)} / ${times(s.p99 / port.p99)}`,
        python ? `${times(s.p50 / python.p50)} / ${times(s.p99 / python.p99)}` : 'n/a',
        s.bad === 0 ? 'ok' : `WRONG: ${s.bad}`,
      ];
    };
    const rows = [
      row('Pipe, echo with await recv()', 'worker thread', 'threadAsync'),
      row('Pipe, echo with recvSync()', 'worker thread', 'threadSync'),
      row('Pipe, echo with await recv(), proxied', 'child process', 'process'),
      row('raw MessagePort ping-pong', 'worker thread', 'port'),
      row('Python multiprocessing.Pipe', `child process (${py.start_method ?? '?'})`, 'python'),
    ];
    const t = stats.threadAsync;
    const notes = [
      `Pipe (thread, await recv) vs MessagePort: p50 ${times(t.p50 / port.p50)}, p99 ${times(t.p99 / port.p99)}` +
        (python ? `; vs Python Pipe: p50 ${times(t.p50 / python.p50)}, p99 ${times(t.p99 / python.p99)}` : ''),
      'round trip = main thread send + await recv of the echo, timed with process.hrtime (Python: perf_counter_ns around send + recv)',
      py.error ? `Python row: n/a, ${py.error}` : `Python ${py.python}`,
    ];
    const allExact = Object.values(stats).every((s) => s.bad === 0);
    return {
      header: ['variant', 'echo runs in', 'round trips', 'p50 us', 'p90 us', 'p99 us', 'max us', 'p50 / p99 vs MessagePort', 'p50 / p99 vs Python', 'echo'],
      align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
      rows,
      notes,
      targets: [{ target: 'every echo comes back unchanged', value: allExact ? 'yes' : 'NO', met: allExact }],
      data: { latencyUs: stats, python: py.error ? { error: py.error } : { version: py.python, startMethod: py.start_method } },
    };
  },
};
