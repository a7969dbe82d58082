import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidStateError } from '@multiproc/transport';
import { Lock, RLock } from '@multiproc/sync';
import { RawArray, RawValue, typecodeInfo, Value, type Typecode } from '@multiproc/shared';
import tasks from './fixtures/tasks.js';
import { pool, RUNTIMES, start } from './helpers.js';

describe('Value and RawValue (ported from CPython _test_multiprocessing.TestValue)', () => {
  const codes: Array<[Typecode, number | bigint, number | bigint]> = [
    ['i', 25, 250],
    ['d', 3.625, -1.5],
    ['h', -232, 234],
    ['q', 2n ** 33n, 2n ** 34n],
    ['B', 200, 255],
    ['f', 0.5, 1.25],
    ['int8', -128, 127],
    ['biguint64', 2n ** 64n - 1n, 0n],
  ];

  it.each(codes)('typecode %s holds its values', (code, first, second) => {
    const value = new Value(code, first as never);
    expect(value.value).toBe(first);
    value.value = second as never;
    expect(value.value).toBe(second);
    const raw = new RawValue(code, first as never);
    expect(raw.value).toBe(first);
    expect(raw.typecode).toBe(code);
  });

  it('defaults to zero (0n for bigint typecodes)', () => {
    expect(new Value('i').value).toBe(0);
    expect(new Value('Q').value).toBe(0n);
    expect(new RawValue('d').value).toBe(0);
  });

  it('maps Python codes to names; l L q Q hold bigints', () => {
    expect(['b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q', 'f', 'd'].map((code) => typecodeInfo(code as Typecode).name)).toEqual([
      'int8',
      'uint8',
      'int16',
      'uint16',
      'int32',
      'uint32',
      'bigint64',
      'biguint64',
      'bigint64',
      'biguint64',
      'float32',
      'float64',
    ]);
  });

  it('rejects a bad typecode, a wrong-typed or out-of-range value, and a bad lock, at once', () => {
    expect(() => new Value('x' as Typecode)).toThrow(InvalidArgumentError);
    expect(() => new Value('c' as Typecode)).toThrow(/unknown typecode/);
    expect(() => new Value('i', 1.5)).toThrow(InvalidArgumentError);
    expect(() => new Value('i', 2 ** 31)).toThrow(InvalidArgumentError);
    expect(() => new Value('q', 5 as never)).toThrow(/bigint/);
    expect(() => new Value('d', 5n as never)).toThrow(InvalidArgumentError);
    expect(() => new Value('B', -1)).toThrow(/out of range/);
    expect(() => new Value('i', 0, { lock: 'yes' as never })).toThrow(InvalidArgumentError);
    const value = new Value('h');
    expect(() => {
      value.value = 40_000;
    }).toThrow(InvalidArgumentError);
  });

  it("an 'i' value (the int32 fast path) takes exactly the int32 numbers and reads back what was written", () => {
    const value = new Value('i', 7);
    for (const good of [-(2 ** 31), 2 ** 31 - 1, 0, -1, 123_456]) {
      value.value = good;
      expect(value.value).toBe(good);
    }
    value.value = -0;
    expect(Object.is(value.value, 0)).toBe(true);
    let coerced = false;
    const sneaky = {
      valueOf() {
        coerced = true;
        return 1;
      },
    };
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 1.5, Number.NaN, Infinity, '3', 5n, null, sneaky]) {
      expect(() => {
        value.value = bad as never;
      }).toThrow(InvalidArgumentError);
      expect(value.value).toBe(0); // unchanged: the last good write was -0, stored as 0
    }
    expect(coerced).toBe(false);
  });

  it('getLock: an RLock by default, the lock given, or none with lock: false (test_getobj_getlock)', () => {
    expect(new Value('i', 5).getLock()).toBeInstanceOf(RLock);
    const lock = new Lock();
    expect(new Value('i', 5, { lock }).getLock()).toBe(lock);
    const rlock = new RLock();
    expect(new Value('i', 5, { lock: rlock }).getLock()).toBe(rlock);
    expect(() => new Value('i', 5, { lock: false }).getLock()).toThrow(InvalidStateError);
    expect('getLock' in new RawValue('i', 5)).toBe(false);
  });
});

describe.each(RUNTIMES)('Value on the %s runtime', (runtime) => {
  it('N workers x M locked increments give exactly N*M', async () => {
    const n = 4;
    const m = runtime === 'thread' ? 10_000 : 100;
    const counter = new Value('i', 0);
    const children = Array.from({ length: n }, (_, i) => start(i % 2 ? tasks.incrementValueSync : tasks.incrementValue, [counter, m], runtime));
    expect(await Promise.all(children.map((child) => child.join()))).toEqual([0, 0, 0, 0]);
    expect(counter.value).toBe(n * m);
  });

  it('a bigint Value with your own Lock, in a pool', async () => {
    const p = pool({ processes: 2, runtime });
    const counter = new Value('q', 10n, { lock: new Lock() });
    await Promise.all([p.apply(tasks.incrementValue, [counter, 50]), p.apply(tasks.incrementValueSync, [counter, 50])]);
    expect(counter.value).toBe(110n);
  });

  it('reads its value and typecode in the worker', async () => {
    const p = pool({ processes: 1, runtime });
    const seen = (await p.apply(tasks.probe, [new RawValue('d', 2.5), new RawArray('b', [-3])])) as Record<string, unknown>;
    expect(seen['value']).toBe(2.5);
    expect(seen['typecode']).toBe('d');
    expect(seen['items']).toEqual([-3]);
  });
});
