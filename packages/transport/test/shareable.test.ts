/**
 * The shareable-handle protocol, proven with a test-only shareable (fixtures/shared-counter.js) passed
 * as a value inside a request payload to a real worker thread and a real forked child, each with a
 * Multiplexer on its side. Over threads the counter sends its SharedArrayBuffer and both sides work
 * on the same memory; over a child process the owner serves it and the far side gets a proxy. The
 * far side loads the reviver module on demand from the URL in the descriptor, and the owner lets the
 * served object go when the connection closes (or when the far side's proxy is garbage collected).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SHARE_CHANNEL, StreamTransport, Multiplexer } from '@multiproc/transport';
import { CH } from './fixtures/mux-server.js';
import { SharedCounter } from './fixtures/shared-counter.js';
import { RUNTIMES, spawnChild, startRemoteServer, waitFor, within, type ChildHandle, type RemoteServer } from './helpers.js';

interface CounterReply {
  mode: 'shared' | 'proxy';
  seen: number;
  sameHandle: boolean | null;
  extra: string[];
}

describe.each(RUNTIMES)('a shareable handle passed to a %s', (runtime) => {
  let server: RemoteServer | undefined;
  const expectedMode = runtime === 'thread' ? 'shared' : 'proxy';

  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('is revived on the far side, which loads the reviver module on demand', async () => {
    server = startRemoteServer(runtime);
    const { mux } = server;
    expect(await mux.request(CH.counterModuleLoaded, null)).toBe(0);
    const counter = new SharedCounter();
    const reply = await mux.request<CounterReply>(CH.counter, { counter, times: 1 });
    expect(reply.mode).toBe(expectedMode);
    expect(await mux.request(CH.counterModuleLoaded, null)).toBe(1);
    expect(counter.value).toBe(1);
  });

  it('is incremented N times by the far side, and the owner sees N', async () => {
    server = startRemoteServer(runtime);
    const counter = new SharedCounter();
    const times = 250;
    const reply = await server.mux.request<CounterReply>(CH.counter, { counter, times });
    expect(reply).toEqual({ mode: expectedMode, seen: times, sameHandle: null, extra: ['counter', 'times'] });
    expect(counter.value).toBe(times);
    // Both sides work on the same counter: the owner's own increments are seen there too.
    counter.increment(1000);
    const again = await server.mux.request<CounterReply>(CH.counter, { counter, times: 0 });
    expect(again.seen).toBe(times + 1000);
    if (runtime === 'thread') {
      expect(counter.servedCalls).toBe(0);
      expect(server.mux.servedObjects).toBe(0);
    } else {
      expect(counter.servedCalls).toBe(times + 2);
    }
  });

  it('stays one handle when it appears twice in a payload, inside a Map among other entries', async () => {
    server = startRemoteServer(runtime);
    const counter = new SharedCounter();
    const payload = new Map<string, unknown>([
      ['counter', counter],
      ['times', 3],
      ['alias', counter],
      ['note', 'entries after the handle must survive its reviving'],
    ]);
    const reply = await server.mux.request<CounterReply>(CH.counter, payload);
    expect(reply.sameHandle).toBe(true);
    expect(reply.extra).toEqual(['counter', 'times', 'alias', 'note']);
    expect(counter.value).toBe(3);
  });

  it('works when several requests carrying it race the loading of the reviver module', async () => {
    server = startRemoteServer(runtime);
    const counter = new SharedCounter();
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => server!.mux.request<CounterReply>(CH.counter, { counter, times: 5 })),
    );
    expect(replies.every((reply) => reply.mode === expectedMode)).toBe(true);
    expect(counter.value).toBe(50);
  });

  if (runtime === 'process') {
    it('is served while the connection lives and released when it closes', async () => {
      server = startRemoteServer(runtime);
      const { mux } = server;
      const counter = new SharedCounter();
      await mux.request(CH.counter, { counter, times: 2 });
      expect(mux.servedObjects).toBe(1);
      expect(counter.releases).toBe(0);
      const closed = new Promise<void>((resolve) => mux.onClose(resolve));
      await server.kill();
      await within(closed, 10_000, 'the connection to close');
      expect(mux.servedObjects).toBe(0);
      expect(counter.releases).toBe(1);
    });

    it('is released once the far side no longer holds a proxy of it (garbage collected)', async () => {
      server = startRemoteServer(runtime, { execArgv: ['--expose-gc'] });
      const { mux } = server;
      const counter = new SharedCounter();
      await mux.request(CH.counter, { counter, times: 1 });
      expect(mux.servedObjects).toBe(1);
      const deadline = Date.now() + 20_000;
      while (mux.servedObjects > 0 && Date.now() < deadline) {
        expect(await mux.request(CH.gc, null)).toBe(true);
      }
      expect(mux.servedObjects).toBe(0);
      expect(counter.releases).toBe(1);
      // The owner and the link are fine; the counter can be sent again.
      await mux.request(CH.counter, { counter, times: 1 });
      expect(counter.value).toBe(2);
    });

    it('rejects a call from a proxy whose object is no longer served', async () => {
      server = startRemoteServer(runtime);
      // Pretend to be a proxy of an object that was never served.
      const error = await server.mux.request(SHARE_CHANNEL, [999, 'increment', []]).catch((caught: unknown) => caught);
      expect((error as { code?: string }).code).toBe('ERR_CLOSED');
    });
  }
});

describe("a shareable handle over a StreamTransport (a child's stdio)", () => {
  let child: ChildHandle | undefined;
  let mux: Multiplexer | undefined;

  afterEach(async () => {
    mux?.close();
    mux = undefined;
    await child?.dispose();
    child = undefined;
  });

  it('is served by its owner and released when the link closes', async () => {
    child = spawnChild('mux-child.js', ['stdio'], true);
    mux = new Multiplexer(new StreamTransport({ readable: child.child.stdout!, writable: child.child.stdin! }));
    const counter = new SharedCounter();
    const reply = await mux.request<CounterReply>(CH.counter, { counter, times: 20 });
    expect(reply.mode).toBe('proxy');
    expect(counter.value).toBe(20);
    expect(mux.servedObjects).toBe(1);
    mux.close();
    await waitFor(() => counter.releases === 1, 'the release');
    expect(mux.servedObjects).toBe(0);
  });
});
