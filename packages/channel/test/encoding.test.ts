import { afterEach, describe, expect, it } from 'vitest';
import { NotCloneableError } from '@multiproc/transport';
import { Pipe, Queue } from '@multiproc/channel';
import tasks from './fixtures/tasks.js';
import { sampleItems, shapedItems } from './fixtures/items.js';
import { cleanup, rejection, RUNTIMES, start, take, thrown, track } from './helpers.js';

afterEach(cleanup);

/** `got` is what structured clone makes of `item`, own keys in the same order. */
function expectClone(got: unknown, item: unknown): void {
  const expected = structuredClone(item);
  expect(got).toStrictEqual(expected);
  if (typeof expected === 'string') expect(got).toBe(expected); // toStrictEqual compares lone surrogates too, but say it
  if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(got as object)).toEqual(Object.keys(expected));
    expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(expected));
  }
}

describe('the ring encoding of items', () => {
  it('round-trips every kind of value in one thread: putSync/getSync, put/get, for await', async () => {
    const items = sampleItems();
    const queue = track(new Queue<unknown>());
    for (const item of items) queue.putSync(item);
    for (const item of items) expectClone(queue.getSync(), item);
    for (const item of items) await queue.put(item);
    for (const item of items) expectClone(await queue.get(), item);
    for (const item of items) await queue.put(item);
    let i = 0;
    for await (const got of queue) {
      expectClone(got, items[i]);
      if (++i === items.length) break;
    }
    expect(queue.qsize()).toBe(0);
  });

  it('keeps own "__proto__" keys, array properties and holes, and never touches prototypes', () => {
    const queue = track(new Queue<unknown>());
    queue.putSync(JSON.parse('{"__proto__": {"polluted": true}}'));
    const got = queue.getSync() as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.keys(got)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    queue.putSync(Object.assign([1, 2], { label: 'x' }));
    expect(queue.getSync()).toStrictEqual(Object.assign([1, 2], { label: 'x' }));
    queue.putSync([1, , 3]); // eslint-disable-line no-sparse-arrays
    const sparse = queue.getSync() as unknown[];
    expect(sparse.length).toBe(3);
    expect(1 in sparse).toBe(false);
  });

  it('decodes many same-length keys correctly (the key cache)', () => {
    const queue = track(new Queue<unknown>());
    const items = shapedItems(3000);
    for (const item of items) queue.putSync(item);
    for (const item of items) expectClone(queue.getSync(), item);
  });

  it('builds recurring object shapes exactly (key order, odd keys, nesting, shapes that share key bytes)', () => {
    // A shape is recognised by its key bytes once it has recurred; each of these recurs 12 times, interleaved.
    const make = (i: number): unknown[] => [
      { id: i, name: 'item', score: 0.5, ok: true },
      { '2': 'two', '1': 'one', b: i, a: -0 }, // integer-like keys come first, in ascending order
      { 'a"b': 1, 'c\\d': 2, '`${x}`': 3, ' ': 4, 'é': i, 'キー': 5 }, // quotes, backslashes, latin1, UTF-16
      { outer: { id: i, name: 'n' }, list: [{ id: i, name: 'm' }, { id: -i, name: 'k' }] }, // nested, same inner shape
      { id: i, name: 'item', score: 0.5 }, // a prefix of the first shape's keys
      { id: i, name: 'item', score: 0.5, ok: true, extra: null }, // the first shape plus a key
      { ID: i }, // same length, other bytes
      Object.assign(Object.create(null), { id: i, name: 'nullproto' }) as object,
      { constructor: i, toString: 'x', hasOwnProperty: null, valueOf: undefined },
    ];
    const queue = track(new Queue<unknown>());
    const items: unknown[] = [];
    for (let i = 0; i < 12; i++) items.push(...make(i));
    for (const item of items) queue.putSync(item);
    for (const item of items) expectClone(queue.getSync(), item);
  });

  it('decodes recurring shapes where code generation from strings is disallowed (a child process)', async () => {
    const out = track(new Queue<number>());
    const child = start({ target: tasks.shapesRoundTrip, args: [out], runtime: 'process', execArgv: ['--disallow-code-generation-from-strings'] });
    expect(await out.get({ timeout: 30_000 })).toBe(40);
    expect(await child.join(30_000)).toBe(0);
  });

  it('keeps small records intact where they wrap around the end of the buffer', async () => {
    // A backlog of a few records: the 16 KiB buffer never grows, so records wrap around its end, split
    // anywhere (header, int32, float64, compact payloads).
    const queue = track(new Queue<unknown>());
    const items: unknown[] = [];
    for (let i = 0; i < 5000; i++) {
      items.push(i % 4 === 0 ? i : i % 4 === 1 ? i + 0.25 : i % 4 === 2 ? { id: i, s: 'x'.repeat(i % 23) } : 'w'.repeat(i % 37));
    }
    const out: unknown[] = [];
    for (let i = 0; i < items.length; i++) {
      await queue.put(items[i]);
      if (i >= 3) out.push(await queue.get());
    }
    while (out.length < items.length) out.push(await queue.get());
    expect(out).toStrictEqual(items);
  });

  it('refuses what structured clone refuses, also inside small plain data, and stays usable', async () => {
    const queue = track(new Queue<unknown>());
    const proxy = new Proxy({ a: 1 }, {});
    expect(NotCloneableError.isInstance(thrown(() => queue.putSync(proxy)))).toBe(true);
    expect(NotCloneableError.isInstance(thrown(() => queue.putSync([1, new Proxy([], {})])))).toBe(true);
    const error = await rejection(queue.put({ id: 1, f: () => 1 }));
    expect((error as NotCloneableError).path).toBe('item.f');
    expect(thrown(() => queue.putSync({ id: 1, s: Symbol('s') })).code).toBe('ERR_NOT_CLONEABLE');
    expect(queue.qsize()).toBe(0);
    queue.putSync({ id: 2 });
    expect(queue.getSync()).toEqual({ id: 2 });
  });

  it('a for await loop that breaks leaves the rest in the queue; one on a closed queue ends', async () => {
    const queue = track(new Queue<number>());
    for (let i = 0; i < 10; i++) queue.putSync(i);
    const first: number[] = [];
    for await (const item of queue) {
      first.push(item);
      if (first.length === 4) break;
    }
    expect(queue.qsize()).toBe(6);
    setTimeout(() => queue.close(), 20);
    const rest: number[] = [];
    for await (const item of queue) rest.push(item);
    expect([...first, ...rest]).toEqual(Array.from({ length: 10 }, (_, i) => i));
    const iterator = queue[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('a pipe carries the same values', async () => {
    const [a, b] = Pipe<unknown>();
    track(a);
    track(b);
    const items = sampleItems();
    for (const item of items) a.send(item);
    for (const item of items) expectClone(await b.recv(), item);
  });
});

describe.each(RUNTIMES)('the ring encoding across the %s runtime', (runtime) => {
  it('every kind of value put by a child arrives as structured clone makes it', async () => {
    const queue = track(new Queue<unknown>());
    const child = start({ target: tasks.putSamples, args: [queue, 500], runtime });
    const expected = [...sampleItems(), ...shapedItems(500)];
    const got = await take(queue, expected.length);
    expect(await child.join()).toBe(0);
    for (let i = 0; i < expected.length; i++) expectClone(got[i], expected[i]);
  });
});
