/**
 * Python's context API: getContext, setStartMethod (once, unless forced), getStartMethod.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  Barrier,
  ContextAlreadySetError,
  getAllStartMethods,
  getContext,
  getDefaultRuntime,
  getStartMethod,
  InvalidArgumentError,
  InvalidStateError,
  Pool,
  Process,
  Queue,
  setStartMethod,
  Value,
} from 'multiproc';
import tasks from './fixtures/tasks.js';

afterEach(() => {
  setStartMethod(null, { force: true });
});

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('setStartMethod / getStartMethod', () => {
  it("starts unset, with 'thread' as the default", () => {
    expect(getStartMethod()).toBe('thread');
    expect(getStartMethod({ allowNone: true })).toBeNull();
    expect(getAllStartMethods()).toEqual(['thread', 'process']);
  });

  it("sets the process package's default runtime, which Process and Pool then use", async () => {
    setStartMethod('process');
    expect(getStartMethod()).toBe('process');
    expect(getStartMethod({ allowNone: true })).toBe('process');
    expect(getDefaultRuntime()).toBe('process');
    expect(new Process({ target: tasks.square, args: [2] }).runtime).toBe('process');
    await using pool = new Pool(1);
    expect(pool.runtime).toBe('process');
    expect((await pool.apply(tasks.where)).runtime).toBe('process');
    expect(getContext()).toBe(getContext('process'));
  });

  it('throws a typed error on a second call, and keeps the first choice', () => {
    setStartMethod('process');
    const error = thrown(() => setStartMethod('thread'));
    expect(ContextAlreadySetError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(ContextAlreadySetError);
    expect(InvalidStateError.isInstance(error)).toBe(true);
    expect(error.code).toBe('ERR_CONTEXT_ALREADY_SET');
    expect(error.name).toBe('ContextAlreadySetError');
    expect(error.message).toMatch(/already set to 'process'.*force: true/);
    expect(getStartMethod()).toBe('process');
    // Setting the same value again is a second call too, as in Python.
    expect(ContextAlreadySetError.isInstance(thrown(() => setStartMethod('process')))).toBe(true);
  });

  it('changes it anyway with force, and unsets it with null', () => {
    setStartMethod('process');
    setStartMethod('thread', { force: true });
    expect(getStartMethod()).toBe('thread');
    expect(getStartMethod({ allowNone: true })).toBe('thread');
    expect(ContextAlreadySetError.isInstance(thrown(() => setStartMethod(null)))).toBe(true);
    setStartMethod(null, { force: true });
    expect(getStartMethod({ allowNone: true })).toBeNull();
    setStartMethod('process'); // unset again: a plain call works
    expect(getStartMethod()).toBe('process');
  });

  it('rejects bad input at once', () => {
    for (const bad of ['fork', 'spawn', '', undefined, 1]) {
      const error = thrown(() => setStartMethod(bad as never));
      expect(InvalidArgumentError.isInstance(error), String(bad)).toBe(true);
    }
    expect(InvalidArgumentError.isInstance(thrown(() => setStartMethod('thread', { force: 'yes' as never })))).toBe(true);
    expect(getStartMethod({ allowNone: true })).toBeNull(); // nothing was set by the failed calls
  });
});

describe('getContext', () => {
  it('gives one context object per runtime', () => {
    expect(getContext('thread')).toBe(getContext('thread'));
    expect(getContext('process')).toBe(getContext('process'));
    expect(getContext('thread')).not.toBe(getContext('process'));
    expect(getContext()).toBe(getContext('thread'));
    expect(getContext('process').runtime).toBe('process');
    expect(getContext('process').getStartMethod()).toBe('process');
    expect(Object.isFrozen(getContext('thread'))).toBe(true);
  });

  it('binds Process and Pool to its runtime, whatever the default', async () => {
    setStartMethod('process');
    const ctx = getContext('thread');
    const child = new ctx.Process({ target: tasks.square, args: [3] });
    expect(child).toBeInstanceOf(Process);
    expect(child.runtime).toBe('thread');
    expect(ctx.Process.name).toBe('Process');
    await using pool = new ctx.Pool({ processes: 1 });
    expect(pool).toBeInstanceOf(Pool);
    expect(pool.runtime).toBe('thread');
    expect((await pool.apply(tasks.where)).runtime).toBe('thread');
    const ProcessCtx = getContext('process').Process;
    expect(new ProcessCtx({ target: tasks.square, name: 'p', runtime: 'process' }).runtime).toBe('process');
  });

  it('refuses a conflicting runtime in the options instead of ignoring it', () => {
    const ctx = getContext('thread');
    const error = thrown(() => new ctx.Process({ target: tasks.square, runtime: 'process' }));
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/runs on 'thread'.*getContext\('process'\)/);
    expect(InvalidArgumentError.isInstance(thrown(() => new ctx.Pool({ processes: 1, runtime: 'process' })))).toBe(true);
    // The base class still reports a missing options object.
    expect(InvalidArgumentError.isInstance(thrown(() => new ctx.Process(undefined as never)))).toBe(true);
  });

  it('shares the queues, locks and values themselves: they adapt to where they are passed', () => {
    for (const runtime of ['thread', 'process'] as const) {
      const ctx = getContext(runtime);
      expect(ctx.Queue).toBe(Queue);
      expect(ctx.Value).toBe(Value);
      expect(ctx.Barrier).toBe(Barrier);
    }
  });

  it('rejects an unknown runtime as Python rejects an unknown start method', () => {
    const error = thrown(() => getContext('fork' as never));
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/'thread' or 'process'/);
  });
});
