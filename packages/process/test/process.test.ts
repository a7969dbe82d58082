import { afterEach, describe, expect, it } from 'vitest';
import { constants } from 'node:os';
import { ClosedError, InvalidArgumentError, InvalidStateError, NotCloneableError } from '@multiproc/transport';
import { activeChildren, Process } from '@multiproc/process';
import tasks, { more } from './fixtures/tasks.js';
import { RUNTIMES, reapChildren, tempDir, waitFor } from './helpers.js';

afterEach(async () => {
  await reapChildren();
});

describe.each(RUNTIMES)('Process on the %s runtime', (runtime) => {
  it('runs a defineTasks target with its arguments and exits with 0', async () => {
    const dir = tempDir();
    try {
      const child = new Process({ target: more.writeJson, args: [dir.path('out.json'), { n: 42, list: [1, 2] }], runtime });
      expect(child.exitCode).toBeNull();
      expect(child.isAlive()).toBe(false);
      child.start();
      expect(child.isAlive()).toBe(true);
      expect(await child.join()).toBe(0);
      expect(child.exitCode).toBe(0);
      expect(child.isAlive()).toBe(false);
      expect(dir.read('out.json')).toEqual({ n: 42, list: [1, 2] });
    } finally {
      dir.remove();
    }
  });

  it('imports the task module as a child: isMainProcess() is false at its top level', async () => {
    const { default: topLevel } = await import('./fixtures/top-level.js');
    const dir = tempDir();
    try {
      const child = new Process({ target: topLevel.report, args: [dir.path('out.json')], runtime, name: 'TopLevel' });
      child.start();
      expect(await child.join()).toBe(0);
      expect(dir.read('out.json')).toEqual({ isMain: false, name: 'TopLevel', connected: true });
    } finally {
      dir.remove();
    }
  });

  it('exits with 1 when the task module cannot be imported', async () => {
    const missing = new URL('./fixtures/no-such-module.js', import.meta.url).href;
    const child = new Process({ target: { module: missing, name: 'task' }, runtime });
    child.start();
    expect(await child.join()).toBe(1);
  });

  it('exits with n after process.exit(n)', async () => {
    const child = new Process({ target: tasks.exitWith, args: [7], runtime });
    child.start();
    expect(await child.join()).toBe(7);
  });

  it('exits with 1 when the target throws or an error is uncaught in a timer', async () => {
    const thrown = new Process({ target: tasks.fail, args: ['expected failure (test)'], runtime });
    const later = new Process({ target: tasks.failLater, args: ['expected timer failure (test)'], runtime });
    thrown.start();
    later.start();
    expect(await thrown.join()).toBe(1);
    expect(await later.join()).toBe(1);
  });

  it('exits with -15 after terminate() and -9 after kill()', async () => {
    const terminated = new Process({ target: tasks.forever, runtime });
    const killed = new Process({ target: tasks.forever, runtime });
    terminated.start();
    killed.start();
    expect(await terminated.join(300)).toBeNull();
    expect(terminated.isAlive()).toBe(true);
    terminated.terminate();
    killed.kill();
    expect(await terminated.join()).toBe(-15);
    expect(await killed.join()).toBe(-9);
    // Ending an ended process changes nothing.
    terminated.kill();
    expect(terminated.exitCode).toBe(-15);
  });

  it('join(timeoutMs) resolves null while running and the exit code once done', async () => {
    const child = new Process({ target: tasks.sleep, args: [400], runtime });
    child.start();
    expect(await child.join(50)).toBeNull();
    expect(await child.join(20_000)).toBe(0);
  });

  it('runs a self-contained inline function, async ones too', async () => {
    const dir = tempDir();
    try {
      const child = new Process({
        target: async (path: string, a: number, b: number) => {
          const fs = await import('node:fs');
          fs.writeFileSync(path, JSON.stringify(a * b));
        },
        args: [dir.path('product.json'), 6, 7],
        runtime,
      });
      child.start();
      expect(await child.join()).toBe(0);
      expect(dir.read('product.json')).toBe(42);
    } finally {
      dir.remove();
    }
  });

  it('runs a { module, name } reference', async () => {
    const dir = tempDir();
    try {
      const child = new Process({
        target: { module: new URL('./fixtures/tasks.js', import.meta.url).href, name: 'writeJson' },
        args: [dir.path('ref.json'), 'by reference'],
        runtime,
      });
      child.start();
      expect(await child.join()).toBe(0);
      expect(dir.read('ref.json')).toBe('by reference');
    } finally {
      dir.remove();
    }
  });

  it('passes a task reference as an argument and it is callable on the other side', async () => {
    const dir = tempDir();
    try {
      const child = new Process({ target: more.callTaskArgument, args: [more.double, dir.path('called.json'), 21], runtime });
      child.start();
      expect(await child.join()).toBe(0);
      expect(dir.read('called.json')).toBe(42);
    } finally {
      dir.remove();
    }
  });

  it('tells the child who it is and who its parent is', async () => {
    const dir = tempDir();
    try {
      const child = new Process({ target: more.reportSelf, args: [dir.path('self.json')], runtime, name: 'reporter', env: { ...process.env, MULTIPROC_TEST_VALUE: 'from-env' } });
      child.start();
      expect(await child.join()).toBe(0);
      const report = dir.read<Record<string, unknown>>('self.json');
      expect(report).toMatchObject({
        name: 'reporter',
        runtime,
        daemon: false,
        isMain: false,
        parent: { name: 'MainProcess', pid: process.pid, alive: true },
        env: 'from-env',
        bootMarker: null,
      });
      if (runtime === 'process') expect(report['pid']).toBe(child.pid);
      else expect(report['pid']).toBe(process.pid);
    } finally {
      dir.remove();
    }
  });

  it('names children Process-N and grandchildren Process-N:M, as Python does', async () => {
    const dir = tempDir();
    try {
      const child = new Process({ target: more.spawnGrandchild, args: [dir.path('grandchild.json'), runtime], runtime });
      child.start();
      expect(child.name).toMatch(/^Process-\d+$/);
      expect(await child.join()).toBe(0);
      const report = dir.read<{ name: string; parent: { name: string } }>('grandchild.json');
      expect(report.name).toBe(`${child.name}:1`);
      expect(report.parent.name).toBe(child.name);
    } finally {
      dir.remove();
    }
  });

  it('refuses misuse with typed errors', async () => {
    const child = new Process({ target: tasks.sleep, args: [10], runtime });
    expect(() => child.join()).toThrow(InvalidStateError);
    child.daemon = true;
    child.daemon = false;
    child.start();
    expect(() => child.start()).toThrow(InvalidStateError);
    expect(() => {
      child.daemon = true;
    }).toThrow(/after it was started/);
    expect(() => child.close()).toThrow(/still running/);
    expect(() => child.join(-1)).toThrow(InvalidArgumentError);
    expect(await child.join()).toBe(0);
    child.close();
    for (const use of [() => child.start(), () => child.join(), () => child.isAlive(), () => child.terminate(), () => child.kill()]) {
      expect(use).toThrow(InvalidStateError);
    }
    try {
      child.join();
    } catch (error) {
      expect(InvalidStateError.isInstance(error)).toBe(true);
      expect((error as InvalidStateError).code).toBe('ERR_INVALID_STATE');
    }
  });

  it('refuses an argument that cannot be cloned before spawning, naming its path', () => {
    const before = activeChildren().length;
    const child = new Process({ target: more.writeJson, args: ['x', { callback: () => 1 }] as never, runtime });
    let caught: unknown;
    try {
      child.start();
    } catch (error) {
      caught = error;
    }
    expect(NotCloneableError.isInstance(caught)).toBe(true);
    expect((caught as NotCloneableError).path).toBe('args[1].callback');
    expect(child.pid).toBeUndefined();
    expect(activeChildren().length).toBe(before);
  });

  it('lists running children in activeChildren()', async () => {
    const child = new Process({ target: tasks.forever, runtime });
    child.start();
    expect(activeChildren()).toContain(child);
    child.terminate();
    await child.join();
    expect(activeChildren()).not.toContain(child);
  });

  it('keeps a connection to the worker that closes when it exits', async () => {
    const child = new Process({ target: tasks.sleep, args: [50], runtime });
    expect(child.connection).toBeUndefined();
    child.start();
    const connection = child.connection;
    expect(connection?.closed).toBe(false);
    await child.join();
    expect(connection?.closed).toBe(true);
    expect(() => connection?.send(16, 'late')).toThrow(ClosedError);
  });
});

describe('bad options', () => {
  it('throws InvalidArgumentError at construction', () => {
    expect(() => new Process({ target: 42 as never })).toThrow(InvalidArgumentError);
    expect(() => new Process({ target: Math.max })).toThrow(/native or bound/);
    expect(() => new Process({ target: tasks.sleep, runtime: 'fiber' as never })).toThrow(/'thread' or 'process'/);
    expect(() => new Process({ target: tasks.sleep, args: 5 as never })).toThrow(/args must be an array/);
    expect(() => new Process({ target: tasks.sleep, daemon: 'yes' as never })).toThrow(/daemon must be a boolean/);
    expect(() => new Process({ target: { module: 'relative/path.js', name: 'x' } })).toThrow(/URL or an absolute path/);
  });
});

describe('child processes killed by a signal', () => {
  it('report -N for signal N', async () => {
    const child = new Process({ target: tasks.forever, runtime: 'process' });
    child.start();
    await waitFor(() => child.pid !== undefined, 5_000, 'a pid');
    // Let the child boot so the signal is not delivered before its handlers exist.
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(child.pid as number, 'SIGUSR2');
    expect(await child.join()).toBe(-constants.signals.SIGUSR2);
  });
});
