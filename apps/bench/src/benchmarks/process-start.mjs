/**
 * Benchmark 1: Process start-to-exit latency.
 *
 * One operation = create the worker, start it, and wait until it has ended (for multiproc: `new Process`,
 * `start()`, `await join()`) with a no-op target. Rows:
 *  - multiproc Process, runtime 'thread'   vs  raw `new Worker(noop file)` + 'exit'   (target: within 10%), cold
 *  - the floor of any thread Process with this package layout: a raw `new Worker` whose file only imports the
 *    task module (fixtures/tasks.mjs, which imports @multiproc/process for defineTasks, as a user's module
 *    does) and calls the no-op: no parent link, no exit-code protocol, no error reporting
 *  - multiproc Process, runtime 'thread', taking the warm standby (stretch target: under 5 ms)
 *  - multiproc Process, runtime 'process'  vs  raw `child_process.fork(noop file)` + 'exit'
 *  - Python multiprocessing.Process with the fork, spawn and forkserver start methods (python3 subprocess)
 * The Node rows are measured round-robin in this process; then the Python script runs alone.
 */
import { once } from 'node:events';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Process } from '@multiproc/process';
import tasks from '../fixtures/tasks.mjs';
import { roundRobin } from '../lib/measure.mjs';
import { runPythonScript } from '../lib/python.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
import { percent, summarize } from '../lib/stats.mjs';
import { ms } from '../lib/table.mjs';

const NOOP_WORKER = new URL('../fixtures/noop-worker.mjs', import.meta.url);
const IMPORT_TASK_WORKER = new URL('../fixtures/import-task-worker.mjs', import.meta.url);
const TASKS_MODULE = new URL('../fixtures/tasks.mjs', import.meta.url).href;
const NOOP_CHILD = fileURLToPath(new URL('../fixtures/noop-child.mjs', import.meta.url));
const PY_METHODS = ['fork', 'spawn', 'forkserver'];

// `execArgv` set explicitly (to the same flags) makes a Process ineligible for the warm standby: a cold start.
async function multiproc(runtime, { warm = false } = {}) {
  const p = new Process({ target: tasks.noop, runtime, ...(warm ? {} : { execArgv: process.execArgv }) });
  p.start();
  const code = await p.join();
  if (code !== 0) throw new Error(`multiproc ${runtime} process exited with ${code}`);
}

async function rawWorker() {
  const worker = new Worker(NOOP_WORKER);
  const [code] = await once(worker, 'exit');
  if (code !== 0) throw new Error(`raw Worker exited with ${code}`);
}

async function importTaskWorker() {
  const worker = new Worker(IMPORT_TASK_WORKER, { workerData: { module: TASKS_MODULE, name: 'noop' } });
  const [code] = await once(worker, 'exit');
  if (code !== 0) throw new Error(`the import-task worker exited with ${code}`);
}

async function rawFork() {
  const child = fork(NOOP_CHILD);
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`raw fork exited with ${code}`);
}

/** Runs process_start.py; resolves { version, samples, skipped } or { error }. */
async function runPython({ runs, warmup }) {
  const parsed = await runPythonScript('process_start.py', undefined, { runs, warmup, methods: PY_METHODS.join(',') });
  return parsed.error ? parsed : { version: parsed.python, samples: parsed.samples, skipped: parsed.skipped ?? [] };
}

export default {
  name: 'process-start',
  title: 'Process start-to-exit latency (no-op target: start() + join())',
  defaults: { runs: 50, warmup: 5 },

  /** @param {{ runs: number, warmup: number, log: (line: string) => void }} ctx */
  async run({ runs, warmup, log }) {
    const node = [
      { name: 'thread', run: () => multiproc('thread') },
      // Takes the standby prepared after the previous take (the other variants give it time to boot).
      // After each take, the next standby boots in the background (once the taker has ended): wait for it,
      // untimed, so that its boot neither slows the next variant's timed run nor is missing at the next take.
      { name: 'threadWarm', run: () => multiproc('thread', { warm: true }), after: () => sleep(150) },
      { name: 'rawWorker', run: rawWorker },
      { name: 'importTask', run: importTaskWorker },
      { name: 'process', run: () => multiproc('process') },
      { name: 'rawFork', run: rawFork },
    ];
    log(`Node: ${node.length} variants x (${warmup} warm-up + ${runs} runs), round-robin`);
    const samples = await roundRobin(node, { runs, warmup });
    log(`Python: multiprocessing ${PY_METHODS.join('/')} x (${warmup} warm-up + ${runs} runs)`);
    const py = await runPython({ runs, warmup });

    const s = Object.fromEntries([...samples].map(([name, xs]) => [name, summarize(xs)]));
    const worker = s.rawWorker.median;
    const forked = s.rawFork.median;
    const ratio = (stats, base, label) => (stats && Number.isFinite(stats.median) ? `${(stats.median / base).toFixed(2)}x ${label}` : 'n/a');
    const row = (label, runtime, stats, vs) => [label, runtime, ms(stats?.median), ms(stats?.p90), vs];

    const rows = [
      row("multiproc Process, runtime 'thread'", 'thread', s.thread, ratio(s.thread, worker, 'raw Worker')),
      row('raw new Worker(file) + exit', 'thread', s.rawWorker, '1.00x (baseline)'),
      row('floor: raw Worker importing the task module, calling it', 'thread', s.importTask, ratio(s.importTask, worker, 'raw Worker')),
      row("multiproc Process, 'thread', warm standby", 'thread', s.threadWarm, ratio(s.threadWarm, worker, 'raw Worker')),
      row("multiproc Process, runtime 'process'", 'process', s.process, ratio(s.process, forked, 'raw fork')),
      row('raw child_process.fork(file) + exit', 'process', s.rawFork, '1.00x (baseline)'),
    ];
    const pyStats = {};
    for (const method of PY_METHODS) {
      const xs = py.samples?.[method];
      pyStats[method] = xs ? summarize(xs) : undefined;
      rows.push(row(`Python multiprocessing, ${method}`, 'process', pyStats[method], ratio(pyStats[method], forked, 'raw fork')));
    }

    const threadVsWorker = s.thread.median / worker;
    const notes = [
      `thread runtime vs raw Worker: ${percent(threadVsWorker)} (target: within +10%${threadVsWorker <= 1.1 ? ', met' : ', NOT met'})`,
      `the floor (a raw Worker that only imports the task module and calls it): ${percent(s.importTask.median / worker)} over raw Worker; multiproc's own cost above that floor: ${percent(s.thread.median / s.importTask.median)}`,
      `warm standby start+join: ${ms(s.threadWarm.median)} ms median (stretch target: under 5 ms${s.threadWarm.median < 5 ? ', met' : ', NOT met'}; below Python spawn/forkserver: ${
        pyStats.spawn && pyStats.forkserver && s.threadWarm.median < Math.min(pyStats.spawn.median, pyStats.forkserver.median) ? 'yes' : 'no'
      })`,
      `process runtime vs raw fork: ${percent(s.process.median / forked)}`,
      py.error ? `Python rows: n/a, ${py.error}` : `Python ${py.version}${py.skipped.length ? ` (start methods not available: ${py.skipped.join(', ')})` : ''}`,
    ];
    const targets = [
      { target: 'thread runtime start+join within +10% of a raw Worker', value: percent(threadVsWorker), met: threadVsWorker <= 1.1 },
      { target: 'warm standby start+join under 5 ms (stretch)', value: `${ms(s.threadWarm.median)} ms`, met: s.threadWarm.median < 5 },
    ];
    return {
      targets,
      header: ['variant', 'runtime', 'median ms', 'p90 ms', 'vs baseline'],
      align: ['l', 'l', 'r', 'r', 'l'],
      rows,
      notes,
      data: { node: s, python: py.error ? { error: py.error } : { version: py.version, stats: pyStats } },
    };
  },
};
