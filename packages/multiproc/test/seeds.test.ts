/**
 * Python's seed examples, written against `multiproc` alone, under both contexts: `getContext('thread')`
 * (worker threads) and `getContext('process')` (child processes). Queues, values, pipes and barriers are
 * the same classes in both; only Process and Pool are bound to the context's runtime.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { activeChildren, getContext, isMainProcess, type Connection, type Runtime } from 'multiproc';
import tasks from './fixtures/tasks.js';

const RUNTIMES: Runtime[] = ['thread', 'process'];
const closers: Array<{ close(): void }> = [];
function track<T extends { close(): void }>(handle: T): T {
  closers.push(handle);
  return handle;
}

afterEach(async () => {
  for (const child of activeChildren()) {
    if (child.exitCode === null && child.pid !== undefined) {
      child.kill();
      await child.join();
    }
  }
  for (const handle of closers.splice(0)) handle.close();
});

function runSeeds(runtime: Runtime): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = fileURLToPath(new URL('./fixtures/seeds.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, runtime], { timeout: 30_000 }, (error, stdout, stderr) => {
      const err = error as (Error & { code?: number | string; killed?: boolean }) | null;
      if (err?.killed) reject(new Error(`seeds.mjs ${runtime} did not exit within 30 s (a daemon kept it alive?)\n${stdout}\n${stderr}`));
      else resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('the test itself runs in the main process', () => {
  expect(isMainProcess()).toBe(true);
});

describe.each(RUNTIMES)("Python's seed examples in getContext('%s')", (runtime) => {
  const ctx = getContext(runtime);

  it('a child prints numbers; a daemon child neither keeps its parent alive nor outlives it (separate program)', async () => {
    const run = await runSeeds(runtime);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([`Process-1 on ${runtime}:`, '0', '1', '2', '3', '4', 'exit code 0']);
    expect(lines[7]).toBe('daemon started: true, alive: true');
    const pid = Number(/^main exits without joining pid (\d+)$/.exec(lines[8] ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(run.stdout).not.toContain('daemon still running');
    if (runtime === 'process') {
      // The daemon child process ends with its parent (bounded generously: seconds, on a loaded machine).
      const deadline = Date.now() + 10_000;
      while (isRunning(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(isRunning(pid)).toBe(false);
    }
  });

  it('a pool maps squares, its workers on the context runtime', async () => {
    await using pool = new ctx.Pool(2);
    expect(pool.runtime).toBe(runtime);
    expect(await pool.map(tasks.square, Array.from({ length: 20 }, (_, i) => i))).toEqual(
      Array.from({ length: 20 }, (_, i) => i * i),
    );
    const where = await pool.apply(tasks.where);
    expect(where.runtime).toBe(runtime);
    if (runtime === 'process') expect(where.pid).not.toBe(process.pid);
    else expect([where.pid, where.threadId === 0]).toEqual([process.pid, false]);
  });

  it('a producer process puts on a Queue, the parent consumes', async () => {
    const queue = track(new ctx.Queue<number | null>());
    const producer = new ctx.Process({ target: tasks.produce, args: [queue, 50] });
    expect(producer.runtime).toBe(runtime);
    producer.start();
    const got: number[] = [];
    for (let item = await queue.get({ timeout: 20_000 }); item !== null; item = await queue.get({ timeout: 20_000 })) got.push(item);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await producer.join()).toBe(0);
  });

  it('10 processes increment a shared Value under its lock: no update is lost', async () => {
    const counter = new ctx.Value('i', 0);
    const workers = Array.from({ length: 10 }, () => new ctx.Process({ target: tasks.increment, args: [counter, 50] }));
    for (const worker of workers) worker.start();
    expect(await Promise.all(workers.map((worker) => worker.join()))).toEqual(Array(10).fill(0));
    expect(counter.value).toBe(500);
  });

  it('a daemon process is flagged, runs, and is ended on request', async () => {
    const started = track(new ctx.Queue<boolean>());
    const daemon = new ctx.Process({ target: tasks.forever, args: [started], daemon: true });
    expect(daemon.daemon).toBe(true);
    daemon.start();
    expect(await started.get({ timeout: 20_000 })).toBe(true); // the child sees itself as a daemon
    expect(daemon.isAlive()).toBe(true);
    daemon.terminate();
    expect(await daemon.join()).toBe(-15);
  });

  it('three workers sleep at the same time: every start comes before any end', async () => {
    const log = track(new ctx.Queue<[string, number]>());
    const sleepers = [1, 2, 3].map((id) => new ctx.Process({ target: tasks.sleeper, args: [id, 1_500, log] }));
    for (const sleeper of sleepers) sleeper.start();
    expect(await Promise.all(sleepers.map((sleeper) => sleeper.join()))).toEqual([0, 0, 0]);
    const events: Array<[string, number]> = [];
    for (let i = 0; i < 6; i++) events.push(await log.get({ timeout: 5_000 }));
    expect(events.slice(0, 3).map(([kind]) => kind)).toEqual(['start', 'start', 'start']);
    expect(events.slice(3).map(([kind]) => kind)).toEqual(['end', 'end', 'end']);
    expect(events.map(([, id]) => id).sort()).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('a Pipe carries messages both ways between parent and child', async () => {
    const [parentEnd, childEnd] = ctx.Pipe<unknown>();
    track(parentEnd);
    track(childEnd);
    const child = new ctx.Process({ target: tasks.pipeChild, args: [childEnd as Connection] });
    child.start();
    parentEnd.send({ hello: 'child', n: 42 });
    expect(await parentEnd.recv()).toBe('child got {"hello":"child","n":42}');
    expect(await parentEnd.recv()).toBe(runtime);
    expect(await child.join()).toBe(0);
  });

  it('a Barrier lets nobody through until all three parties arrived', async () => {
    const barrier = new ctx.Barrier(3);
    const log = track(new ctx.Queue<[string, number, number?]>());
    const parties = [1, 2, 3].map((id) => new ctx.Process({ target: tasks.barrierParty, args: [barrier, id, log] }));
    for (const party of parties) party.start();
    expect(await Promise.all(parties.map((party) => party.join()))).toEqual([0, 0, 0]);
    const events: Array<[string, number, number?]> = [];
    for (let i = 0; i < 6; i++) events.push(await log.get({ timeout: 5_000 }));
    expect(events.slice(0, 3).map(([kind]) => kind)).toEqual(['before', 'before', 'before']);
    const after = events.slice(3);
    expect(after.map(([kind]) => kind)).toEqual(['after', 'after', 'after']);
    expect(after.map(([, , index]) => index).sort()).toEqual([0, 1, 2]); // each party got its own index
    expect(barrier.broken).toBe(false);
  });
});
