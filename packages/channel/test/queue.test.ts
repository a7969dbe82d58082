import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, InvalidArgumentError, NotCloneableError } from '@multiproc/transport';
import { EmptyError, FullError, JoinableQueue, Pipe, Queue, SimpleQueue } from '@multiproc/channel';
import { cleanup, rejection, thrown, track } from './helpers.js';

afterEach(cleanup);

describe('Queue in one thread', () => {
  it('is FIFO and reports its size', async () => {
    const queue = track(new Queue<number>());
    expect(queue.empty()).toBe(true);
    for (let i = 0; i < 100; i++) await queue.put(i);
    expect(queue.qsize()).toBe(100);
    expect(queue.full()).toBe(false);
    const out: number[] = [];
    for (let i = 0; i < 100; i++) out.push(await queue.get());
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(queue.empty()).toBe(true);
  });

  it('keeps every kind of item exactly as structured clone does', async () => {
    const queue = track(new Queue<unknown>());
    const error = Object.assign(new RangeError('too big', { cause: new Error('inner') }), { status: 7 });
    const items: unknown[] = [
      0, -0, 1.5, NaN, Infinity, -Infinity, 2n ** 70n, '', 'héllo ✓ 🚀', 'x'.repeat(10_000), true, false, null, undefined,
      { a: 1, b: 'two', c: [1, 2, { d: null }] }, [1, undefined, 3], { u: undefined }, [, 1],
      new Date(12345), /re/gi, new Map([[1, { a: 1 }]]), new Set(['a']), new Uint8Array([1, 2, 3]), new Float64Array([0.5]),
      new ArrayBuffer(4), { nested: { deep: { deeper: { deepest: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } },
      Object.create(null), { __proto__: null, x: 1 }, { toJSON: 'not a function' },
    ];
    for (const item of items) await queue.put(item);
    await queue.put(error);
    for (const item of items) expect(await queue.get()).toStrictEqual(structuredClone(item));
    const back = (await queue.get()) as RangeError & { status: number };
    expect(back).toBeInstanceOf(RangeError);
    expect(back.message).toBe('too big');
    expect(back.status).toBe(7);
    expect((back.cause as Error).message).toBe('inner');
  });

  it('refuses a non-cloneable item at once and stays usable with the right size', async () => {
    const queue = track(new Queue<unknown>(3));
    await queue.put('a');
    const error = await rejection(queue.put({ ok: 1, callback: () => 1 }));
    expect(NotCloneableError.isInstance(error)).toBe(true);
    expect((error as NotCloneableError).path).toBe('item.callback');
    expect(thrown(() => queue.putNowait(Symbol('s') as never)).code).toBe('ERR_NOT_CLONEABLE');
    expect(thrown(() => queue.putSync(new WeakMap())).code).toBe('ERR_NOT_CLONEABLE');
    expect(queue.qsize()).toBe(1);
    await queue.put('b');
    expect([await queue.get(), await queue.get()]).toEqual(['a', 'b']);
    expect(queue.qsize()).toBe(0);
  });

  it('nowait variants and block: false throw EmptyError and FullError', async () => {
    const queue = track(new Queue<number>(2));
    expect(queue.maxsize).toBe(2);
    const empty = thrown(() => queue.getNowait());
    expect(EmptyError.isInstance(empty)).toBe(true);
    expect(empty.code).toBe('ERR_QUEUE_EMPTY');
    expect((await rejection(queue.get({ block: false }))).code).toBe('ERR_QUEUE_EMPTY');
    queue.putNowait(1);
    queue.putNowait(2);
    expect(queue.full()).toBe(true);
    const full = thrown(() => queue.putNowait(3));
    expect(FullError.isInstance(full)).toBe(true);
    expect(full.code).toBe('ERR_QUEUE_FULL');
    expect((await rejection(queue.put(3, { block: false }))).code).toBe('ERR_QUEUE_FULL');
    expect(queue.getNowait()).toBe(1);
    expect(queue.qsize()).toBe(1);
  });

  it('a bounded put waits while full, honours its timeout, and goes in once there is room', async () => {
    const queue = track(new Queue<string>(1));
    await queue.put('first');
    const started = Date.now();
    expect((await rejection(queue.put('late', { timeout: 100 }))).code).toBe('ERR_QUEUE_FULL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(queue.qsize()).toBe(1);
    const waiting = queue.put('second');
    let done = false;
    void waiting.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    expect(await queue.get()).toBe('first');
    await waiting;
    expect(await queue.get()).toBe('second');
  });

  it('a get honours its timeout; puts and gets that wait complete in call order', async () => {
    const queue = track(new Queue<number>(2));
    const started = Date.now();
    expect((await rejection(queue.get({ timeout: 80 }))).code).toBe('ERR_QUEUE_EMPTY');
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    const gets = [queue.get(), queue.get(), queue.get()];
    const puts = [1, 2, 3, 4, 5].map((n) => queue.put(n));
    expect(await Promise.all(gets)).toEqual([1, 2, 3]);
    await Promise.all(puts);
    expect([queue.getNowait(), queue.getNowait()]).toEqual([4, 5]);
  });

  it('many unawaited puts on a full bounded queue keep their items intact and in order', async () => {
    const queue = track(new Queue<[number, number, string]>(3));
    const puts: Array<Promise<void>> = [];
    for (let p = 0; p < 3; p++) for (let i = 0; i < 200; i++) puts.push(queue.put([p, i, 'v'.repeat(i % 40)]));
    const gets = Array.from({ length: 600 }, () => queue.get());
    const got = await Promise.all(gets);
    await Promise.all(puts);
    expect(got).toEqual(Array.from({ length: 600 }, (_, k) => [Math.floor(k / 200), k % 200, 'v'.repeat((k % 200) % 40)]));
  });

  it('close: later puts throw, gets drain then throw ClosedError, a blocked get is released, for await ends', async () => {
    const queue = new Queue<number>();
    await queue.put(1);
    await queue.put(2);
    const other = new Queue<number>();
    const blocked = other.get();
    queue.close();
    other.close();
    expect(queue.closed).toBe(true);
    const putError = await rejection(queue.put(3));
    expect(ClosedError.isInstance(putError)).toBe(true);
    expect(thrown(() => queue.putNowait(3)).code).toBe('ERR_QUEUE_CLOSED');
    const seen: number[] = [];
    for await (const item of queue) seen.push(item);
    expect(seen).toEqual([1, 2]);
    expect(ClosedError.isInstance(await rejection(queue.get()))).toBe(true);
    expect(ClosedError.isInstance(thrown(() => queue.getNowait()))).toBe(true);
    expect(ClosedError.isInstance(await rejection(blocked))).toBe(true);
    queue.close(); // idempotent
  });

  it('grows past its initial buffer for big and many items, unbounded', async () => {
    const queue = track(new Queue<string>());
    const big = 'y'.repeat(200_000);
    for (let i = 0; i < 300; i++) await queue.put(`${i}:${big}`);
    expect(queue.qsize()).toBe(300);
    for (let i = 0; i < 300; i++) expect(await queue.get()).toBe(`${i}:${big}`);
    // Interleaved so the records wrap around the end of the buffer while it grows.
    const expected: string[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) {
        const item = `${round}.${i}.${'z'.repeat(round * 97)}`;
        expected.push(item);
        await queue.put(item);
      }
      for (let i = 0; i < 5; i++) expect(await queue.get()).toBe(expected.shift());
    }
    expect(queue.qsize()).toBe(100);
    for (const item of expected) expect(queue.getNowait()).toBe(item);
  });

  it('shared memory, queues and pipe ends put into a queue come back as the same live objects', async () => {
    const queue = track(new Queue<unknown>());
    const inner = track(new Queue<number>());
    const [a, b] = Pipe();
    track(a);
    track(b);
    const shared = new SharedArrayBuffer(8);
    await queue.put({ inner, shared, a, list: [1, 2] });
    const back = (await queue.get()) as { inner: Queue<number>; shared: SharedArrayBuffer; a: unknown; list: number[] };
    expect(back.inner).toBe(inner);
    expect(back.shared).toBe(shared);
    expect(back.a).toBe(a);
    expect(back.list).toEqual([1, 2]);
    queue.putSync(inner);
    expect(queue.getSync()).toBe(inner);
  });

  it('rejects a bad maxsize and a bad timeout', async () => {
    expect(InvalidArgumentError.isInstance(thrown(() => new Queue(1.5)))).toBe(true);
    const queue = track(new Queue(0));
    expect(queue.maxsize).toBe(0);
    expect(track(new Queue(-3)).maxsize).toBe(0);
    expect((await rejection(queue.get({ timeout: -1 }))).code).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('SimpleQueue and JoinableQueue in one thread', () => {
  it('SimpleQueue puts, gets, reports empty and closes', async () => {
    const queue = new SimpleQueue<string>();
    expect(queue.empty()).toBe(true);
    await queue.put('a');
    queue.putSync('b');
    expect(queue.empty()).toBe(false);
    expect(await queue.get()).toBe('a');
    expect(queue.getSync()).toBe('b');
    queue.close();
    expect(ClosedError.isInstance(await rejection(queue.get()))).toBe(true);
  });

  it('JoinableQueue.join waits for every taskDone; one taskDone too many throws', async () => {
    const queue = track(new JoinableQueue<number>());
    await queue.join();
    for (let i = 0; i < 3; i++) await queue.put(i);
    let joined = false;
    const join = queue.join().then(() => (joined = true));
    for (let i = 0; i < 3; i++) {
      await queue.get();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(joined).toBe(false);
      queue.taskDone();
    }
    await join;
    expect(joined).toBe(true);
    expect(thrown(() => queue.taskDone()).code).toBe('ERR_INVALID_STATE');
    queue.joinSync();
  });
});
