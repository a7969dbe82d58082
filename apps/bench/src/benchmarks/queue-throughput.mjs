/**
 * Channel benchmark 1: small-message throughput, worker -> main, through a `Queue` from @multiproc/channel.
 *
 * One run: a producer first puts WARM untimed warm-up messages and waits until the main thread has taken them
 * all (see WARM); then it puts its start stamp (process.hrtime, CLOCK_MONOTONIC: one clock for every thread and
 * process of the machine), then N small messages; the main thread takes them all; the run's time is the
 * main thread's stamp after the last message minus the producer's start stamp (so it includes the producer's
 * and the consumer's work and the wake-ups between them, but not the start of the worker). Every message
 * is checked (message i must arrive i-th). Two message shapes: 'int' (the integer i) and 'object'
 * ({ id: i, name: 'item', score: 0.5, ok: true }). Rows:
 *  - Queue, worker thread, `await queue.put(item)`, main `for await (const item of queue)`   (the target rows)
 *  - Queue, worker thread, `queue.putSync(item)`, main `await queue.get()`
 *  - Queue, child process (runtime 'process'): the queue is a proxy served by this process; puts are pipelined
 *    (committed against credits the owner grants, sent in batches), so a put is not a round trip
 *  - the baseline: a raw worker thread posting each message on its parentPort (a plain MessagePort), the main
 *    thread counting 'message' events
 *  - Python `multiprocessing.Queue`: a child process puts, the parent gets (python3 subprocess, run alone
 *    after the Node rows, same protocol)
 * Each row: the median messages per second over the runs; the Node rows are measured round-robin.
 * Targets (issue 4): the thread Queue row >= 3x the MessagePort row and >= 5x Python's Queue, per shape.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Queue } from '@multiproc/channel';
import { Process } from '@multiproc/process';
import { Event } from '@multiproc/sync';
import tasks from '../fixtures/channel-tasks.mjs';
import { roundRobin } from '../lib/measure.mjs';
import { runPythonScript } from '../lib/python.mjs';
import { summarize, times } from '../lib/stats.mjs';
import { BASE_MS, finish, rate, stamp } from '../lib/sync-bench.mjs';

const N_THREAD = 200_000;
const N_PROCESS = 200_000;
const N_PYTHON = 200_000;
/**
 * Untimed warm-up messages before every run's timed part, through the same queue (or port) and the same
 * producer and consumer loops: a fresh worker runs its first ~100k puts at several times the steady cost
 * while V8 compiles them; the timed part measures compiled code, as a benchmark harness's warm-up does.
 * Every row does it (MessagePort and Python too; CPython has no JIT, so it changes little there).
 */
const WARM = 100_000;
const WARM_PYTHON = 20_000;
const SHAPES = ['int', 'object'];
const TARGET_VS_PORT = 3;
const TARGET_VS_PYTHON = 5;
const PORT_WORKER = new URL('../fixtures/channel-port-worker.mjs', import.meta.url);

/** Whether message `item` is the i-th message of `shape`. */
const isMessage = (shape, item, i) => (shape === 'int' ? item === i : item?.id === i && item.name === 'item');

/**
 * Takes `n` messages from `queue` (`iterate`: `for await`, else `await get()`); returns how many were out of
 * place or missing.
 */
async function consume(queue, n, shape, iterate) {
  let wrong = 0;
  let i = 0;
  if (iterate) {
    for await (const item of queue) {
      if (!isMessage(shape, item, i)) wrong++;
      if (++i === n) break;
    }
  } else {
    for (; i < n; i++) {
      if (!isMessage(shape, await queue.get(), i)) wrong++;
    }
  }
  return wrong + (n - i);
}

/** One run through a Queue: resolves { ms } and counts messages out of place in `bad`. */
async function queueRun({ runtime, n, shape, sync, iterate }, bad) {
  const queue = new Queue();
  const warmed = new Event();
  const proc = new Process({ target: tasks.queueProducer, args: [queue, n, shape, sync, BASE_MS, WARM, warmed], runtime, daemon: true });
  proc.start();
  try {
    const warmWrong = await consume(queue, WARM, shape, iterate);
    warmed.set();
    const t0 = await queue.get({ timeout: 60_000 });
    const wrong = await consume(queue, n, shape, iterate);
    const ms = (stamp() - t0) / 1e6;
    bad.push(warmWrong + wrong);
    await finish(proc, 60_000);
    return { ms };
  } catch (error) {
    proc.kill();
    throw error;
  } finally {
    queue.close();
  }
}

/** One run through a raw worker's parentPort (the MessagePort baseline). */
async function portRun({ n, shape }, bad) {
  const warmed = new SharedArrayBuffer(4);
  const worker = new Worker(PORT_WORKER, { workerData: { mode: 'produce', n, shape, baseMs: BASE_MS, warm: WARM, warmed } });
  const exited = once(worker, 'exit');
  const ms = await new Promise((resolve, reject) => {
    let t0;
    let w = 0;
    let i = -1;
    let wrong = 0;
    worker.on('error', reject);
    worker.on('message', (item) => {
      if (w < WARM) {
        if (!isMessage(shape, item, w)) wrong++;
        if (++w === WARM) {
          const flag = new Int32Array(warmed);
          Atomics.store(flag, 0, 1);
          Atomics.notify(flag, 0);
        }
        return;
      }
      if (i === -1) {
        t0 = item;
        i = 0;
        return;
      }
      if (!isMessage(shape, item, i)) wrong++;
      if (++i === n) {
        const end = stamp();
        bad.push(wrong);
        resolve((end - t0) / 1e6);
      }
    });
  });
  await exited;
  return { ms };
}

/** Runs channel_bench.py; resolves its JSON object, or { error } (the Python rows then show n/a). */
export function runChannelPython(command, flags) {
  return runPythonScript('channel_bench.py', command, flags);
}

export default {
  name: 'queue-throughput',
  title: 'small messages worker -> main through a Queue: messages per second',
  defaults: { runs: 5, warmup: 1 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const bad = {};
    const variants = [];
    const add = (key, spec, run) => {
      bad[key] = [];
      variants.push({ name: key, spec, run: () => run(spec, bad[key]) });
    };
    for (const shape of SHAPES) {
      add(`queue-${shape}`, { runtime: 'thread', n: N_THREAD, shape, sync: false, iterate: true }, queueRun);
      add(`queueSync-${shape}`, { runtime: 'thread', n: N_THREAD, shape, sync: true, iterate: false }, queueRun);
      add(`process-${shape}`, { runtime: 'process', n: N_PROCESS, shape, sync: false, iterate: true }, queueRun);
      add(`port-${shape}`, { n: N_THREAD, shape }, portRun);
    }
    log(`Node: ${variants.length} variants x (${warmup} warm-up + ${runs} runs), round-robin; ${N_THREAD} messages per thread run, ${N_PROCESS} per process run`);
    const samples = await roundRobin(variants, { runs, warmup });
    const python = {};
    for (const shape of SHAPES) {
      log(`Python: multiprocessing.Queue, ${N_PYTHON} '${shape}' messages, (${warmup} warm-up + ${runs} runs)`);
      python[shape] = await runChannelPython('queue', { runs, warmup, n: N_PYTHON, shape, 'warm-messages': WARM_PYTHON });
    }

    const stats = {};
    const perSecond = (n, msValue) => n / (msValue / 1000);
    const summary = (n, ms, wrong) => {
      const s = summarize(ms);
      return { n, median: perSecond(n, s.median), low: perSecond(n, s.max), high: perSecond(n, s.min), bad: wrong.filter((x) => x !== 0), runs: ms.length };
    };
    for (const v of variants) stats[v.name] = summary(v.spec.n, samples.get(v.name), bad[v.name].slice(-runs));
    for (const shape of SHAPES) {
      const py = python[shape];
      if (!py.error) stats[`python-${shape}`] = summary(py.n, py.ms, py.bad);
    }

    const rows = [];
    const row = (label, runtime, key, shape) => {
      const s = stats[key];
      const port = stats[`port-${shape}`]?.median;
      const py = stats[`python-${shape}`]?.median;
      if (!s) return [label, runtime, shape, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
      return [
        label,
        runtime,
        shape,
        s.n.toLocaleString('en-US'),
        rate(s.median),
        `${rate(s.low)} - ${rate(s.high)}`,
        port ? times(s.median / port) : 'n/a',
        py ? times(s.median / py) : 'n/a',
        s.bad.length === 0 ? `ok (${s.runs}/${s.runs})` : `WRONG: ${s.bad.join(', ')}`,
      ];
    };
    for (const shape of SHAPES) {
      rows.push(
        row('Queue: await put() -> for await', 'thread', `queue-${shape}`, shape),
        row('Queue: putSync() -> await get()', 'thread', `queueSync-${shape}`, shape),
        row('Queue: await put() -> for await, proxied', 'process', `process-${shape}`, shape),
        row('raw MessagePort (parentPort.postMessage)', 'thread', `port-${shape}`, shape),
        row('Python multiprocessing.Queue', `process (${python[shape].start_method ?? '?'})`, `python-${shape}`, shape),
      );
    }

    const targets = [];
    for (const shape of SHAPES) {
      const q = stats[`queue-${shape}`].median;
      const port = stats[`port-${shape}`].median;
      const py = stats[`python-${shape}`]?.median;
      targets.push(
        {
          target: `Queue thread '${shape}' messages: >= ${TARGET_VS_PORT}x a plain MessagePort`,
          value: `${times(q / port)} (${rate(q)} vs ${rate(port)} msgs/s)`,
          met: q / port >= TARGET_VS_PORT,
        },
        {
          target: `Queue thread '${shape}' messages: >= ${TARGET_VS_PYTHON}x Python multiprocessing.Queue`,
          value: py ? `${times(q / py)} (${rate(q)} vs ${rate(py)} msgs/s)` : 'n/a (no Python)',
          met: Boolean(py) && q / py >= TARGET_VS_PYTHON,
        },
      );
    }
    const allExact = Object.values(stats).every((s) => s.bad.length === 0);
    targets.push({ target: 'every message arrives once, in order, in every run', value: allExact ? 'yes' : 'NO', met: allExact });
    const pyInfo = python.int.error ?? python.object.error;
    const notes = [
      ...targets.map((t) => `${t.target}: ${t.value} (${t.met ? 'met' : 'NOT met'})`),
      'time of a run = consumer stamp after the last message - producer stamp before the first (one CLOCK_MONOTONIC clock); worker start-up is not included',
      pyInfo ? `Python rows: n/a, ${pyInfo}` : `Python ${python.int.python}`,
    ];
    return {
      header: ['variant', 'runtime', 'message', 'messages', 'median msgs/s', 'range msgs/s', 'vs MessagePort', 'vs Python', 'in order'],
      align: ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
      rows,
      notes,
      targets,
      data: { stats, python: pyInfo ? { error: pyInfo } : { version: python.int.python, startMethod: python.int.start_method } },
    };
  },
};
