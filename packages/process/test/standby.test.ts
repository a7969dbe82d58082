import { afterEach, describe, expect, it } from 'vitest';
import { Process, setWarmStandby } from '@multiproc/process';
import { more } from './fixtures/tasks.js';
import { reapChildren, tempDir } from './helpers.js';

afterEach(async () => {
  setWarmStandby(true);
  delete process.env['MULTIPROC_TEST_VALUE'];
  await reapChildren();
});

async function report(dir: ReturnType<typeof tempDir>, file: string, name?: string): Promise<Record<string, unknown>> {
  const child = new Process({ target: more.reportSelf, args: [dir.path(file)], runtime: 'thread', ...(name ? { name } : {}) });
  child.start();
  expect(await child.join()).toBe(0);
  return dir.read(file);
}

describe('the warm standby worker', () => {
  it('serves consecutive thread Processes with their own names and identities', async () => {
    const dir = tempDir();
    try {
      const first = await report(dir, 'a.json', 'first');
      // Let the standby boot, then take it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const second = await report(dir, 'b.json', 'second');
      const third = await report(dir, 'c.json');
      expect(first).toMatchObject({ name: 'first', runtime: 'thread', isMain: false });
      expect(second).toMatchObject({ name: 'second', runtime: 'thread', isMain: false, parent: { name: 'MainProcess' } });
      expect(third['name']).toMatch(/^Process-\d+$/);
    } finally {
      dir.remove();
    }
  });

  it('is not used when process.env changed after it was prepared', async () => {
    const dir = tempDir();
    try {
      await report(dir, 'warmup.json');
      await new Promise((resolve) => setTimeout(resolve, 200));
      process.env['MULTIPROC_TEST_VALUE'] = 'changed after the standby started';
      const seen = await report(dir, 'env.json');
      expect(seen['env']).toBe('changed after the standby started');
    } finally {
      dir.remove();
    }
  });

  it('can be turned off', async () => {
    const dir = tempDir();
    try {
      setWarmStandby(false);
      expect((await report(dir, 'off.json'))['isMain']).toBe(false);
      expect(() => setWarmStandby('yes' as never)).toThrow(/boolean/);
    } finally {
      dir.remove();
    }
  });
});
