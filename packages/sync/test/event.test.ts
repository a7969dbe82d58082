import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@multiproc/transport';
import { Event } from '@multiproc/sync';
import tasks from './fixtures/tasks.js';
import { pool, RUNTIMES, runAll, sleep, start } from './helpers.js';

describe('Event (ported from CPython lock_tests.EventTests)', () => {
  it('isSet, set, clear', () => {
    const event = new Event();
    expect(event.isSet()).toBe(false);
    event.set();
    expect(event.isSet()).toBe(true);
    event.set();
    expect(event.isSet()).toBe(true);
    event.clear();
    expect(event.isSet()).toBe(false);
    event.clear();
    expect(event.isSet()).toBe(false);
  });

  it('wait returns at once when set, false after a timeout, true when set meanwhile', async () => {
    const event = new Event();
    expect(await event.wait(20)).toBe(false);
    expect(event.waitSync(10)).toBe(false);
    const waiting = Array.from({ length: 5 }, () => event.wait(10_000));
    await sleep(10);
    event.set();
    expect(await Promise.all(waiting)).toEqual([true, true, true, true, true]);
    expect(await event.wait()).toBe(true);
    expect(event.waitSync()).toBe(true);
  });

  it('a waiter woken by set() returns true even if clear() follows at once (CPython test_set_and_clear)', async () => {
    const event = new Event();
    const waiting = Array.from({ length: 5 }, () => event.wait(10_000));
    await sleep(10);
    event.set();
    event.clear();
    expect(await Promise.all(waiting)).toEqual([true, true, true, true, true]);
  });

  it('rejects a negative timeout', () => {
    expect(() => new Event().wait(-1)).toThrow(InvalidArgumentError);
  });
});

describe.each(RUNTIMES)('Event on the %s runtime', (runtime) => {
  it('wakes waiting workers (async and sync waits) and they answer', async () => {
    const go = new Event();
    const done = [new Event(), new Event()];
    const children = [start(tasks.eventRelay, [go, done[0], false], runtime), start(tasks.eventRelay, [go, done[1], true], runtime)];
    await sleep(100);
    expect(done.map((event) => event.isSet())).toEqual([false, false]);
    go.set();
    expect(await Promise.all(done.map((event) => event.wait(20_000)))).toEqual([true, true]);
    expect(await runAll(children)).toEqual([0, 0]);
  });

  it('set and clear from a worker are seen here', async () => {
    const p = pool({ processes: 1, runtime });
    const input = new Event();
    const output = new Event();
    input.set();
    expect(await p.apply(tasks.eventRelay, [input, output, false])).toBe(true);
    expect(output.isSet()).toBe(true);
  });
});
