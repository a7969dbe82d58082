import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JoinableQueue, Queue, SimpleQueue } from '@multiproc/channel';
import { Pool } from '@multiproc/pool';
import tasks from './fixtures/tasks.js';
import { RUNTIMES, cleanup, start, take, track } from './helpers.js';

afterEach(cleanup);

type Item = [producer: number, index: number];

describe.each(RUNTIMES)('Queue across the %s runtime', (runtime) => {
  it('items from a child arrive in order (put and putSync)', async () => {
    const queue = track(new Queue<Item>());
    const a = start({ target: tasks.produce, args: [queue, 0, 300], runtime });
    const b = start({ target: tasks.produceSync, args: [queue, 1, 300], runtime });
    const items = await take(queue, 600);
    expect(await a.join()).toBe(0);
    expect(await b.join()).toBe(0);
    for (const producer of [0, 1]) {
      expect(items.filter(([p]) => p === producer).map(([, i]) => i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    }
    expect(queue.qsize()).toBe(0);
  });

  it('many producers and consumers lose and duplicate nothing (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 150 }),
        fc.integer({ min: 0, max: 8 }),
        fc.boolean(),
        async (producers, consumers, perProducer, maxsize, sync) => {
          const queue = new Queue<Item>(maxsize);
          const out = new Queue<unknown>();
          try {
            const makers = Array.from({ length: producers }, (_, p) =>
              start({ target: sync ? tasks.produceSync : tasks.produce, args: [queue, p, perProducer], runtime }),
            );
            const takers = Array.from({ length: consumers }, (_, c) =>
              start({ target: sync ? tasks.consumeSync : tasks.consume, args: [queue, out, c], runtime }),
            );
            for (const maker of makers) expect(await maker.join()).toBe(0);
            queue.close();
            const seen: Item[] = [];
            let done = 0;
            while (done < consumers) {
              const item = (await out.get({ timeout: 30_000 })) as unknown[];
              if (item[0] === 'done') done++;
              else seen.push(item as Item);
            }
            for (const taker of takers) expect(await taker.join()).toBe(0);
            expect(seen).toHaveLength(producers * perProducer);
            const keys = new Set(seen.map(([p, i]) => `${p}:${i}`));
            expect(keys.size).toBe(seen.length);
            if (consumers === 1) {
              for (let p = 0; p < producers; p++) {
                expect(seen.filter(([q]) => q === p).map(([, i]) => i)).toEqual(Array.from({ length: perProducer }, (_, i) => i));
              }
            }
          } finally {
            queue.close();
            out.close();
          }
        },
      ),
      { numRuns: runtime === 'thread' ? 12 : 6 },
    );
  });

  it('items put before close are delivered; a consumer blocked on a closed, drained queue gets ClosedError', async () => {
    const queue = track(new Queue<number>());
    const out = track(new Queue<unknown>());
    const blockedAsync = start({ target: tasks.getUntilClosed, args: [queue, out], runtime });
    const blockedSync = start({ target: tasks.getSyncUntilClosed, args: [queue, out], runtime });
    await new Promise((resolve) => setTimeout(resolve, 300));
    queue.close();
    const results = await take(out, 2);
    expect(results).toEqual([
      ['error', 'ClosedError', 'ERR_QUEUE_CLOSED'],
      ['error', 'ClosedError', 'ERR_QUEUE_CLOSED'],
    ]);
    expect(await blockedAsync.join()).toBe(0);
    expect(await blockedSync.join()).toBe(0);

    const drained = new Queue<number>();
    for (let i = 0; i < 5; i++) await drained.put(i);
    drained.close();
    const reader = start({ target: tasks.consume, args: [drained, out, 'r'], runtime });
    expect(await take(out, 6)).toEqual([0, 1, 2, 3, 4, ['done', 'r', 5]]);
    expect(await reader.join()).toBe(0);
  });

  it('a non-cloneable put in a child throws at once and the queue stays usable with the right size', async () => {
    const queue = track(new Queue<unknown>(4));
    const out = track(new Queue<unknown>());
    await queue.put('before');
    const child = start({ target: tasks.putBad, args: [queue, out], runtime });
    expect(await out.get({ timeout: 20_000 })).toEqual(['NotCloneableError', 'ERR_NOT_CLONEABLE']);
    expect(await child.join()).toBe(0);
    expect(queue.qsize()).toBe(2);
    expect([await queue.get(), await queue.get()]).toEqual(['before', 'good']);
  });

  it('a bounded queue makes a child wait while full and honours its timeout', async () => {
    const queue = track(new Queue<string>(1));
    const out = track(new Queue<unknown>());
    await queue.put('full');
    const timedOut = start({ target: tasks.putTimeout, args: [queue, out, 200], runtime });
    expect(await out.get({ timeout: 20_000 })).toEqual(['error', 'ERR_QUEUE_FULL']);
    expect(await timedOut.join()).toBe(0);
    const waiting = start({ target: tasks.putTimeout, args: [queue, out, 20_000], runtime });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(out.qsize()).toBe(0);
    expect(await queue.get()).toBe('full');
    expect(await out.get({ timeout: 20_000 })).toBe('put');
    expect(await queue.get()).toBe('overflow');
    expect(await waiting.join()).toBe(0);
  });

  it('a child that dies holding items, or blocked in get, does not wedge the queue', async () => {
    const queue = track(new Queue<number>(4));
    const out = track(new Queue<unknown>());
    for (let i = 0; i < 4; i++) await queue.put(i);
    const taker = start({ target: tasks.takeAndHang, args: [queue, out, 2], runtime });
    expect(await out.get({ timeout: 20_000 })).toBe('took');
    taker.kill();
    await taker.join();
    const waiter = start({ target: tasks.hangInGet, args: [queue, out], runtime });
    // Drain what is left so the waiter blocks, then kill it while it waits.
    expect([await queue.get(), await queue.get()]).toEqual([2, 3]);
    expect(await out.get({ timeout: 20_000 })).toBe('waiting');
    await new Promise((resolve) => setTimeout(resolve, 200));
    waiter.kill();
    await waiter.join();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The others go on: nothing taken by the dead waiter, puts and gets work, the size is right.
    for (let i = 10; i < 14; i++) await queue.put(i, { timeout: 5_000 });
    expect(queue.qsize()).toBe(4);
    const reader = start({ target: tasks.consume, args: [queue, out, 'after'], runtime });
    expect(await take(out, 4)).toEqual([10, 11, 12, 13]);
    queue.close();
    expect(await out.get({ timeout: 20_000 })).toEqual(['done', 'after', 4]);
    expect(await reader.join()).toBe(0);
  });

  it('a queue travels through another queue, and a queue made in a child comes back and works', async () => {
    const carrier = track(new Queue<unknown>());
    const inner = track(new Queue<unknown>());
    await carrier.put(inner);
    await inner.put('ping');
    const out = track(new Queue<unknown>());
    const child = start({ target: tasks.viaQueue, args: [carrier, out], runtime });
    expect(await out.get({ timeout: 20_000 })).toEqual({ isQueue: true, got: 'ping' });
    expect(await child.join()).toBe(0);
    expect(await inner.get({ timeout: 20_000 })).toBe('pong');

    const maker = start({ target: tasks.makeQueue, args: [out], runtime });
    const theirs = (await out.get({ timeout: 20_000 })) as Queue<string>;
    expect(theirs).toBeInstanceOf(Queue);
    await theirs.put('hello');
    expect(await out.get({ timeout: 20_000 })).toEqual(['echo', 'hello']);
    expect(await maker.join()).toBe(0);
  });

  it('JoinableQueue.join waits for the children to mark every item done', async () => {
    const queue = track(new JoinableQueue<number>());
    for (let i = 0; i < 20; i++) await queue.put(i);
    const workers = [0, 1].map(() => start({ target: tasks.work, args: [queue, 10], runtime }));
    await queue.join();
    expect(queue.qsize()).toBe(0);
    for (const worker of workers) expect(await worker.join()).toBe(0);
  });

  it('SimpleQueue passes to a child', async () => {
    const queue = track(new SimpleQueue<Item>());
    const child = start({ target: tasks.produce, args: [queue, 5, 50], runtime });
    const items: Item[] = [];
    for (let i = 0; i < 50; i++) items.push(await queue.get());
    expect(items.map(([, i]) => i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await child.join()).toBe(0);
  });

  it('a queue passes to a pool task', async () => {
    const queue = track(new Queue<string>());
    const pool = new Pool({ processes: 2, runtime });
    try {
      expect(await pool.apply(tasks.poolPut, [queue, 'from the pool'])).toBe('from the pool');
      expect(await queue.get({ timeout: 20_000 })).toBe('from the pool');
    } finally {
      await pool.terminate();
    }
  });
});
