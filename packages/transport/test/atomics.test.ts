import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, keepAliveUntil, notify, waitAsync, waitSync } from '@multiproc/transport';
import { fixture } from './helpers.js';

/** Runs fixtures/keep-alive.js in a child process; resolves its stdout. */
function keepAliveChild(mode: 'kept' | 'bare'): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fixture('keep-alive.js'), mode], { timeout: 20_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

describe('the Atomics helpers', () => {
  it('waitAsync ends ok when notified, timed-out after its timeout, not-equal when the value differs', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const woken = waitAsync(flag, 0, 0, 5_000);
    Atomics.store(flag, 0, 1);
    notify(flag, 0);
    expect(await woken).toBe('ok');
    expect(await waitAsync(flag, 0, 1, 20)).toBe('timed-out');
    expect(await waitAsync(flag, 0, 0)).toBe('not-equal');
    expect(waitSync(flag, 0, 0)).toBe('not-equal');
  });

  it('keepAliveUntil holds Node.js open until the promise settles; a bare Atomics.waitAsync does not', async () => {
    expect(await keepAliveChild('kept')).toBe('timed-out');
    expect(await keepAliveChild('bare')).toBe('');
  });

  it('keepAliveUntil returns the promise itself and refuses what is not one with a typed error', async () => {
    const pending = Promise.resolve(7);
    expect(keepAliveUntil(pending)).toBe(pending);
    await expect(keepAliveUntil(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    for (const bad of [42, null, undefined, {}]) {
      expect(() => keepAliveUntil(bad as unknown as Promise<unknown>)).toThrow(InvalidArgumentError);
    }
  });
});
