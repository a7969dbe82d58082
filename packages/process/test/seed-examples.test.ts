// The examples users port from Python's multiprocessing docs, run as real programs.
import { afterEach, describe, expect, it } from 'vitest';
import { Process } from '@multiproc/process';
import { more } from './fixtures/tasks.js';
import { RUNTIMES, isPidAlive, reapChildren, runScript, startScript, tempDir, waitFor } from './helpers.js';

afterEach(async () => {
  await reapChildren();
});

describe.each(RUNTIMES)('seed examples on the %s runtime', (runtime) => {
  it('a child prints 0..9, and all of it is out before join resolves', async () => {
    const result = await runScript('run-and-exit.mjs', ['print-numbers', runtime]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${Array.from({ length: 10 }, (_, i) => `${i}\n`).join('')}joined 0\n`);
  });

  it('three workers that each sleep run at the same time and finish together', async () => {
    const dir = tempDir();
    try {
      const children = [0, 1, 2].map(
        (i) => new Process({ target: more.stamp, args: [dir.path(`stamp-${i}.json`), 600], runtime }),
      );
      for (const child of children) child.start();
      const codes = await Promise.all(children.map((child) => child.join()));
      expect(codes).toEqual([0, 0, 0]);
      const stamps = [0, 1, 2].map((i) => dir.read<{ started: number; ended: number }>(`stamp-${i}.json`));
      // Every sleep began before any of them ended: they overlapped rather than ran one after another.
      const lastStart = Math.max(...stamps.map((s) => s.started));
      const firstEnd = Math.min(...stamps.map((s) => s.ended));
      expect(lastStart).toBeLessThan(firstEnd);
    } finally {
      dir.remove();
    }
  });

  it('a daemon that prints forever does not keep the program alive, and ends with it', async () => {
    const result = await runScript('run-and-exit.mjs', ['daemon', runtime], 20_000);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('daemon tick');
    expect(result.stdout).toContain('main done');
    const pid = Number(/daemon pid (\d+)/.exec(result.stdout)?.[1]);
    if (runtime === 'process') {
      // The daemon child process was ended when its parent exited.
      await waitFor(() => !isPidAlive(pid), 10_000, `daemon child ${pid} to end`);
    }
  });

  it('a non-daemon child is waited for before the program exits', async () => {
    const result = await runScript('run-and-exit.mjs', ['non-daemon-waited', runtime]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('main returns\nchild done\n');
  });

  it('an uncaught error in the child prints it to stderr and gives exit code 1', async () => {
    const result = await runScript('run-and-exit.mjs', ['uncaught', runtime]);
    expect(result.stdout).toBe('joined 1\n');
    expect(result.stderr).toMatch(/Process Process-1:\n/);
    expect(result.stderr).toContain('TypeError: visible failure');
  });
});

describe('a child process whose parent dies', () => {
  it('exits on IPC disconnect even when the parent was killed with SIGKILL', async () => {
    const parent = startScript('run-and-exit.mjs', ['parent-killed', 'process']);
    let stdout = '';
    parent.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    try {
      await waitFor(() => /child pid \d+/.test(stdout), 15_000, 'the child pid');
      const childPid = Number(/child pid (\d+)/.exec(stdout)?.[1]);
      // Give the child time to boot fully, then kill the parent without a chance to clean up.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(isPidAlive(childPid)).toBe(true);
      parent.kill('SIGKILL');
      await exited;
      await waitFor(() => !isPidAlive(childPid), 10_000, `orphaned child ${childPid} to exit`);
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
      await exited;
    }
  });
});
