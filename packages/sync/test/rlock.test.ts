import { describe, expect, it } from 'vitest';
import { AbandonedLockError, Condition, Event, LockNotHeldError, RLock } from '@multiproc/sync';
import tasks from './fixtures/tasks.js';
import { counterFile, pool, RUNTIMES, runAll, sleep, start } from './helpers.js';

describe('RLock (ported from CPython lock_tests.RLockTests)', () => {
  it('the owner may acquire again, and must release as many times', async () => {
    const lock = new RLock();
    expect(await lock.acquire()).toBe(true);
    expect(lock.acquireSync()).toBe(true);
    expect(await lock.acquire({ block: false })).toBe(true);
    lock.release();
    lock.release();
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(false);
    expect(() => lock.release()).toThrow(LockNotHeldError);
  });

  it('release by a thread that does not own it throws, and the lock stays held', async () => {
    const lock = new RLock();
    await lock.acquire();
    const p = pool({ processes: 1, runtime: 'thread' });
    expect(await p.apply(tasks.releaseIt, [lock])).toBe('LockNotHeldError');
    expect(lock.locked()).toBe(true);
    lock.release();
  });

  it('ownership is per thread: two async flows on one thread share it (use Lock to exclude them)', async () => {
    const lock = new RLock();
    await lock.acquire();
    // Another async flow on the same thread enters at once.
    expect(await lock.acquire({ timeout: 10 })).toBe(true);
    lock.release();
    lock.release();
  });

  it('Condition.wait on an RLock held twice releases it completely and restores both levels', async () => {
    const lock = new RLock();
    const condition = new Condition(lock);
    await lock.acquire();
    await lock.acquire();
    const p = pool({ processes: 1, runtime: 'thread' });
    const waited = condition.wait(200);
    // While this thread waits, the lock is free: a worker takes it and lets it go.
    expect(await p.apply(tasks.acquireRelease, [lock, 5_000])).toBe(true);
    expect(await waited).toBe(false);
    lock.release();
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(false);
    expect(() => lock.release()).toThrow(LockNotHeldError);
  });

  it('a worker cannot take it while this thread holds it', async () => {
    const lock = new RLock();
    await lock.acquire();
    const p = pool({ processes: 1, runtime: 'thread' });
    expect(await p.apply(tasks.tryLock, [lock, 50])).toBe(false);
    lock.release();
  });
});

describe.each(RUNTIMES)('RLock on the %s runtime', (runtime) => {
  it('reentrancy and owner checks work in the worker', async () => {
    const p = pool({ processes: 1, runtime });
    const lock = new RLock();
    expect(await p.apply(tasks.rlockProbe, [lock])).toBe('LockNotHeldError');
    expect(lock.locked()).toBe(false);
    await lock.acquire();
    expect(await p.apply(tasks.releaseIt, [lock])).toBe('LockNotHeldError');
    lock.release();
  });

  it('N workers x M locked increments give exactly N*M', async () => {
    const lock = new RLock();
    if (runtime === 'thread') {
      const counter = new SharedArrayBuffer(4);
      const children = Array.from({ length: 4 }, (_, i) => start(i % 2 ? tasks.incrementSync : tasks.incrementAsync, [lock, counter, 10_000], runtime));
      expect(await runAll(children)).toEqual([0, 0, 0, 0]);
      expect(new Int32Array(counter)[0]).toBe(40_000);
    } else {
      const file = counterFile();
      const children = Array.from({ length: 3 }, (_, i) => start(tasks.incrementFile, [lock, file.path, 40, i % 2 === 1], runtime));
      expect(await runAll(children)).toEqual([0, 0, 0]);
      expect(file.read()).toBe(120);
    }
  });

  it('nested acquires under contention: the inner release keeps it held, and the total is exact', async () => {
    const lock = new RLock();
    if (runtime === 'thread') {
      const counter = new SharedArrayBuffer(4);
      const children = Array.from({ length: 4 }, (_, i) => start(tasks.incrementNested, [lock, counter, 10_000, i % 2 === 1], runtime));
      expect(await runAll(children)).toEqual([0, 0, 0, 0]);
      expect(new Int32Array(counter)[0]).toBe(40_000);
    } else {
      const file = counterFile();
      const children = Array.from({ length: 2 }, (_, i) => start(tasks.incrementFile, [lock, file.path, 30, i % 2 === 1], runtime));
      expect(await runAll(children)).toEqual([0, 0]);
      expect(file.read()).toBe(60);
    }
    expect(lock.locked()).toBe(false);
  });

  it('a killed holder is detected', async () => {
    const lock = new RLock();
    const held = new Event();
    const holder = start(tasks.holdForever, [lock, held], runtime);
    expect(await held.wait(20_000)).toBe(true);
    holder.kill();
    await holder.join();
    await sleep(20);
    await expect(lock.acquire()).rejects.toBeInstanceOf(AbandonedLockError);
    expect(await lock.acquire()).toBe(true);
    lock.release();
  });
});
