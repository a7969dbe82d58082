import { describe, expect, it } from 'vitest';
import { Condition, Event, Lock, LockNotHeldError, RLock } from '@multiproc/sync';
import { InvalidArgumentError } from '@multiproc/transport';
import tasks from './fixtures/tasks.js';
import { pool, RUNTIMES, runAll, sleep, start } from './helpers.js';

describe('Condition (ported from CPython lock_tests.ConditionTests)', () => {
  it('wait, notify and notifyAll need the lock', async () => {
    const condition = new Condition();
    await expect(async () => condition.wait(10)).rejects.toBeInstanceOf(LockNotHeldError);
    expect(() => condition.notify()).toThrow(LockNotHeldError);
    expect(() => condition.notifyAll()).toThrow(LockNotHeldError);
    expect(() => new Condition({} as Lock)).toThrow(InvalidArgumentError);
  });

  it('defaults to an RLock, accepts a Lock, and acquires and releases it', async () => {
    const condition = new Condition();
    expect(condition.getLock()).toBeInstanceOf(RLock);
    await condition.acquire();
    await condition.acquire();
    condition.release();
    condition.release();
    const lock = new Lock();
    const withLock = new Condition(lock);
    expect(withLock.getLock()).toBe(lock);
    await withLock.acquire();
    expect(lock.locked()).toBe(true);
    withLock.release();
  });

  it('wait times out, returns false, and holds the lock again (also with a recursion count)', async () => {
    const condition = new Condition();
    await condition.acquire();
    await condition.acquire();
    expect(await condition.wait(20)).toBe(false);
    expect(condition.waitSync(10)).toBe(false);
    condition.release();
    expect(condition.getLock().locked()).toBe(true);
    condition.release();
    expect(condition.getLock().locked()).toBe(false);
  });

  it('notify(n) wakes exactly n async waiters, the longest-waiting first', async () => {
    const condition = new Condition(new Lock());
    // The lock is not FIFO (neither is CPython's), so the waiters may enter wait() in any order:
    // record that order while each one holds the lock, and compare the wake-ups against it.
    const entered: number[] = [];
    const woken: number[] = [];
    const waiters = Array.from({ length: 5 }, async (_, i) => {
      await condition.acquire();
      entered.push(i);
      const notified = await condition.wait(10_000);
      if (notified) woken.push(i);
      condition.release();
    });
    const deadline = Date.now() + 10_000;
    while (entered.length < 5 && Date.now() < deadline) await sleep(5);
    expect(entered.length).toBe(5);
    // Acquiring the lock here means the last waiter has released it inside wait(), so all five are queued.
    await condition.acquire();
    condition.notify(2);
    condition.release();
    await sleep(50);
    expect(woken).toEqual(entered.slice(0, 2));
    await condition.acquire();
    condition.notify(0);
    condition.notify();
    condition.release();
    await sleep(50);
    expect(woken).toEqual(entered.slice(0, 3));
    await condition.acquire();
    condition.notifyAll();
    condition.release();
    await Promise.all(waiters);
    expect(woken.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('a timed-out waiter does not swallow a later notify (CPython test_timeout / issue 1229429)', async () => {
    const condition = new Condition();
    const first = (async () => {
      await condition.acquire();
      const result = await condition.wait(20);
      condition.release();
      return result;
    })();
    await sleep(5);
    const second = (async () => {
      await condition.acquire();
      const result = await condition.wait(10_000);
      condition.release();
      return result;
    })();
    expect(await first).toBe(false);
    await sleep(10);
    await condition.acquire();
    condition.notify(1);
    condition.release();
    expect(await second).toBe(true);
  });

  it('waitFor checks the predicate first, after each wake-up, and returns its last value on timeout', async () => {
    const condition = new Condition();
    let state = 0;
    await condition.acquire();
    expect(await condition.waitFor(() => 'ready')).toBe('ready');
    expect(await condition.waitFor(() => state === 3, 30)).toBe(false);
    condition.release();
    const waiter = (async () => {
      await condition.acquire();
      const result = await condition.waitFor(() => state === 3 && 'three', 10_000);
      condition.release();
      return result;
    })();
    for (let i = 0; i < 3; i++) {
      await sleep(5);
      await condition.acquire();
      state++;
      condition.notify();
      condition.release();
    }
    expect(await waiter).toBe('three');
  });
});

describe.each(RUNTIMES)('Condition on the %s runtime', (runtime) => {
  it('notify(n) wakes exactly n waiting workers', async () => {
    const parties = runtime === 'thread' ? 6 : 3;
    const condition = new Condition();
    const ready = Array.from({ length: parties }, () => new Event());
    const done = Array.from({ length: parties }, () => new Event());
    const children = ready.map((event, i) => start(tasks.conditionWait, [condition, event, 30_000, i % 2 === 1, done[i]], runtime));
    expect(await Promise.all(ready.map((event) => event.wait(30_000)))).toEqual(ready.map(() => true));
    // Each waiter signalled while holding the lock; once we hold it, they are all inside wait().
    await condition.acquire();
    condition.notify(2);
    condition.release();
    const woken = (): number => done.filter((event) => event.isSet()).length;
    const deadline = Date.now() + 20_000;
    while (woken() < 2 && Date.now() < deadline) await sleep(10);
    await sleep(300);
    expect(woken()).toBe(2);
    await condition.acquire();
    condition.notify(1);
    condition.release();
    while (woken() < 3 && Date.now() < deadline) await sleep(10);
    await sleep(300);
    expect(woken()).toBe(3);
    await condition.acquire();
    condition.notifyAll();
    condition.release();
    expect(await runAll(children)).toEqual(children.map(() => 0));
    expect(woken()).toBe(parties);
  });

  it('waitFor in a worker sees a predicate set here', async () => {
    if (runtime === 'process') {
      // The predicate reads memory that child processes do not share: exercise wait/notify through the proxy instead.
      const p = pool({ processes: 1, runtime });
      const condition = new Condition();
      const ready = new Event();
      const result = p.apply(tasks.conditionWait, [condition, ready, 200, false, undefined]);
      expect(await ready.wait(20_000)).toBe(true);
      expect(await result).toBe(false); // timed out: nobody notified
      return;
    }
    const p = pool({ processes: 1, runtime });
    const condition = new Condition();
    const flag = new SharedArrayBuffer(4);
    const result = p.apply(tasks.waitForFlag, [condition, flag]);
    await sleep(50);
    await condition.acquire();
    Atomics.store(new Int32Array(flag), 0, 1);
    condition.notifyAll();
    condition.release();
    expect(await result).toBe(true);
  });
});
