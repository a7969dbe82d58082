import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidArgumentError, UnsupportedError } from '@multiproc/transport';
import { defineTasks, describeTask, Process, resolveTask, taskReference, type TaskArgs, type TaskResult } from '@multiproc/process';
import tsTasks from './fixtures/tasks-ts.js';
import { reapChildren, tempDir } from './helpers.js';

afterEach(async () => {
  await reapChildren();
});

const local = defineTasks(import.meta.url, {
  add: (a: number, b: number) => a + b,
  async greet(name: string) {
    return `hello ${name}`;
  },
});

describe('defineTasks', () => {
  it('returns the same functions, tagged with module and name', () => {
    expect(local.add(2, 3)).toBe(5);
    expect(taskReference(local.add)).toEqual({ module: import.meta.url, name: 'add' });
    expect(taskReference(() => 1)).toBeUndefined();
    expect(describeTask(local.greet)).toEqual({ kind: 'ref', module: import.meta.url, name: 'greet' });
  });

  it('carries argument and result types to callers', () => {
    expectTypeOf<TaskArgs<typeof local.add>>().toEqualTypeOf<[a: number, b: number]>();
    expectTypeOf<TaskResult<typeof local.greet>>().toEqualTypeOf<string>();
    // @ts-expect-error a string is not a number argument of add
    void new Process({ target: local.add, args: ['1', 2] });
  });

  it('refuses bad input with InvalidArgumentError', () => {
    expect(() => defineTasks('tasks.js', {})).toThrow(InvalidArgumentError);
    expect(() => defineTasks(import.meta.url, { notAFunction: 3 } as never)).toThrow(/not a function/);
    expect(() => defineTasks(import.meta.url, { add: (a: number) => a })).toThrow(/defined twice/);
  });
});

describe('inline tasks', () => {
  it('are sent as source and compiled once', async () => {
    const fn = await resolveTask(describeTask((a: number, b: number) => a * b));
    expect(fn(6, 7)).toBe(42);
    const again = await resolveTask(describeTask((a: number, b: number) => a * b));
    expect(again).toBe(fn);
  });

  it('accept method shorthand and async functions', async () => {
    const holder = {
      triple(n: number) {
        return n * 3;
      },
    };
    expect((await resolveTask(describeTask(holder.triple)))(5)).toBe(15);
    const asyncFn = await resolveTask(describeTask(async (n: number) => n + 1));
    await expect(asyncFn(1)).resolves.toBe(2);
  });

  it('get the __name helper that esbuild-based tools insert', async () => {
    // What tsx and vitest emit for a named inner function when keepNames is on.
    const source = 'function outer(n) { const inner = __name((x) => x + 1, "inner"); return inner(n) + inner.name.length; }';
    const fn = await resolveTask({ kind: 'inline', source, name: 'outer' });
    expect(fn(1)).toBe(2 + 'inner'.length);
  });

  it('rethrow a ReferenceError with a hint that they cannot capture variables', async () => {
    const captured = 41;
    const fn = await resolveTask(describeTask(() => captured + 1));
    // Here, `captured` is not defined inside the compiled copy, as in a worker.
    expect(() => fn()).toThrow(/cannot capture variables/);
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(ReferenceError);
      expect((error as Error).stack).toMatch(/^ReferenceError: captured is not defined/);
    }
  });
});

describe('TypeScript task modules', () => {
  it('run in a child process with a loader (tsx) from execArgv', async () => {
    const dir = tempDir();
    try {
      const child = new Process({
        target: tsTasks.sumTo,
        args: [dir.path('sum.json'), [1, 2, 3, 4]],
        runtime: 'process',
        execArgv: ['--import', 'tsx'],
      });
      child.start();
      expect(await child.join()).toBe(0);
      expect(dir.read('sum.json')).toEqual({ sum: 10, from: 'typescript' });
    } finally {
      dir.remove();
    }
  });

  it('on a worker thread of a Node.js without type stripping, fail at start() with what to do', () => {
    const child = new Process({ target: { module: new URL('./fixtures/tasks-ts.ts', import.meta.url).href, name: 'sumTo' }, runtime: 'thread' });
    const stripsTypes = typeof (process.features as { typescript?: unknown }).typescript === 'string';
    if (stripsTypes) {
      // Node 22.18+: the thread can load it; nothing to refuse.
      expect(() => child.start()).not.toThrow();
      child.kill();
      return;
    }
    let caught: unknown;
    try {
      child.start();
    } catch (error) {
      caught = error;
    }
    expect(UnsupportedError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/22\.18/);
    expect((caught as Error).message).toMatch(/runtime: 'process'/);
    expect(child.pid).toBeUndefined();
  });
});
