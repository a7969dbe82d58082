/**
 * MessagePortTransport: the conformance suite between the main thread and a real worker thread (the
 * worker runs fixtures/echo-worker.js on a port it got in workerData) and over a plain MessageChannel,
 * plus what is specific to ports: shared memory is shared, and a terminated worker closes the link.
 */
import { once } from 'node:events';
import { inspect } from 'node:util';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { MessagePortTransport, NotCloneableError } from '@multiproc/transport';
import { echoPair, runConformance, type Peer } from './conformance.js';
import type { PeerReport } from './fixtures/echo-peer.js';
import { startWorker, waitFor, within, type WorkerHandle } from './helpers.js';

runConformance(
  'MessagePortTransport (main thread <-> worker thread)',
  async () => {
    const handle = startWorker('echo-worker.js');
    const local = new MessagePortTransport(handle.port);
    const report = new Promise<PeerReport>((resolve) => {
      handle.worker.on('message', (message: { type?: string; report?: PeerReport }) => {
        if (message.type === 'report' && message.report) resolve(message.report);
      });
    });
    const peer: Peer = {
      report,
      dispose: () => handle.dispose(),
      diagnostics: () => `worker thread ${handle.worker.threadId}: ${inspect(handle.sideMessages)}`,
    };
    return { local, peer };
  },
  { unrefKind: 'message-port', holdsEventLoop: true },
);

runConformance(
  'MessagePortTransport (MessageChannel)',
  async () => {
    const { port1, port2 } = new MessageChannel();
    const local = new MessagePortTransport(port1);
    return echoPair(local, new MessagePortTransport(port2));
  },
  { unrefKind: 'message-port', holdsEventLoop: true },
);

describe('MessagePortTransport specifics', () => {
  let worker: WorkerHandle | undefined;
  afterEach(async () => {
    await worker?.dispose();
    worker = undefined;
  });

  it('shares a SharedArrayBuffer with a worker thread instead of copying it', async () => {
    expect(new MessagePortTransport(new MessageChannel().port1).capabilities).toEqual({ sharedMemory: true, transfer: true });
    worker = startWorker('echo-worker.js');
    const transport = new MessagePortTransport(worker.port);
    const memory = new Int32Array(new SharedArrayBuffer(8));
    const replies: unknown[] = [];
    transport.onMessage((message) => replies.push(message));
    transport.send(['echo', memory]);
    await waitFor(() => replies.some((m) => (m as unknown[])[0] === 'echo'), 'the echo');
    const back = (replies.find((m) => (m as unknown[])[0] === 'echo') as [string, Int32Array])[1];
    Atomics.store(back, 1, 42);
    expect(Atomics.load(memory, 1)).toBe(42);
    transport.close();
  });

  it('refuses to send a message whose transfer list holds a detached ArrayBuffer (Node would drop it silently)', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = new MessagePortTransport(port1);
    const b = new MessagePortTransport(port2);
    const got: unknown[] = [];
    b.onMessage((message) => got.push(message));
    const moved = new ArrayBuffer(8);
    structuredClone(moved, { transfer: [moved] });
    let thrown: unknown;
    try {
      a.send(['lost?', moved], [moved]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NotCloneableError);
    expect((thrown as NotCloneableError).path).toBe('transfer[0]');
    // An empty buffer that was never transferred is fine, and the link still works.
    const empty = new ArrayBuffer(0);
    a.send(['ok', empty], [empty]);
    await waitFor(() => got.length === 1, 'the message after the refused one');
    expect((got[0] as unknown[])[0]).toBe('ok');
    a.close();
    b.close();
  });

  it('closes when the worker is terminated', async () => {
    worker = startWorker('echo-worker.js');
    const transport = new MessagePortTransport(worker.port);
    let fired = 0;
    const closed = new Promise<void>((resolve) =>
      transport.onClose(() => {
        fired++;
        resolve();
      }),
    );
    transport.onMessage(() => {});
    await worker.worker.terminate();
    await within(closed, 10_000, 'onClose after terminate');
    expect(transport.closed).toBe(true);
    expect(fired).toBe(1);
    expect(() => transport.send('x')).toThrow(/closed/);
  });

  it('poll() delivers a waiting message synchronously, in order, and only once', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = new MessagePortTransport(port1);
    const b = new MessagePortTransport(port2);
    try {
      expect(b.poll()).toBe(false); // no listener yet: nothing is taken off the port
      const seen: unknown[] = [];
      b.onMessage((message) => seen.push(message));
      expect(b.poll()).toBe(false); // nothing waiting
      a.send('one');
      a.send({ two: 2 });
      a.send('three');
      expect(b.poll()).toBe(true);
      expect(seen).toEqual(['one']); // delivered before poll() returned
      expect(b.poll()).toBe(true);
      expect(seen).toEqual(['one', { two: 2 }]);
      // The third is left to the event loop: it arrives once, after the polled ones.
      await waitFor(() => seen.length === 3, 'the third message', 5000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen).toEqual(['one', { two: 2 }, 'three']);
      expect(b.poll()).toBe(false);
      a.close();
      await waitFor(() => b.closed, 'the close', 5000);
      expect(b.poll()).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a worker thread spinning on poll() answers without returning to its event loop', async () => {
    // The worker blocks its event loop in a poll() loop for 2 s: only poll() can deliver to it.
    const { Worker } = await import('node:worker_threads');
    const { port1, port2 } = new MessageChannel();
    const source = `
      const { workerData } = require('node:worker_threads');
      import(workerData.transportUrl).then(({ MessagePortTransport }) => {
        const t = new MessagePortTransport(workerData.port);
        let answered = 0;
        t.onMessage((m) => { t.send(m * 2); answered++; });
        const end = Date.now() + 2000;
        while (answered < 3 && Date.now() < end) t.poll();
        t.send(answered === 3 ? 'done by polling' : 'timed out');
      });
    `;
    const transportUrl = import.meta.resolve('@multiproc/transport');
    const thread = new Worker(source, { eval: true, workerData: { port: port2, transportUrl }, transferList: [port2] });
    const local = new MessagePortTransport(port1);
    const got: unknown[] = [];
    local.onMessage((message) => got.push(message));
    try {
      for (const n of [1, 2, 3]) local.send(n);
      await waitFor(() => got.length === 4, 'the answers', 10_000);
      expect(got).toEqual([2, 4, 6, 'done by polling']);
    } finally {
      local.close();
      await thread.terminate();
    }
  });

  it('a port closed before the transport was made is reported closed', async () => {
    const { port1, port2 } = new MessageChannel();
    const closedEvent = once(port2, 'close');
    port1.close();
    const transport = new MessagePortTransport(port2);
    await closedEvent;
    await new Promise((resolve) => setImmediate(resolve));
    expect(transport.closed).toBe(true);
  });
});
