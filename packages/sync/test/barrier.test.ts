import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@multiproc/transport';
import { Barrier, BrokenBarrierError } from '@multiproc/sync';
import tasks from './fixtures/tasks.js';
import { pool, RUNTIMES, runAll, sleep, start, tempDir } from './helpers.js';

describe('Barrier (ported from CPython lock_tests.BarrierTests)', () => {
  it('rejects bad arguments', () => {
    expect(() => new Barrier(0)).toThrow(InvalidArgumentError);
    expect(() => new Barrier(1.5)).toThrow(InvalidArgumentError);
    expect(() => new Barrier(2, { timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => new Barrier(2, { action: 5 as never })).toThrow(InvalidArgumentError);
  });

  it('releases all parties together, with indices 0..parties-1, and can be reused (test_barrier / test_wait_return)', async () => {
    const barrier = new Barrier(3);
    expect(barrier.parties).toBe(3);
    for (let round = 0; round < 5; round++) {
      const waits = [barrier.wait(), barrier.wait()];
      await sleep(5);
      expect(barrier.nWaiting).toBe(2);
      waits.push(barrier.wait());
      expect((await Promise.all(waits)).sort()).toEqual([0, 1, 2]);
      expect(barrier.nWaiting).toBe(0);
    }
  });

  it('runs the action once per round, in the last party, before any is released (test_action)', async () => {
    let runs = 0;
    const order: string[] = [];
    const barrier = new Barrier(3, {
      action: () => {
        runs++;
        order.push('action');
      },
    });
    await Promise.all([0, 1, 2].map(async () => order.push(`released ${await barrier.wait()}`)));
    expect(runs).toBe(1);
    expect(order[0]).toBe('action');
  });

  it('a failing action breaks the barrier for every waiter, with the error as cause (test_abort / action raises)', async () => {
    const failure = new RangeError('nope');
    const barrier = new Barrier(3, {
      action: () => {
        throw failure;
      },
    });
    const outcomes = await Promise.allSettled([barrier.wait(), barrier.wait(), barrier.wait()]);
    expect(outcomes.every((outcome) => outcome.status === 'rejected' && BrokenBarrierError.isInstance(outcome.reason))).toBe(true);
    const causes = outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason.cause);
    expect(causes.filter((cause) => cause === failure)).toHaveLength(1);
    expect(barrier.broken).toBe(true);
    await expect(barrier.wait()).rejects.toBeInstanceOf(BrokenBarrierError);
    barrier.reset();
    expect(barrier.broken).toBe(false);
  });

  it('a timed-out wait breaks the barrier for all (test_timeout / test_default_timeout)', async () => {
    const barrier = new Barrier(3, { timeout: 30 });
    const outcomes = await Promise.allSettled([barrier.wait(), barrier.wait(5_000)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(barrier.broken).toBe(true);
    expect(() => barrier.waitSync()).toThrow(BrokenBarrierError);
  });

  it('abort breaks it; reset makes it usable again and breaks current waiters (test_abort / test_reset)', async () => {
    const barrier = new Barrier(2);
    const waiting = barrier.wait();
    await sleep(5);
    barrier.abort();
    await expect(waiting).rejects.toBeInstanceOf(BrokenBarrierError);
    barrier.reset();
    const first = barrier.wait();
    await sleep(5);
    barrier.reset();
    await expect(first).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(barrier.broken).toBe(false);
    expect((await Promise.all([barrier.wait(), barrier.wait()])).sort()).toEqual([0, 1]);
  });

  it('a single-party barrier passes at once (test_single_thread)', async () => {
    const barrier = new Barrier(1);
    expect(await barrier.wait()).toBe(0);
    expect(barrier.waitSync()).toBe(0);
  });
});

describe.each(RUNTIMES)('Barrier on the %s runtime', (runtime) => {
  it('generations stay in lockstep over 100 rounds', async () => {
    const parties = runtime === 'thread' ? 4 : 3;
    const rounds = 100;
    const barrier = new Barrier(parties);
    // Threads also check, after every round, that no party is behind (shared progress counters).
    const progress = runtime === 'thread' ? new SharedArrayBuffer(4 * parties) : undefined;
    const dir = tempDir();
    const children = Array.from({ length: parties }, (_, slot) =>
      start(tasks.barrierRounds, [barrier, rounds, progress, slot, slot % 2 === 1, dir.path(`${slot}.json`)], runtime),
    );
    expect(await runAll(children)).toEqual(children.map(() => 0));
    const results = Array.from({ length: parties }, (_, slot) => dir.read<number[]>(`${slot}.json`));
    // In every round, the indices of the parties are a permutation of 0..parties-1.
    for (let round = 0; round < rounds; round++) {
      expect(results.map((indices) => indices[round]).sort()).toEqual(Array.from({ length: parties }, (_, i) => i));
    }
    expect(barrier.broken).toBe(false);
  });

  it('abort from a worker breaks the waiters here', async () => {
    const p = pool({ processes: 1, runtime });
    const barrier = new Barrier(3);
    const waiting = barrier.wait(30_000).then(
      () => 'passed',
      (error: unknown) => error,
    );
    await sleep(20);
    await p.apply(tasks.abortBarrier, [barrier]);
    expect(BrokenBarrierError.isInstance(await waiting)).toBe(true);
    expect(barrier.broken).toBe(true);
  });

  it('the action travels with the barrier: an inline function runs in the last party', async () => {
    const barrier = new Barrier(2, {
      action: () => {
        (globalThis as Record<string, unknown>)['__lastParty'] = 'ran';
      },
    });
    const worker = start(tasks.barrierOnce, [barrier, 20_000, false], runtime);
    const deadline = Date.now() + 20_000;
    while (barrier.nWaiting < 1 && Date.now() < deadline) await sleep(10);
    // The worker waits; this thread arrives last, so the action runs here.
    expect(await barrier.wait(20_000)).toBe(1);
    expect((globalThis as Record<string, unknown>)['__lastParty']).toBe('ran');
    delete (globalThis as Record<string, unknown>)['__lastParty'];
    expect(await runAll([worker])).toEqual([0]);
  });
});
