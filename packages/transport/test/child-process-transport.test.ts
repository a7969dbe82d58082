/**
 * ChildProcessTransport: the conformance suite between this process and a real forked child
 * (`serialization: 'advanced'`, running fixtures/echo-child.js), plus what is specific to IPC: no
 * shared memory, a killed child closes the link, and an endpoint without IPC is refused.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildProcessTransport, InvalidArgumentError } from '@multiproc/transport';
import { runConformance } from './conformance.js';
import type { PeerReport } from './fixtures/echo-peer.js';
import { forkChild, reportFrom, within, type ChildHandle } from './helpers.js';

runConformance(
  'ChildProcessTransport (parent <-> forked child)',
  async () => {
    const handle = forkChild('echo-child.js');
    const local = new ChildProcessTransport(handle.child);
    return {
      local,
      peer: {
        report: reportFrom<PeerReport>(handle, 'stdout'),
        dispose: () => handle.dispose(),
        diagnostics: () => handle.diagnostics(),
      },
    };
  },
  { unrefKind: 'child-process', holdsEventLoop: true },
);

describe('ChildProcessTransport specifics', () => {
  let handle: ChildHandle | undefined;
  afterEach(async () => {
    await handle?.dispose();
    handle = undefined;
  });

  it('shares no memory and transfers nothing', () => {
    handle = forkChild('echo-child.js');
    const transport = new ChildProcessTransport(handle.child);
    expect(transport.capabilities).toEqual({ sharedMemory: false, transfer: false });
    transport.close();
  });

  it('closes, once, when the child is killed', async () => {
    handle = forkChild('echo-child.js');
    const transport = new ChildProcessTransport(handle.child);
    transport.onMessage(() => {});
    let fired = 0;
    const closed = new Promise<void>((resolve) =>
      transport.onClose(() => {
        fired++;
        resolve();
      }),
    );
    handle.child.kill('SIGKILL');
    await within(closed, 10_000, 'onClose after the child was killed');
    expect(transport.closed).toBe(true);
    expect(fired).toBe(1);
    expect(() => transport.send('x')).toThrow(/closed/);
  });

  it('refuses an endpoint without an IPC channel', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('close', resolve));
    let thrown: unknown;
    try {
      new ChildProcessTransport(child);
    } catch (error) {
      thrown = error;
    }
    expect(InvalidArgumentError.isInstance(thrown)).toBe(true);
    expect((thrown as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
    await exited;
  });

  it('an endpoint whose IPC channel is already gone is reported closed', async () => {
    handle = forkChild('echo-child.js');
    handle.child.disconnect();
    const transport = new ChildProcessTransport(handle.child);
    const closed = new Promise<void>((resolve) => transport.onClose(resolve));
    await within(closed, 10_000, 'onClose');
    expect(transport.closed).toBe(true);
  });
});
