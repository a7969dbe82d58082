/**
 * The multiproc demo: what Python's `multiprocessing.Process` examples look like in TypeScript/JavaScript.
 * Run it with `pnpm run example` from the repository root (or `pnpm --filter @multiproc/example start`).
 *
 *   1. a child that prints 0..9, on both runtimes ('thread' = worker_threads, 'process' = child_process.fork);
 *   2. three workers that each sleep, started together, finishing together;
 *   3. exit codes as Python reports them: 0, n for process.exit(n), 1 for an uncaught error,
 *      -15 after terminate(), -9 after kill().
 */
import { Process, cpuCount } from '@multiproc/process';
import tasks from './tasks.mjs';

/** @type {import('@multiproc/process').Runtime[]} */
const RUNTIMES = ['thread', 'process'];
const SLEEP_MS = 1_500;

console.log(`multiproc demo on Node.js ${process.version}, ${cpuCount()} CPUs`);

console.log('\n== 1. a child prints 0..9 ==');
for (const runtime of RUNTIMES) {
  const child = new Process({ target: tasks.printNumbers, args: [10], runtime });
  child.start();
  const code = await child.join();
  console.log(`${runtime}: ${child.name} exited with code ${code}`);
}

console.log(`\n== 2. three workers sleep ${SLEEP_MS} ms each, at the same time ==`);
for (const runtime of RUNTIMES) {
  console.log(`${runtime}:`);
  const started = performance.now();
  const workers = [1, 2, 3].map((id) => new Process({ target: tasks.sleeper, args: [id, SLEEP_MS], runtime }));
  for (const worker of workers) worker.start();
  const codes = await Promise.all(workers.map((worker) => worker.join()));
  const elapsed = Math.round(performance.now() - started);
  console.log(`${runtime}: all 3 joined with codes ${codes.join(', ')} after ${elapsed} ms (one after another: ${3 * SLEEP_MS} ms or more)`);
}

console.log('\n== 3. exit codes ==');
for (const runtime of RUNTIMES) {
  const ok = new Process({ target: tasks.ok, runtime });
  const exit3 = new Process({ target: tasks.exitWith, args: [3], runtime });
  const failing = new Process({ target: tasks.fail, runtime });
  const terminated = new Process({ target: tasks.forever, runtime });
  const killed = new Process({ target: tasks.forever, runtime });
  for (const p of [ok, exit3, failing, terminated, killed]) p.start();
  terminated.terminate();
  killed.kill();
  const [a, b, c, d, e] = await Promise.all([ok, exit3, failing, terminated, killed].map((p) => p.join()));
  console.log(`${runtime}: returned -> ${a}, process.exit(3) -> ${b}, uncaught error -> ${c}, terminate() -> ${d}, kill() -> ${e}`);
}

console.log('\ndone');
