import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, TimeoutError } from '@multiproc/transport';
import { AbandonedLockError, Event, Lock, LockNotHeldError } from '@multiproc/sync';
import tasks from './fixtures/tasks.js';
import { counterFile, pool, RUNTIMES, runAll, sleep, start } from './helpers.js';

describe('Lock (ported from CPython lock_tests.BaseLockTests / LockTests)', () => {
  it('acquires and releases; locked() follows', async () => {
    const lock = new Lock();
    expect(lock.locked()).toBe(false);
    expect(await lock.acquire()).toBe(true);
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(false);
    expect(lock.acquireSync()).toBe(true);
    lock.release();
  });

  it('a non-blocking acquire fails at once while held, and a timed one times out', async () => {
    const lock = new Lock();
    await lock.acquire();
    expect(await lock.acquire({ block: false })).toBe(false);
    expect(lock.acquireSync({ block: false })).toBe(false);
    const started = performance.now();
    expect(await lock.acquire({ timeout: 50 })).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(lock.acquireSync({ timeout: 20 })).toBe(false);
    lock.release();
    expect(await lock.acquire({ block: false })).toBe(true);
    lock.release();
  });

  it('is not reentrant: a second acquire by the same thread waits', async () => {
    const lock = new Lock();
    await lock.acquire();
    expect(await lock.acquire({ timeout: 10 })).toBe(false);
    lock.release();
  });

  it('releasing an unlocked lock throws LockNotHeldError', () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(LockNotHeldError);
  });

  it('may be released by another party than the one that acquired it (as Python)', async () => {
    const lock = new Lock();
    await lock.acquire();
    const waiter = lock.acquire();
    await sleep(10);
    lock.release();
    expect(await waiter).toBe(true);
    lock.release();
  });

  it('rejects bad options at once', async () => {
    const lock = new Lock();
    expect(() => lock.acquire({ timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => lock.acquire({ block: false, timeout: 5 })).toThrow(InvalidArgumentError);
    expect(() => lock.acquireSync({ timeout: Number.NaN })).toThrow(InvalidArgumentError);
  });

  it('lock() returns a disposable guard; a timed lock() throws TimeoutError', async () => {
    const lock = new Lock();
    const held = await lock.lock();
    expect(lock.locked()).toBe(true);
    await expect(lock.lock({ timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
    held[Symbol.dispose]();
    held.release(); // a second release through the guard is a no-op
    expect(lock.locked()).toBe(false);
    const again = lock.lockSync();
    expect(lock.locked()).toBe(true);
    again.release();
    expect(lock.locked()).toBe(false);
  });

  it('wakes waiters in turn: many async acquirers on one thread all get through', async () => {
    const lock = new Lock();
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        await lock.acquire();
        inside++;
        maxInside = Math.max(maxInside, inside);
        await sleep(0);
        inside--;
        lock.release();
      }),
    );
    expect(maxInside).toBe(1);
    expect(lock.locked()).toBe(false);
  });
});

describe.each(RUNTIMES)('Lock on the %s runtime', (runtime) => {
  it('N workers x M locked increments give exactly N*M', async () => {
    const lock = new Lock();
    if (runtime === 'thread') {
      const counter = new SharedArrayBuffer(4);
      const n = 4;
      const m = 20_000;
      const children = Array.from({ length: n }, (_, i) => start(i % 2 ? tasks.incrementSync : tasks.incrementAsync, [lock, counter, m], runtime));
      expect(await runAll(children)).toEqual([0, 0, 0, 0]);
      expect(new Int32Array(counter)[0]).toBe(n * m);
    } else {
      const file = counterFile();
      const n = 4;
      const m = 50;
      const children = Array.from({ length: n }, (_, i) => start(tasks.incrementFile, [lock, file.path, m, i % 2 === 1], runtime));
      expect(await runAll(children)).toEqual([0, 0, 0, 0]);
      expect(file.read()).toBe(n * m);
    }
    expect(lock.locked()).toBe(false);
  });

  it('works as a pool task argument: acquire, locked, acquireSync, lock()', async () => {
    const p = pool({ processes: 2, runtime });
    const lock = new Lock();
    const seen = await p.apply(tasks.lockProbe, [lock]);
    expect(seen).toEqual({ tryFirst: true, lockedWhileHeld: true, lockedAfter: false, sync: true, guard: true, afterGuard: false });
    await lock.acquire();
    expect(await p.apply(tasks.tryLock, [lock, 50])).toBe(false);
    lock.release();
    expect(await p.apply(tasks.tryLock, [lock, 5_000])).toBe(true);
    // The worker took it and kept it: the owner sees it held.
    expect(lock.locked()).toBe(true);
  });

  it.each(['async', 'sync'])('a holder killed mid-critical-section (%s acquire) is detected: the next acquirer gets AbandonedLockError', async (mode) => {
    const lock = new Lock();
    const held = new Event();
    const holder = start(mode === 'sync' ? tasks.holdForeverSync : tasks.holdForever, [lock, held], runtime);
    expect(await held.wait(20_000)).toBe(true);
    expect(lock.locked()).toBe(true);
    const waiter = lock.acquire().then(
      () => 'acquired',
      (error: unknown) => error,
    );
    await sleep(50);
    holder.kill();
    expect(await holder.join()).toBe(-9);
    const outcome = await waiter;
    expect(AbandonedLockError.isInstance(outcome)).toBe(true);
    expect((outcome as AbandonedLockError).code).toBe('ERR_LOCK_ABANDONED');
    expect((outcome as AbandonedLockError).holder).toMatch(runtime === 'thread' ? /^thread \d+ of process \d+$/ : /^the main thread of process \d+$/);
    // The lock was released: it works again.
    expect(lock.locked()).toBe(false);
    expect(await lock.acquire({ timeout: 5_000 })).toBe(true);
    lock.release();
  });

  it('a non-blocking acquire also detects a dead holder', async () => {
    const lock = new Lock();
    const held = new Event();
    const holder = start(tasks.holdForever, [lock, held], runtime);
    expect(await held.wait(20_000)).toBe(true);
    holder.kill();
    await holder.join();
    // Thread deaths are recorded on this thread's event loop; give it a turn.
    await sleep(20);
    await expect(lock.acquire({ block: false })).rejects.toBeInstanceOf(AbandonedLockError);
    expect(await lock.acquire({ block: false })).toBe(true);
    lock.release();
  });
});

describe('Lock abandoned by a recycled pool worker', () => {
  it('a worker ended by the pool taskTimeout releases the lock it held, with AbandonedLockError to the next acquirer', async () => {
    const p = pool({ processes: 1, runtime: 'thread', taskTimeout: 300 });
    const lock = new Lock();
    const held = new Event();
    const task = p.apply(tasks.holdForever, [lock, held]).then(
      () => 'done',
      (error: unknown) => (error as Error).name,
    );
    expect(await held.wait(20_000)).toBe(true);
    await expect(lock.acquire()).rejects.toBeInstanceOf(AbandonedLockError);
    expect(await task).toBe('TimeoutError');
    // The pool goes on, and so does the lock.
    expect(await p.apply(tasks.tryLock, [lock, 5_000])).toBe(true);
  });
});

describe('Lock fairness bound', () => {
  it('a waiter is not starved by a worker that takes the lock back at once, again and again (async API)', async () => {
    const lock = new Lock();
    const running = new Event();
    const stop = new Event();
    const child = start(tasks.retakeUntil, [lock, running, stop], 'thread');
    try {
      expect(await running.wait(20_000)).toBe(true);
      await sleep(20);
      const waits: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        // The holder favours itself for about a millisecond, then the waiter is woken and gets the lock.
        expect(await lock.acquire({ timeout: 5_000 })).toBe(true);
        waits.push(performance.now() - started);
        lock.release();
        await sleep(1);
      }
      expect(Math.max(...waits)).toBeLessThan(1_000);
    } finally {
      stop.set();
    }
    expect(await runAll([child])).toEqual([0]);
    expect(lock.locked()).toBe(false);
  });
});
