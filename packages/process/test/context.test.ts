import { afterEach, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '@multiproc/transport';
import {
  cpuCount,
  currentProcess,
  getDefaultRuntime,
  isMainProcess,
  parentConnection,
  parentProcess,
  Process,
  setDefaultRuntime,
} from '@multiproc/process';
import tasks from './fixtures/tasks.js';

afterEach(() => {
  setDefaultRuntime('thread');
});

describe('context in the main program', () => {
  it('describes the main process', () => {
    expect(isMainProcess()).toBe(true);
    expect(currentProcess()).toMatchObject({ name: 'MainProcess', pid: process.pid, runtime: 'main', daemon: false });
    expect(parentProcess()).toBeNull();
    expect(parentConnection()).toBeUndefined();
    expect(cpuCount()).toBe(availableParallelism());
  });
});

describe('default runtime', () => {
  it('is thread, and setDefaultRuntime changes what Process uses', async () => {
    expect(getDefaultRuntime()).toBe('thread');
    expect(new Process({ target: tasks.sleep, args: [1] }).runtime).toBe('thread');
    setDefaultRuntime('process');
    expect(getDefaultRuntime()).toBe('process');
    const child = new Process({ target: tasks.sleep, args: [1] });
    expect(child.runtime).toBe('process');
    child.start();
    expect(await child.join()).toBe(0);
    expect(child.pid).not.toBe(process.pid);
  });

  it('refuses unknown runtimes', () => {
    expect(() => setDefaultRuntime('cluster' as never)).toThrow(InvalidArgumentError);
  });
});
