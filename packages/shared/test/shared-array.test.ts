import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidStateError } from '@multiproc/transport';
import { RLock } from '@multiproc/sync';
import { RawArray, RawValue, SharedArray } from '@multiproc/shared';
import tasks from './fixtures/tasks.js';
import { pool, RUNTIMES } from './helpers.js';

describe('SharedArray and RawArray (ported from CPython _test_multiprocessing.TestArray)', () => {
  it('from initial elements: get, set, negative indices, length, iteration (test_array)', () => {
    const seq = [680, 626, 934, 821, 150, 233, 548, 982, 714, 831];
    const array = new SharedArray('i', seq);
    expect(array.length).toBe(seq.length);
    expect(array.get(3)).toBe(seq[3]);
    expect(array.get(-1)).toBe(831);
    array.set(-2, 7);
    expect(array.get(8)).toBe(7);
    expect([...array]).toEqual([...seq.slice(0, 8), 7, 831]);
    expect(array.toArray()).toEqual([...array]);
    expect(array.typecode).toBe('i');
  });

  it('from a size: zero-filled (test_array_from_size)', () => {
    for (const size of [0, 1, 10]) {
      const array = new RawArray('d', size);
      expect(array.length).toBe(size);
      expect([...array]).toEqual(new Array(size).fill(0));
    }
    expect([...new SharedArray('q', 3)]).toEqual([0n, 0n, 0n]);
  });

  it('view is the typed array over the shared memory', () => {
    const array = new SharedArray('h', [1, 2, 3]);
    expect(array.view).toBeInstanceOf(Int16Array);
    array.view[1] = 20;
    expect(array.get(1)).toBe(20);
    array.set(0, -5);
    expect(array.view[0]).toBe(-5);
    expect(new RawArray('Q', 2).view).toBeInstanceOf(BigUint64Array);
    expect(new RawArray('f', 2).view).toBeInstanceOf(Float32Array);
  });

  it('rejects bad sizes, elements, indices and typecodes at once', () => {
    expect(() => new SharedArray('i', -1)).toThrow(InvalidArgumentError);
    expect(() => new SharedArray('i', 1.5)).toThrow(InvalidArgumentError);
    expect(() => new SharedArray('i', [1, 'two' as never])).toThrow(/element 1/);
    expect(() => new SharedArray('q', [1 as never])).toThrow(/bigint/);
    expect(() => new SharedArray('z' as never, 3)).toThrow(/unknown typecode/);
    const array = new RawArray('i', 3);
    expect(() => array.get(3)).toThrow(/out of range/);
    expect(() => array.get(-4)).toThrow(/out of range/);
    expect(() => array.set(0, 2 ** 40)).toThrow(/out of range/);
  });

  it('getLock: an RLock by default; none with lock: false (test_getobj_getlock_obj)', () => {
    expect(new SharedArray('i', 2).getLock()).toBeInstanceOf(RLock);
    expect(() => new SharedArray('i', 2, { lock: false }).getLock()).toThrow(InvalidStateError);
  });
});

describe.each(RUNTIMES)('SharedArray on the %s runtime', (runtime) => {
  it('workers update it under its lock and the owner sees the result', async () => {
    const p = pool({ processes: 2, runtime });
    const array = new SharedArray('d', [1, 2, 3]);
    await Promise.all([p.apply(tasks.addToArray, [array, 10]), p.apply(tasks.addToArray, [array, 100])]);
    expect(array.toArray()).toEqual([111, 112, 113]);
  });

  it('view works on threads and throws UnsupportedError (use get/set) in a child process', async () => {
    const p = pool({ processes: 1, runtime });
    const seen = (await p.apply(tasks.probe, [new RawValue('i', 0), new RawArray('i', [4, 5, 6])])) as Record<string, unknown>;
    expect(seen['items']).toEqual([4, 5, 6]);
    if (runtime === 'thread') expect(seen['viewLength']).toBe(3);
    else expect(seen['viewError']).toBe('UnsupportedError: ERR_UNSUPPORTED');
  });
});
