import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from '@multiproc/channel';
import tasks from './fixtures/tasks.js';
import { cleanup, start, track } from './helpers.js';

afterEach(cleanup);

type Report = [id: number, taken: Int32Array, disorder: number, badPads: number];

/**
 * The shared ring under real concurrency: producer and consumer threads at once, records of 5-420 bytes that
 * wrap around the end of the buffer, an unbounded ring that grows from its initial 16 KiB while producers
 * and consumers run (a grow takes both the put and the take lock), and a bounded one where producers wait.
 */
describe('the shared ring under concurrent producers and consumers (worker threads)', () => {
  it.each([
    ['unbounded (grows while in use)', 0],
    ['bounded (maxsize 16: producers wait for space)', 16],
  ])('%s: every item exactly once, intact, each producer in order', async (_label, maxsize) => {
    const producers = 3;
    const consumers = 2;
    const perProducer = 6_000;
    const queue = track(new Queue<[number, number, string]>(maxsize));
    const out = track(new Queue<Report>());
    const makers = Array.from({ length: producers }, (_, p) => start({ target: tasks.produceSized, args: [queue, p, perProducer], runtime: 'thread' }));
    const takers = Array.from({ length: consumers }, (_, c) => start({ target: tasks.consumeChecked, args: [queue, out, c], runtime: 'thread' }));
    for (const maker of makers) expect(await maker.join(60_000)).toBe(0);
    queue.close();
    const reports: Report[] = [];
    for (let c = 0; c < consumers; c++) reports.push(await out.get({ timeout: 60_000 }));
    for (const taker of takers) expect(await taker.join(60_000)).toBe(0);

    const seen = new Uint8Array(producers * perProducer);
    let total = 0;
    for (const [, taken, disorder, badPads] of reports) {
      expect(disorder).toBe(0);
      expect(badPads).toBe(0);
      for (let k = 0; k < taken.length; k += 2) {
        seen[(taken[k] as number) * perProducer + (taken[k + 1] as number)]! += 1;
        total++;
      }
    }
    expect(total).toBe(producers * perProducer);
    expect(seen.every((count) => count === 1)).toBe(true);
    expect(queue.qsize()).toBe(0);
  }, 120_000);
});
