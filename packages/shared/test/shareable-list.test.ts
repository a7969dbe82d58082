import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@multiproc/transport';
import { ShareableList, SharedMemoryNotFoundError } from '@multiproc/shared';
import tasks from './fixtures/tasks.js';
import { pool, RUNTIMES } from './helpers.js';

describe('ShareableList (ported from CPython _TestSharedMemory.test_shared_memory_ShareableList_basics)', () => {
  it('holds numbers, bigints, booleans, strings, bytes and null', () => {
    const list = new ShareableList(['howdy', -42, 3.75, true, false, null, 2n ** 40n, new Uint8Array([1, 2, 3])]);
    expect(list.length).toBe(8);
    expect(list.toArray()).toEqual(['howdy', -42, 3.75, true, false, null, 2n ** 40n, new Uint8Array([1, 2, 3])]);
    expect(list.get(-1)).toEqual(new Uint8Array([1, 2, 3]));
    expect(list.count(true)).toBe(1);
    expect(list.indexOf(3.75)).toBe(2);
    expect(list.indexOf('nope')).toBe(-1);
    list.shm.unlink();
  });

  it('keeps each slot size: a string that fits replaces another, a longer one throws', () => {
    const list = new ShareableList(['howdy', 1, 'x']);
    list.set(0, 'hi');
    expect(list.get(0)).toBe('hi');
    list.set(0, 'eight ch');
    expect(list.get(0)).toBe('eight ch');
    expect(() => list.set(0, 'nine char')).toThrow(InvalidArgumentError);
    list.set(1, 'number'); // a number slot has 8 bytes: a short string fits
    expect(list.get(1)).toBe('number');
    list.set(2, 12.5);
    expect(list.get(2)).toBe(12.5);
    expect(() => list.set(3, 1)).toThrow(/out of range/);
    expect(() => list.set(0, {} as never)).toThrow(InvalidArgumentError);
    expect(() => new ShareableList([[1, 2] as never])).toThrow(InvalidArgumentError);
    list.shm.unlink();
  });

  it('attaches by name; an unknown name throws', () => {
    const list = new ShareableList([1, 'two']);
    const same = new ShareableList({ name: list.shm.name });
    same.set(0, 10);
    expect(list.get(0)).toBe(10);
    list.shm.unlink();
    expect(() => new ShareableList({ name: list.shm.name })).toThrow(SharedMemoryNotFoundError);
  });
});

describe.each(RUNTIMES)('ShareableList on the %s runtime', (runtime) => {
  it('a worker edits the list passed to it', async () => {
    const p = pool({ processes: 1, runtime });
    const list = new ShareableList(['hello', 41, 2.5, true, 7n]);
    expect(await p.apply(tasks.editList, [list])).toEqual({
      seen: ['hello', 41, 2.5, true, 7n],
      tooLong: 'InvalidArgumentError',
      length: 5,
    });
    expect(list.toArray()).toEqual(['yo', 42, 2.5, true, null]);
    list.shm.unlink();
  });
});
