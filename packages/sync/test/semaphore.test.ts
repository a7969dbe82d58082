import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@multiproc/transport';
import { BoundedSemaphore, OverReleaseError, Semaphore } from '@multiproc/sync';
import tasks from './fixtures/tasks.js';
import { pool, RUNTIMES, runAll, sleep, start } from './helpers.js';

describe('Semaphore (ported from CPython lock_tests.BaseSemaphoreTests)', () => {
  it('rejects a negative or non-integer value', () => {
    expect(() => new Semaphore(-1)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(1.5)).toThrow(InvalidArgumentError);
    expect(() => new BoundedSemaphore(-1)).toThrow(InvalidArgumentError);
  });

  it('acquire decrements, release increments, getValue reports', async () => {
    const semaphore = new Semaphore(3);
    expect(await semaphore.acquire()).toBe(true);
    expect(semaphore.acquireSync()).toBe(true);
    expect(semaphore.getValue()).toBe(1);
    semaphore.release();
    semaphore.release(2);
    expect(semaphore.getValue()).toBe(4); // an unbounded semaphore may go past its initial value
  });

  it('a non-blocking acquire fails at zero; a timed one times out', async () => {
    const semaphore = new Semaphore(0);
    expect(await semaphore.acquire({ block: false })).toBe(false);
    expect(semaphore.acquireSync({ block: false })).toBe(false);
    const started = performance.now();
    expect(await semaphore.acquire({ timeout: 40 })).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('release(n) wakes n waiters', async () => {
    const semaphore = new Semaphore(0);
    let through = 0;
    const waiters = Array.from({ length: 5 }, () => semaphore.acquire({ timeout: 10_000 }).then((ok) => ok && through++));
    await sleep(20);
    semaphore.release(3);
    await sleep(50);
    expect(through).toBe(3);
    semaphore.release(2);
    await Promise.all(waiters);
    expect(through).toBe(5);
    expect(semaphore.getValue()).toBe(0);
  });

  it('BoundedSemaphore: releasing past the initial value throws OverReleaseError', async () => {
    const semaphore = new BoundedSemaphore(2);
    expect(() => semaphore.release()).toThrow(OverReleaseError);
    await semaphore.acquire();
    semaphore.release();
    expect(() => semaphore.release()).toThrow(OverReleaseError);
    await semaphore.acquire();
    await semaphore.acquire();
    expect(() => semaphore.release(3)).toThrow(OverReleaseError);
    semaphore.release(2);
    expect(semaphore.getValue()).toBe(2);
  });
});

describe.each(RUNTIMES)('Semaphore on the %s runtime', (runtime) => {
  it('a Semaphore(k) never admits k + 1 (shared counters over many rounds)', async () => {
    const k = 2;
    const semaphore = new Semaphore(k);
    const counters = new SharedArrayBuffer(8);
    if (runtime === 'thread') {
      const children = Array.from({ length: 6 }, (_, i) => start(tasks.semaphoreRounds, [semaphore, counters, 300, i % 2 === 1], runtime));
      expect(await runAll(children)).toEqual([0, 0, 0, 0, 0, 0]);
      const view = new Int32Array(counters);
      expect(view[0]).toBe(0);
      expect(view[1]).toBe(k);
    } else {
      // Child processes share no memory: they take permits through the proxy; only k can be taken.
      const p = pool({ processes: 3, runtime });
      const results = await Promise.all([p.apply(tasks.takeOne, [semaphore, 3_000]), p.apply(tasks.takeOne, [semaphore, 3_000]), p.apply(tasks.takeOne, [semaphore, 300])]);
      expect(results.filter(Boolean)).toHaveLength(k);
      expect(semaphore.getValue()).toBe(0);
      semaphore.release(2);
      expect(await p.apply(tasks.takeOne, [semaphore, 3_000])).toBe(true);
      expect(semaphore.getValue()).toBe(1);
    }
  });

  it('a BoundedSemaphore over-released in a worker throws OverReleaseError there', async () => {
    const p = pool({ processes: 1, runtime });
    const semaphore = new BoundedSemaphore(1);
    expect(await p.apply(tasks.releaseIt, [semaphore])).toBe('OverReleaseError');
    expect(await p.apply(tasks.takeOne, [semaphore, 1_000])).toBe(true);
    expect(await p.apply(tasks.releaseIt, [semaphore])).toBe('released');
    expect(semaphore.getValue()).toBe(1);
  });
});
