// The pipelined puts of a queue proxied to a child process: a child's put resolves against credits the
// owner granted, and its records travel in batches. These tests hold it to the queue's semantics.
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from '@multiproc/channel';
import tasks from './fixtures/tasks.js';
import { cleanup, rejection, start, track } from './helpers.js';

afterEach(cleanup);

const runtime = 'process';

/** Takes every item until the queue is closed and drained (fails the test if it takes over `ms`). */
async function drain<T>(queue: Queue<T>, ms = 30_000): Promise<T[]> {
  const items: T[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      items.push(await queue.get({ timeout: Math.max(1, deadline - Date.now()) }));
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_QUEUE_CLOSED') return items;
      throw error;
    }
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('pipelined puts from a child process', () => {
  it('keep their order over many batches, awaited or not, mixed with putSync', async () => {
    const queue = track(new Queue<number>());
    const a = start({ target: tasks.produceUnawaited, args: [queue, 20_000, false], runtime });
    expect(await a.join()).toBe(0);
    const mixed = start({ target: tasks.produceMixed, args: [queue, 3_000], runtime });
    expect(await mixed.join()).toBe(0);
    const got: number[] = [];
    while (!queue.empty()) got.push(queue.getNowait());
    expect(got).toEqual([...range(20_000), ...range(3_000)]);
  });

  it('a child that calls process.exit() right after its puts resolved: every one of them arrives, in order', async () => {
    for (const count of [1, 300, 1_000]) {
      const queue = track(new Queue<number>());
      const child = start({ target: tasks.produceThenExit, args: [queue, count], runtime });
      expect(await child.join()).toBe(0);
      const got: number[] = [];
      for (let i = 0; i < count; i++) got.push(await queue.get({ timeout: 10_000 }));
      expect(got).toEqual(range(count));
      expect(queue.qsize()).toBe(0);
    }
  });

  it('puts made before close() in the child go in; the consumer sees them, then the end', async () => {
    const queue = track(new Queue<number>());
    const child = start({ target: tasks.produceUnawaited, args: [queue, 5_000, true], runtime });
    const got: number[] = [];
    for await (const item of queue) got.push(item);
    expect(got).toEqual(range(5_000));
    expect(await child.join()).toBe(0);
    expect(await rejection(queue.put(1))).toMatchObject({ code: 'ERR_QUEUE_CLOSED' });
  });

  it('a close racing with puts in flight: every put that resolved is delivered, in order, before the end', async () => {
    for (let round = 0; round < 3; round++) {
      const queue = track(new Queue<number>());
      const out = track(new Queue<[number, string]>());
      const child = start({ target: tasks.produceUntilClosed, args: [queue, out], runtime });
      // Let the child get going (its puts now resolve against credits), then close under it.
      const first: number[] = [];
      for (let i = 0; i < 1_000 + round * 3_000; i++) first.push(await queue.get({ timeout: 20_000 }));
      queue.close();
      const rest = await drain(queue);
      const [failedAt, code] = await out.get({ timeout: 20_000 });
      expect(code).toBe('ERR_QUEUE_CLOSED');
      // Puts 0 .. failedAt-1 resolved in the child: each arrived exactly once, in order, and the
      // consumer saw the end only after all of them.
      expect([...first, ...rest]).toEqual(range(failedAt));
      expect(await child.join()).toBe(0);
      expect(queue.qsize()).toBe(0);
    }
  });

  it('a child killed mid-stream does not wedge the queue, and the slots it reserved come back', async () => {
    const queue = track(new Queue<number>(16));
    const child = start({ target: tasks.produceForever, args: [queue], runtime });
    const got: number[] = [];
    for (let i = 0; i < 2_000; i++) got.push(await queue.get({ timeout: 20_000 }));
    child.kill();
    expect(await child.join()).toBe(-9);
    // What the child had put is still there, in order; nothing more is on its way.
    const start2 = Date.now();
    while (Date.now() - start2 < 2_000) {
      try {
        got.push(queue.getNowait());
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    expect(got).toEqual(range(got.length));
    // Every slot is free again: a bounded queue of 16 takes 16 items without waiting.
    for (let i = 0; i < 16; i++) queue.putNowait(-1);
    expect(queue.full()).toBe(true);
    queue.close();
    expect(await drain(queue, 5_000)).toHaveLength(16);
  });

  it('a bounded queue holds a child back and honours its put timeout', async () => {
    const queue = track(new Queue<number | string>(8));
    const out = track(new Queue<unknown>());
    const child = start({ target: tasks.fillThenTimeout, args: [queue, out, 8, 300], runtime });
    const report = (await out.get({ timeout: 20_000 })) as [string, string, number, number];
    expect(report[0]).toBe('error');
    expect(report[1]).toBe('ERR_QUEUE_FULL');
    expect(report[2]).toBeGreaterThanOrEqual(250);
    expect(report[3]).toBe(8);
    expect(queue.qsize()).toBe(8);
    expect(queue.full()).toBe(true);
    // Room for one: the child's next put goes in.
    expect(await queue.get()).toBe(0);
    expect(await out.get({ timeout: 20_000 })).toBe('done');
    expect(await child.join()).toBe(0);
    const rest: unknown[] = [];
    while (!queue.empty()) rest.push(queue.getNowait());
    expect(rest).toEqual([...range(8).slice(1), 'after']);
  });

  it('a bounded queue fed by a pipelined child never holds more than maxsize', async () => {
    const queue = track(new Queue<number>(4));
    const child = start({ target: tasks.produceUnawaited, args: [queue, 3_000, true], runtime });
    const got: number[] = [];
    let most = 0;
    for (;;) {
      most = Math.max(most, queue.qsize());
      try {
        got.push(await queue.get({ timeout: 20_000 }));
      } catch (error) {
        expect((error as { code?: string }).code).toBe('ERR_QUEUE_CLOSED');
        break;
      }
    }
    expect(most).toBeLessThanOrEqual(4);
    expect(got).toEqual(range(3_000));
    expect(await child.join()).toBe(0);
  });

  it("qsize() in the child counts its own puts still on their way", async () => {
    const queue = track(new Queue<number>());
    const out = track(new Queue<number>());
    const child = start({ target: tasks.putThenQsize, args: [queue, out, 300], runtime });
    expect(await out.get({ timeout: 20_000 })).toBe(300);
    expect(await child.join()).toBe(0);
    expect(queue.qsize()).toBe(300);
  });

  it('a non-cloneable item throws at once in the child, and the queue stays usable', async () => {
    const queue = track(new Queue<unknown>());
    const out = track(new Queue<unknown>());
    const child = start({ target: tasks.putBad, args: [queue, out], runtime });
    expect(await out.get({ timeout: 20_000 })).toEqual(['NotCloneableError', 'ERR_NOT_CLONEABLE']);
    expect(await child.join()).toBe(0);
    expect(queue.qsize()).toBe(1);
    expect(await queue.get()).toBe('good');
  });
});

describe('gathered puts and blocking calls', () => {
  it('a child that blocks in a synchronous call on another queue has sent its gathered puts first (no deadlock)', async () => {
    const queue = track(new Queue<number>());
    const go = track(new Queue<string>());
    const child = start({ target: tasks.putThenBlock, args: [queue, go, 2_000], runtime });
    // The parent takes every item before it answers: the child, blocked in go.getSync(), cannot end its turn,
    // so the items it gathered must have been sent before it blocked.
    const got: number[] = [];
    for (let i = 0; i < 2_000; i++) got.push(await queue.get({ timeout: 15_000 }));
    expect(got).toEqual(range(2_000));
    await go.put('go');
    expect(await child.join(20_000)).toBe(0);
  });
});
