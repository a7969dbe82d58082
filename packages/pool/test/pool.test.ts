import { afterEach, describe, expect, it } from 'vitest';
import { AbortError, ClosedError, InvalidArgumentError, InvalidStateError, NotCloneableError, TimeoutError } from '@multiproc/transport';
import { AsyncResult, Pool } from '@multiproc/pool';
import tasks, { more } from './fixtures/tasks.js';
import { RUNTIMES, collectUnhandledRejections, counts, runScript, tempDir } from './helpers.js';

const pools: Pool[] = [];
function pool(options: ConstructorParameters<typeof Pool>[0]): Pool {
  const created = new Pool(options);
  pools.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.terminate()));
});

describe.each(RUNTIMES)('Pool on the %s runtime', (runtime) => {
  it('apply, map, starmap, imap and imapUnordered compute the right results', async () => {
    const p = pool({ processes: 2, runtime });
    expect(await p.apply(tasks.add, [2, 3])).toBe(5);
    expect(await p.apply((a: number, b: number) => a * b, [6, 7])).toBe(42);
    expect(await p.map(tasks.square, [1, 2, 3, 4])).toEqual([1, 4, 9, 16]);
    expect(await p.starmap(tasks.add, [[1, 2], [3, 4], [5, 6]])).toEqual([3, 7, 11]);
    const ordered: number[] = [];
    for await (const value of p.imap(tasks.square, [1, 2, 3, 4, 5])) ordered.push(value as number);
    expect(ordered).toEqual([1, 4, 9, 16, 25]);
    const unordered: number[] = [];
    for await (const value of p.imapUnordered(tasks.square, [1, 2, 3, 4, 5], { chunksize: 2 })) unordered.push(value as number);
    expect(unordered.sort((a, b) => a - b)).toEqual([1, 4, 9, 16, 25]);
  });

  it('map chunks of numbers travel packed and come back exactly (NaN, -0, 1e300, integers past 2 ** 53)', async () => {
    const p = pool({ processes: 2, runtime });
    const special = [Number.NaN, -0, 0, 1e300, -1e-300, 2 ** 53, 2 ** 53 + 2, -(2 ** 31), 2 ** 31, Infinity, -Infinity, 0.1, Number.MIN_VALUE];
    const floats = Array.from({ length: 1000 }, (_, i) => special[i % special.length] as number);
    const identity = (x: unknown): unknown => x;
    const same = (actual: unknown[], expected: unknown[]): void => {
      expect(Array.isArray(actual)).toBe(true);
      expect(actual).toHaveLength(expected.length);
      const differing = expected.filter((value, i) => !Object.is(actual[i], value));
      expect(differing).toEqual([]);
    };
    same(await p.map(identity, floats, { chunksize: 100 }), floats);
    same(await p.map(identity, floats), floats);
    // One chunk only: resolved with a plain array too.
    same(await p.map(identity, floats, { chunksize: 5000 }), floats);
    // All int32: packed as an Int32Array; -0 is not an int32 and must stay -0.
    const ints = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? i : -i * 4096));
    same(await p.map(identity, ints, { chunksize: 100 }), ints);
    same(await p.map((n: number) => (n % 3 === 0 ? -0 : n), ints, { chunksize: 100 }), ints.map((n) => (n % 3 === 0 ? -0 : n)));
    // The task sees numbers; results that outgrow int32 or are fractional come back exact.
    same(await p.map((n: number) => typeof n, ints, { chunksize: 64 }), ints.map(() => 'number'));
    same(await p.map((n: number) => n * 2 ** 40 + 0.5, ints, { chunksize: 64 }), ints.map((n) => n * 2 ** 40 + 0.5));
    same(await p.map((n: number) => n * n, ints, { chunksize: 64 }), ints.map((n) => n * n));
    // starmap results and imap chunks that are all numbers come back as numbers, in order.
    const pairs = ints.map((n) => [n, 0.25] as [number, number]);
    same(await p.starmap((a: number, b: number) => a + b, pairs, { chunksize: 100 }), ints.map((n) => n + 0.25));
    const streamed: unknown[] = [];
    for await (const value of p.imap((n: number) => n / 3, ints, { chunksize: 100 })) streamed.push(value);
    same(streamed, ints.map((n) => n / 3));
  });

  it('map chunks mixing numbers with other values, and tasks returning non-numbers for some items, keep every value', async () => {
    const p = pool({ processes: 2, runtime });
    const mixed: unknown[] = Array.from({ length: 600 }, (_, i) => i);
    mixed[150] = 'a string';
    mixed[420] = null;
    mixed[421] = undefined;
    mixed[599] = { n: 1 };
    mixed[300] = 10n;
    expect(await p.map((x: unknown) => x, mixed, { chunksize: 100 })).toEqual(mixed);
    const numbers = Array.from({ length: 600 }, (_, i) => i + 0.5);
    const sometimes = (n: number): unknown =>
      n === 77.5 ? 'seventy-seven' : n === 301.5 ? null : n === 555.5 ? undefined : n === 5.5 ? [n] : n === 6.5 ? -0 : n;
    const result = await p.map(sometimes, numbers, { chunksize: 100 });
    expect(result).toEqual(numbers.map(sometimes));
    expect(Object.is(result[6], -0)).toBe(true);
    // A task that returns a typed array from apply gets the typed array back (never unpacked).
    const bytes = await p.apply((n: number) => new Float64Array(n).fill(1.5), [100]);
    expect(bytes).toBeInstanceOf(Float64Array);
    expect(Array.from(bytes)).toEqual(new Array(100).fill(1.5));
  });

  it('map keeps input order over many chunks, accepts generators, and an empty input resolves at once', async () => {
    const p = pool({ processes: 2, runtime });
    const items = Array.from({ length: 5000 }, (_, i) => i);
    expect(await p.map(tasks.square, items, { chunksize: 7 })).toEqual(items.map((n) => n * n));
    function* generate(): Generator<number> {
      for (let i = 0; i < 100; i++) yield i;
    }
    expect(await p.map(tasks.square, generate())).toEqual(Array.from({ length: 100 }, (_, i) => i * i));
    expect(await p.map(tasks.square, [])).toEqual([]);
    expect(await p.starmap(tasks.add, new Set<[number, number]>([[1, 1]]))).toEqual([2]);
  });

  it("uses Python's default chunksize and reports progress once per chunk", async () => {
    const p = pool({ processes: 2, runtime });
    const progress: Array<[number, number | undefined]> = [];
    const items = Array.from({ length: 100 }, (_, i) => i);
    await p.map(tasks.square, items, { onProgress: (done, total) => progress.push([done, total]) });
    // ceil(100 / (4 * 2)) = 13 items a chunk -> 8 chunks.
    expect(progress).toHaveLength(8);
    expect(progress.at(-1)).toEqual([100, 100]);
    expect(progress.map(([done]) => done)).toEqual([...progress.map(([done]) => done)].sort((a, b) => a - b));
    const lazy: Array<[number, number | undefined]> = [];
    function* unsized(): Generator<number> {
      yield* [1, 2, 3];
    }
    for await (const value of p.imap(tasks.square, unsized(), { onProgress: (done, total) => lazy.push([done, total]) })) void value;
    expect(lazy.at(-1)).toEqual([3, undefined]);
  });

  it('imap reads its input lazily, with a bounded number of items in flight, and stops it on break', async () => {
    const p = pool({ processes: 2, runtime });
    let pulled = 0;
    let returned = false;
    function* endless(): Generator<number> {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      } finally {
        returned = true;
      }
    }
    const seen: number[] = [];
    for await (const value of p.imap(tasks.square, endless())) {
      seen.push(value as number);
      if (seen.length === 20) break;
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
    expect(returned).toBe(true);
    expect(pulled).toBeLessThan(5000);
    // The pool still works after an abandoned iteration.
    expect(await p.apply(tasks.add, [1, 1])).toBe(2);
  });

  it('imap accepts async iterables', async () => {
    const p = pool({ processes: 2, runtime });
    async function* source(): AsyncGenerator<number> {
      for (let i = 1; i <= 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield i;
      }
    }
    const out: number[] = [];
    for await (const value of p.imap(tasks.square, source())) out.push(value as number);
    expect(out).toEqual([1, 4, 9, 16, 25]);
  });

  it("rejects with the task's error: class, message, own properties and the worker's stack; the worker lives on", async () => {
    const p = pool({ processes: 1, runtime });
    const before = await p.apply(more.whoAmI);
    const error = (await p.apply(tasks.fail, ['bad input']).catch((e: unknown) => e)) as RangeError & { code: string; details: unknown };
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('bad input');
    expect(error.code).toBe('E_TASK');
    expect(error.details).toEqual({ attempt: 1 });
    expect(error.stack).toContain('fixtures/tasks.js');
    expect(await p.apply(more.whoAmI)).toBe(before);
    await expect(p.map(tasks.fail, ['in a map'])).rejects.toThrow('in a map');
  });

  it('AsyncResult: get with a timeout can be retried, wait, ready, successful, thenable, callbacks', async () => {
    const p = pool({ processes: 1, runtime });
    const result = p.applyAsync(tasks.sleep, [400, 'done']);
    expect(result).toBeInstanceOf(AsyncResult);
    expect(result.ready()).toBe(false);
    expect(() => result.successful()).toThrow(InvalidStateError);
    await expect(result.get(20)).rejects.toSatisfy((e: unknown) => TimeoutError.isInstance(e));
    expect(await result.wait(10)).toBe(false);
    expect(await result.get(20_000)).toBe('done');
    expect(await result.wait()).toBe(true);
    expect(result.ready()).toBe(true);
    expect(result.successful()).toBe(true);
    expect(await result).toBe('done');

    const values: unknown[] = [];
    await new Promise<void>((resolve) => {
      p.mapAsync(tasks.square, [1, 2], { callback: (value) => { values.push(value); resolve(); } });
    });
    expect(values).toEqual([[1, 4]]);
    const failed = p.applyAsync(tasks.fail, ['x']);
    await failed.wait();
    expect(failed.successful()).toBe(false);
  });

  it('an AsyncResult used only through callbacks never raises an unhandled rejection', async () => {
    const p = pool({ processes: 1, runtime });
    await collectUnhandledRejections(async (unhandled) => {
      const errors: unknown[] = [];
      await new Promise<void>((resolve) => {
        p.applyAsync(tasks.fail, ['callback only'], { errorCallback: (error) => { errors.push(error); resolve(); } });
        p.applyAsync(tasks.fail, ['no callbacks at all']);
      });
      await p.apply(tasks.add, [1, 2]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errors).toHaveLength(1);
      expect(unhandled).toEqual([]);
    });
  });

  it('a failed apply rejects with the task error (a handled one is never reported unhandled; an ignored one is, once)', async () => {
    const p = pool({ processes: 1, runtime });
    await collectUnhandledRejections(async (unhandled) => {
      const handled = await p.apply(tasks.fail, ['handled']).then(
        () => 'fulfilled',
        (error: unknown) => error,
      );
      expect(handled).toBeInstanceOf(Error);
      expect((handled as Error).message).toContain('handled');
      // Awaited later, after the rejection has arrived: still handled in time, never reported.
      const late = p.apply(tasks.fail, ['late']);
      late.catch(() => {});
      await p.apply(tasks.add, [1, 2]);
      await expect(late).rejects.toThrow('late');
      const rejections = await Promise.allSettled([p.apply(tasks.fail, ['a']), p.apply(tasks.add, [2, 2]), p.apply(tasks.fail, ['b'])]);
      expect(rejections.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      // Ignored entirely: reported once, with the task's own error.
      void p.apply(tasks.fail, ['ignored']);
      await p.apply(tasks.add, [1, 1]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toHaveLength(1);
      expect((unhandled[0] as Error).message).toContain('ignored');
    });
  });

  it('a long loop of applies: results keep input order, failures reach their own callers, and no callback runs inside an apply', async () => {
    const p = pool({ processes: 2, runtime });
    await p.map(tasks.square, [1, 2, 3, 4]);
    await collectUnhandledRejections(async (unhandled) => {
      let insideLoop = false;
      let progressInsideLoop = 0;
      const progress: number[] = [];
      // A map with a progress callback, queued ahead of the applies: its chunks finish while the loop runs.
      const mapped = p.map(tasks.square, Array.from({ length: 64 }, (_, i) => i), {
        chunksize: 1,
        onProgress: (done) => {
          progress.push(done);
          if (insideLoop) progressInsideLoop++;
        },
      });
      const calls: Array<Promise<number>> = [];
      const asyncResults: Array<AsyncResult<number>> = [];
      insideLoop = true;
      const loopStart = performance.now();
      for (let i = 0; ; i++) {
        // 20,000 calls; on threads, more until the first result has come in, for up to 5 s (a loaded machine).
        const firstReady = asyncResults[0]?.ready() === true;
        if (i >= 20_000 && (runtime !== 'thread' || firstReady || performance.now() - loopStart > 5000)) break;
        calls.push(i % 1000 === 999 ? p.apply(tasks.fail, [`call ${i}`]) : p.apply(tasks.add, [i, 1]));
        if (i % 100 === 0) asyncResults.push(p.applyAsync(tasks.add, [i, 2]));
        if (i % 2000 === 1999) {
          // Give the workers time, as a loop doing real work between its calls would.
          const until = performance.now() + 3;
          while (performance.now() < until);
        }
      }
      const readyDuringLoop = asyncResults.filter((r) => r.ready()).length;
      insideLoop = false;
      const settled = await Promise.allSettled(calls);
      settled.forEach((outcome, i) => {
        if (i % 1000 === 999) {
          expect(outcome.status).toBe('rejected');
          expect(((outcome as PromiseRejectedResult).reason as Error).message).toContain(`call ${i}`);
        } else {
          expect(outcome).toEqual({ status: 'fulfilled', value: i + 1 });
        }
      });
      expect(await Promise.all(asyncResults.map((r) => r.get()))).toEqual(asyncResults.map((_, k) => k * 100 + 2));
      expect(await mapped).toEqual(Array.from({ length: 64 }, (_, i) => i * i));
      expect(progress).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
      expect(progressInsideLoop).toBe(0);
      if (runtime === 'thread') {
        // Thread workers answer while the loop still runs: the first calls are settled before it ends.
        expect(readyDuringLoop).toBeGreaterThan(0);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    });
  });

  it('a worker that exits in the middle of a long loop of applies fails only the call it was running; every other runs once', async () => {
    const dir = tempDir();
    try {
      const p = pool({ processes: 2, runtime });
      await p.map(tasks.square, [1, 2, 3, 4]);
      const ids = Array.from({ length: 2000 }, (_, i) => i);
      // Submitted in one loop: they are sent (and some finish) while the loop still runs.
      const calls = ids.map((id) => p.apply(more.recordOrCrash, [dir.path('ran.txt'), id, 1000]));
      const outcomes = await Promise.allSettled(calls);
      expect(outcomes[1000]?.status).toBe('rejected');
      expect(((outcomes[1000] as PromiseRejectedResult).reason as Error).name).toBe('WorkerCrashedError');
      expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
      const ran = counts(dir.lines('ran.txt'));
      expect(ran.has('1000')).toBe(false);
      expect(ran.size).toBe(ids.length - 1);
      expect([...ran.values()].every((n) => n === 1)).toBe(true);
      expect(await p.apply(tasks.add, [2, 2])).toBe(4);
    } finally {
      dir.remove();
    }
  });

  it('an onProgress callback that throws fails its own call with that error; the pool carries on', async () => {
    const p = pool({ processes: 2, runtime });
    const boom = new Error('progress bar broke');
    const thrower = (): void => {
      throw boom;
    };
    await expect(p.map(tasks.square, [1, 2, 3, 4, 5, 6], { chunksize: 2, onProgress: thrower })).rejects.toBe(boom);
    await expect(p.apply(tasks.add, [1, 2], { onProgress: thrower })).rejects.toBe(boom);
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const value of p.imap(tasks.square, [1, 2, 3], { onProgress: thrower })) seen.push(value);
      })(),
    ).rejects.toBe(boom);
    expect(seen).toEqual([]);
    expect(await p.map(tasks.square, [1, 2, 3])).toEqual([1, 4, 9]);
    expect(await p.apply(tasks.add, [2, 3])).toBe(5);
  });

  it('a worker that exits mid-task rejects that task with WorkerCrashedError; the ones queued behind it run elsewhere, none twice', async () => {
    const dir = tempDir();
    try {
      const p = pool({ processes: 2, runtime });
      // Warm up so that workers take several tasks per message.
      await p.map(tasks.square, Array.from({ length: 2000 }, (_, i) => i), { chunksize: 1 });
      const ids = Array.from({ length: 60 }, (_, i) => i);
      const outcomes = await Promise.allSettled(ids.map((id) => p.apply(more.recordOrCrash, [dir.path('ran.txt'), id, 30])));
      const crashed = outcomes.filter((o) => o.status === 'rejected');
      expect(crashed).toHaveLength(1);
      const reason = (crashed[0] as PromiseRejectedResult).reason as { name: string; exitCode: number; code: string };
      expect(reason.name).toBe('WorkerCrashedError');
      expect(reason.code).toBe('ERR_WORKER_CRASHED');
      expect(reason.exitCode).toBe(9);
      expect(outcomes[30]?.status).toBe('rejected');
      const ran = counts(dir.lines('ran.txt'));
      for (const id of ids) {
        if (id === 30) expect(ran.has('30')).toBe(false);
        else expect(ran.get(String(id))).toBe(1);
      }
      expect(await p.apply(tasks.add, [2, 2])).toBe(4);
    } finally {
      dir.remove();
    }
  });

  it('an uncaught error in a timer crashes the worker: WorkerCrashedError with exit code 1, and the pool goes on', async () => {
    const p = pool({ processes: 1, runtime });
    const error = (await p.apply(more.failInTimer).catch((e: unknown) => e)) as { name: string; exitCode: number };
    expect(error.name).toBe('WorkerCrashedError');
    expect(error.exitCode).toBe(1);
    expect(await p.map(tasks.square, [3])).toEqual([9]);
  });

  it('a worker that runs out of memory under resourceLimits is replaced', async () => {
    const p = pool({ processes: 1, runtime, resourceLimits: { maxOldGenerationSizeMb: 48 } });
    const error = (await p.apply(more.hogMemory).catch((e: unknown) => e)) as { name: string; exitCode: number };
    expect(error.name).toBe('WorkerCrashedError');
    expect(error.exitCode).not.toBe(0);
    expect(await p.apply(tasks.add, [20, 22])).toBe(42);
  });

  it('taskTimeout rejects with a TimeoutError and replaces that worker', async () => {
    const p = pool({ processes: 1, runtime, taskTimeout: 300 });
    const before = await p.apply(more.whoAmI);
    const error = await p.apply(more.never).catch((e: unknown) => e);
    expect(TimeoutError.isInstance(error)).toBe(true);
    const after = await p.apply(more.whoAmI);
    expect(after).not.toBe(before);
    expect(await p.apply(tasks.sleep, [10, 'fine'])).toBe('fine');
  });

  it('maxTasksPerChild replaces a worker after n tasks (a map chunk counts as one)', async () => {
    const p = pool({ processes: 1, runtime, maxTasksPerChild: 2 });
    const owners: unknown[] = [];
    for (let i = 0; i < 6; i++) owners.push(await p.apply(more.whoAmI));
    expect(new Set(owners).size).toBe(3);
    expect(owners[0]).toBe(owners[1]);
    expect(owners[2]).toBe(owners[3]);
    expect(owners[1]).not.toBe(owners[2]);
    // Ten chunks of one item: each chunk is one task.
    const byChunk = await p.map(more.whoAmI, Array.from({ length: 10 }, () => undefined), { chunksize: 1 });
    expect(new Set(byChunk).size).toBe(5);
  });

  it('an initializer runs in every worker before its tasks', async () => {
    const p = pool({ processes: 2, runtime, initializer: more.initGlobal, initArgs: ['ready'] });
    expect(await p.map(more.readGlobal, [1, 2, 3, 4], { chunksize: 1 })).toEqual(['ready', 'ready', 'ready', 'ready']);
  });

  it('an initializer that throws breaks the pool: pending and later calls reject with PoolBrokenError', async () => {
    const p = pool({ processes: 2, runtime, initializer: more.initFails });
    const pending = p.apply(tasks.add, [1, 2]).catch((e: unknown) => e);
    const error = (await pending) as { name: string; cause: Error };
    expect(error.name).toBe('PoolBrokenError');
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(error.cause.message).toContain('initializer failed');
    await expect(p.map(tasks.square, [1])).rejects.toMatchObject({ name: 'PoolBrokenError' });
    expect(p.state).toBe('broken');
  });

  it('refuses bad input with typed errors, at once', async () => {
    expect(() => new Pool(0)).toThrow(InvalidArgumentError);
    expect(() => new Pool({ processes: 1, maxTasksPerChild: 0 })).toThrow(/maxTasksPerChild/);
    expect(() => new Pool({ processes: 1, taskTimeout: -1 })).toThrow(/taskTimeout/);
    const p = pool({ processes: 1, runtime });
    expect(() => p.map(tasks.square, [1, 2], { chunksize: 0 })).toThrow(/chunksize/);
    let caught: unknown;
    try {
      void p.apply(tasks.add, [() => 1, 2] as never);
    } catch (error) {
      caught = error;
    }
    expect(NotCloneableError.isInstance(caught)).toBe(true);
    expect((caught as NotCloneableError).path).toBe('args[0]');
    expect(() => p.map(tasks.square, [1, Symbol('s')] as never)).toThrow(/items\[1\]/);
    expect(() => p.apply(42 as never)).toThrow(InvalidArgumentError);
    expect(() => p.join()).toThrow(InvalidStateError);
    expect(await p.apply(tasks.add, [1, 1])).toBe(2);
    p.close();
    let closed: unknown;
    try {
      void p.apply(tasks.add, [1, 1]);
    } catch (error) {
      closed = error;
    }
    expect(ClosedError.isInstance(closed)).toBe(true);
    expect((closed as ClosedError).code).toBe('ERR_POOL_CLOSED');
    expect(() => p.imap(tasks.square, [1])).toThrow(ClosedError);
    await p.join();
  });

  it('a result that cannot be cloned rejects that task only', async () => {
    const p = pool({ processes: 1, runtime });
    const error = await p.apply(more.returnsFunction).catch((e: unknown) => e);
    expect(NotCloneableError.isInstance(error)).toBe(true);
    expect(await p.apply(tasks.add, [1, 2])).toBe(3);
  });

  it('close lets queued work finish; join waits for the workers', async () => {
    const p = pool({ processes: 2, runtime });
    const results = p.map(tasks.sleep, [50, 50, 50, 50], { chunksize: 1 });
    p.close();
    expect(await results).toEqual([undefined, undefined, undefined, undefined]);
    await p.join();
    expect(p.state).toBe('closed');
  });

  it('terminate during a long map returns promptly and rejects the map', async () => {
    const p = pool({ processes: 2, runtime });
    const long = p.map(tasks.spin, Array.from({ length: 40 }, () => 500), { chunksize: 1 });
    const outcome = long.catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await p.terminate();
    expect(Date.now() - started).toBeLessThan(5_000);
    const error = (await outcome) as ClosedError;
    expect(ClosedError.isInstance(error)).toBe(true);
    expect(error.code).toBe('ERR_POOL_TERMINATED');
  });

  it('an AbortSignal drops queued work and rejects with an AbortError carrying the reason', async () => {
    const dir = tempDir();
    try {
      const p = pool({ processes: 1, runtime });
      const controller = new AbortController();
      const ids = Array.from({ length: 20 }, (_, i) => i);
      const running = p.starmap(more.record, ids.map((id) => [dir.path('ran.txt'), id, 20]), { chunksize: 1, signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort(new Error('user pressed stop'));
      const error = (await running.catch((e: unknown) => e)) as AbortError;
      expect(AbortError.isInstance(error)).toBe(true);
      expect((error.cause as Error).message).toBe('user pressed stop');
      await p.apply(tasks.add, [0, 0]);
      expect(dir.lines('ran.txt').length).toBeLessThan(ids.length);
      const aborted = new AbortController();
      aborted.abort('before');
      await expect(p.apply(tasks.add, [1, 1], { signal: aborted.signal })).rejects.toMatchObject({ name: 'AbortError', cause: 'before' });
    } finally {
      dir.remove();
    }
  });

  it('transfer moves ArrayBuffers instead of copying them (threads) and the task sees the bytes', async () => {
    const p = pool({ processes: 1, runtime });
    const bytes = new Uint8Array([1, 2, 3, 4]);
    expect(await p.apply(more.byteSum, [bytes], { transfer: [bytes] })).toBe(10);
    if (runtime === 'thread') expect(bytes.byteLength).toBe(0);
    else expect(bytes.byteLength).toBe(4);
  });

  it.each([true, false])('one call at a time (spin: %s): every result and error reaches its own caller', async (spin) => {
    const p = pool({ processes: 2, runtime, spin });
    let sum = 0;
    let failures = 0;
    const n = runtime === 'thread' ? 3000 : 600;
    for (let i = 0; i < n; i++) {
      if (i % 250 === 0) {
        // A slower, asynchronous task now and then: the pool stops polling for it and the event loop delivers it.
        expect(await p.apply(tasks.sleep, [3, i])).toBe(i);
        sum += i + 1;
      } else if (i % 97 === 0) {
        const error = await p.apply(tasks.fail, [`no ${i}`]).catch((e: unknown) => e);
        expect((error as Error).message).toBe(`no ${i}`);
        failures++;
      } else {
        const value = await p.apply(tasks.add, [i, 1]);
        expect(value).toBe(i + 1);
        sum += value as number;
      }
    }
    const expectedFailures = Array.from({ length: n }, (_, i) => i).filter((i) => i % 250 !== 0 && i % 97 === 0).length;
    expect(failures).toBe(expectedFailures);
    expect(sum).toBe(Array.from({ length: n }, (_, i) => i).reduce((acc, i) => (i % 250 !== 0 && i % 97 === 0 ? acc : acc + i + 1), 0));
  });

  it('Symbol.asyncDispose closes and joins without losing queued work', async () => {
    const result = await runScript('lifetime.mjs', ['dispose', runtime]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('map finished before dispose returned\ndisposed\n');
  });

  it('an idle, forgotten pool does not keep the program alive; pending work does', async () => {
    const forgotten = await runScript('lifetime.mjs', ['forgotten', runtime], 20_000);
    expect(forgotten.code).toBe(0);
    expect(forgotten.stdout).toBe('[1,4,9]\n');
    const pending = await runScript('lifetime.mjs', ['pending-keeps-alive', runtime], 20_000);
    expect(pending.code).toBe(0);
    expect(pending.stdout).toBe('late result\n');
  });
});

describe('a task whose message cannot be sent (thread workers: transfer lists)', () => {
  /** A buffer moved elsewhere after the call was made, before the pool sends it: the send must fail. */
  function movedAway(bytes: Uint8Array): void {
    structuredClone(bytes.buffer, { transfer: [bytes.buffer as ArrayBuffer] });
  }

  it('fails alone: the call already running on that worker keeps its own result, and the pool goes on', async () => {
    const p = pool({ processes: 1, runtime: 'thread' });
    await Promise.all(Array.from({ length: 50 }, () => p.apply(tasks.noop)));
    const running = p.apply(tasks.sleep, [200, 'slept']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const bytes = new Uint8Array(8).fill(1);
    const doomed = p.apply(more.byteSum, [bytes], { transfer: [bytes.buffer] });
    movedAway(bytes);
    await expect(doomed).rejects.toBeInstanceOf(NotCloneableError);
    expect(await running).toBe('slept');
    expect(await p.apply(tasks.add, [1, 2])).toBe(3);
  });

  it('fails alone when it rides in a batch: the other tasks of the batch run, in order', async () => {
    const p = pool({ processes: 1, runtime: 'thread' });
    await Promise.all(Array.from({ length: 50 }, () => p.apply(tasks.noop)));
    const bytes = new Uint8Array(8).fill(2);
    const before = [1, 2, 3].map((n) => p.apply(tasks.add, [n, 10]));
    const doomed = p.apply(more.byteSum, [bytes], { transfer: [bytes.buffer] });
    const good = new Uint8Array(4).fill(3);
    const after = [p.apply(more.byteSum, [good], { transfer: [good.buffer] }), p.apply(tasks.add, [4, 10])];
    movedAway(bytes);
    await expect(doomed).rejects.toBeInstanceOf(NotCloneableError);
    expect(await Promise.all(before)).toEqual([11, 12, 13]);
    expect(await Promise.all(after)).toEqual([12, 14]);
    expect(await p.map(tasks.square, [1, 2, 3])).toEqual([1, 4, 9]);
  });
});

describe('spinning is brief', () => {
  it('after a run of one-at-a-time calls, an idle thread pool goes quiet (its workers stop polling)', async () => {
    const p = pool({ processes: 2, runtime: 'thread' });
    for (let i = 0; i < 3000; i++) await p.apply(tasks.noop);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const used = process.cpuUsage(before);
    const share = (used.user + used.system) / 1000 / (performance.now() - t0);
    // A worker that kept polling would use a whole core (share ~1); idle, it is about 0.01.
    expect(share).toBeLessThan(0.25);
  });

  it('rejects a spin option that is not a boolean', () => {
    expect(() => new Pool({ processes: 1, spin: 'yes' as never })).toThrow(InvalidArgumentError);
  });
});

describe('child-process workers killed by a signal', () => {
  it('reject the running task with WorkerCrashedError naming the signal', async () => {
    const dir = tempDir();
    try {
      const p = pool({ processes: 1, runtime: 'process' });
      const outcome = p.apply(more.writePidThenHang, [dir.path('pid')]).catch((e: unknown) => e);
      const { waitFor } = await import('./helpers.js');
      await waitFor(() => dir.exists('pid') && dir.lines('pid').length > 0, 10_000, 'the worker pid');
      process.kill(Number(dir.lines('pid')[0]), 'SIGKILL');
      const error = (await outcome) as { name: string; exitCode: number; signal: string };
      expect(error.name).toBe('WorkerCrashedError');
      expect(error.exitCode).toBe(-9);
      expect(error.signal).toBe('SIGKILL');
      expect(await p.apply(tasks.add, [1, 2])).toBe(3);
    } finally {
      dir.remove();
    }
  });
});
