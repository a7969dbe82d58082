import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidStateError, TimeoutError } from '@multiproc/transport';
import { SharedMemory, SharedMemoryExistsError, SharedMemoryNotFoundError } from '@multiproc/shared';
import tasks from './fixtures/tasks.js';
import { pool, RUNTIMES, start } from './helpers.js';

describe('SharedMemory (ported from CPython _TestSharedMemory.test_shared_memory_basics)', () => {
  it('creates, attaches by name, shares bytes, closes and unlinks', () => {
    const block = new SharedMemory({ name: 'test01_tsmb', create: true, size: 512 });
    expect(block.name).toBe('test01_tsmb');
    expect(block.size).toBe(512);
    expect(block.buf.length).toBe(512);
    block.buf[0] = 42;
    const same = new SharedMemory({ name: 'test01_tsmb' });
    expect(same.buf[0]).toBe(42);
    same.write([1, 2, 3], 10);
    expect([...block.read(10, 3)]).toEqual([1, 2, 3]);
    same.close();
    expect(() => same.buf).toThrow(InvalidStateError);
    expect(() => new SharedMemory({ name: 'test01_tsmb', create: true, size: 8 })).toThrow(SharedMemoryExistsError);
    block.unlink();
    expect(() => new SharedMemory({ name: 'test01_tsmb' })).toThrow(SharedMemoryNotFoundError);
    // Existing handles keep working after unlink, and the name can be created again.
    block.buf[1] = 7;
    expect(block.buf[1]).toBe(7);
    const again = new SharedMemory({ name: 'test01_tsmb', create: true, size: 4 });
    again.unlink();
  });

  it('generates a name when creating without one', () => {
    const block = new SharedMemory({ create: true, size: 1 });
    expect(block.name).toMatch(/^psm_[0-9a-f]+$/);
    block.unlink();
  });

  it('rejects bad sizes, names and ranges', () => {
    expect(() => new SharedMemory({ create: true, size: 0 })).toThrow(InvalidArgumentError);
    expect(() => new SharedMemory({ create: true, size: -1 })).toThrow(InvalidArgumentError);
    expect(() => new SharedMemory({ create: true })).toThrow(InvalidArgumentError);
    expect(() => new SharedMemory({})).toThrow(InvalidArgumentError);
    expect(() => new SharedMemory({ name: '' })).toThrow(InvalidArgumentError);
    const block = new SharedMemory({ create: true, size: 4 });
    expect(() => block.write([1, 2, 3], 2)).toThrow(InvalidArgumentError);
    expect(() => block.read(5)).toThrow(InvalidArgumentError);
    expect(() => new SharedMemory({ name: block.name, size: 8 })).toThrow(InvalidArgumentError);
    block.unlink();
  });

  it('attach() times out for a name nobody announces', async () => {
    await expect(SharedMemory.attach('never-created', { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe('SharedMemory between threads', () => {
  it('a thread started after creation attaches by name', async () => {
    const block = new SharedMemory({ create: true, size: 4 });
    const child = start(tasks.writeByName, [block.name, [4, 3, 2, 1], false], 'thread');
    expect(await child.join()).toBe(0);
    expect([...block.buf]).toEqual([4, 3, 2, 1]);
    block.unlink();
  });

  it('a pool worker started before creation attaches with SharedMemory.attach(name)', async () => {
    const p = pool({ processes: 1, runtime: 'thread' });
    await p.apply(tasks.writeByName, ['warm-up', [], true]).catch(() => undefined);
    const block = new SharedMemory({ name: 'late-block', create: true, size: 3 });
    expect(await p.apply(tasks.writeByName, ['late-block', [9, 9, 9], true])).toBe(3);
    expect([...block.buf]).toEqual([9, 9, 9]);
    block.unlink();
  });
});

describe.each(RUNTIMES)('SharedMemory passed to a worker on the %s runtime', (runtime) => {
  it('writes land in the owner; buf is shared on threads and unsupported in a child process', async () => {
    const p = pool({ processes: 1, runtime });
    const block = new SharedMemory({ create: true, size: 8 });
    const seen = await p.apply(tasks.writeThrough, [block, [5, 6, 7]]);
    expect(seen).toEqual({ name: block.name, size: 8, buf: runtime === 'thread' ? 8 : 'UnsupportedError' });
    expect([...block.read(0, 3)]).toEqual([5, 6, 7]);
    block.unlink();
  });
});
