/**
 * The Multiplexer: numbered channels without cross-talk, request/response with ids (concurrent
 * requests resolve to their own callers), typed remote errors, timeouts and AbortSignals, ClosedError
 * for what is pending when the link goes (a killed child, a terminated worker), messages and requests
 * that arrive before anyone listens, and a channel seen as a Transport (which runs the conformance
 * suite). Deterministic cases use in-thread pairs; the rest run against a real worker thread and a
 * real forked child (fixtures/mux-server.js).
 */
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AbortError,
  BaseTransport,
  CHANNELS,
  ClosedError,
  InvalidArgumentError,
  InvalidStateError,
  MessagePortTransport,
  Multiplexer,
  NotCloneableError,
  SHARE_CHANNEL,
  StreamTransport,
  TimeoutError,
  createMemoryTransportPair,
  describeShareable,
  hasErrorCode,
  isTransport,
  replyWithTransfer,
} from '@multiproc/transport';
import { echoPair, runConformance } from './conformance.js';
import { CH } from './fixtures/mux-server.js';
import { RUNTIMES, delay, socketPair, startRemoteServer, waitFor, within, type RemoteServer } from './helpers.js';

/** Two multiplexers over an in-thread link, closed after each test. */
const opened: Multiplexer[] = [];
function muxPair(over: 'memory' | 'message-channel' = 'memory'): [Multiplexer, Multiplexer] {
  let pair: [Multiplexer, Multiplexer];
  if (over === 'memory') {
    const [a, b] = createMemoryTransportPair();
    pair = [new Multiplexer(a), new Multiplexer(b)];
  } else {
    const { port1, port2 } = new MessageChannel();
    pair = [new Multiplexer(new MessagePortTransport(port1)), new Multiplexer(new MessagePortTransport(port2))];
  }
  opened.push(...pair);
  return pair;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  for (const mux of opened.splice(0)) mux.close();
});

describe('Multiplexer channels', () => {
  it('poll() hands a waiting frame to its channel synchronously over a MessagePort; a memory pair cannot be polled', async () => {
    const [a, b] = muxPair('message-channel');
    expect(b.canPoll).toBe(true);
    const seen: unknown[] = [];
    b.onMessage(5, (payload) => seen.push(payload));
    expect(b.poll()).toBe(false);
    a.send(5, { n: 1 });
    a.send(5, { n: 2 });
    expect(b.poll()).toBe(true);
    expect(seen).toEqual([{ n: 1 }]);
    await waitFor(() => seen.length === 2, 'the second frame', 5000);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
    const [c, d] = muxPair('memory');
    expect(d.canPoll).toBe(false);
    d.onMessage(5, (payload) => seen.push(payload));
    c.send(5, 'later');
    expect(d.poll()).toBe(false);
    await waitFor(() => seen.length === 3, 'the memory frame', 5000);
    expect(seen[2]).toBe('later');
  });

  it('keeps numbered channels apart, each in order', async () => {
    const [a, b] = muxPair();
    const one: unknown[] = [];
    const two: unknown[] = [];
    b.onMessage(CHANNELS.user, (payload) => one.push(payload));
    b.onMessage(CHANNELS.user + 1, (payload) => two.push(payload));
    for (let i = 0; i < 100; i++) {
      a.send(CHANNELS.user, `one-${i}`);
      a.send(CHANNELS.user + 1, `two-${i}`);
      if (i % 10 === 0) a.send(CHANNELS.user + 2, 'nobody listens here');
    }
    await waitFor(() => one.length === 100 && two.length === 100, 'both channels');
    expect(one).toEqual(Array.from({ length: 100 }, (_, i) => `one-${i}`));
    expect(two).toEqual(Array.from({ length: 100 }, (_, i) => `two-${i}`));
  });

  it('loses nothing and keeps each channel in order, whenever its listener subscribes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 4, maxLength: 4 }),
        async (script, subscribeAfter) => {
          const [a, b] = muxPair();
          const seen: number[][] = [[], [], [], []];
          const subscribed = [false, false, false, false];
          let sent = 0;
          const subscribeDue = (): void => {
            subscribeAfter.forEach((after, channel) => {
              if (!subscribed[channel] && sent >= after) {
                subscribed[channel] = true;
                b.onMessage(100 + channel, (payload) => seen[channel]!.push(payload as number));
              }
            });
          };
          const expected: number[][] = [[], [], [], []];
          for (const [channel, pause] of script) {
            subscribeDue();
            a.send(100 + channel, sent);
            expected[channel]!.push(sent);
            sent++;
            if (pause) await delay(0);
          }
          sent = Number.POSITIVE_INFINITY;
          subscribeDue();
          await waitFor(() => seen.every((list, channel) => list.length === expected[channel]!.length), 'every message');
          expect(seen).toEqual(expected);
          a.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('delivers messages that arrived before the first listener, in order, then the rest', async () => {
    const [a, b] = muxPair();
    for (let i = 0; i < 5; i++) a.send(40, i);
    await delay(20);
    const seen: unknown[] = [];
    const off = b.onMessage(40, (payload) => seen.push(payload));
    expect(seen).toEqual([]); // never synchronously, before onMessage returned
    a.send(40, 5);
    await waitFor(() => seen.length === 6, 'six messages');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    off();
    a.send(40, 6);
    await delay(20);
    expect(seen).toHaveLength(6);
    b.onMessage(40, (payload) => seen.push(payload));
    await waitFor(() => seen.length === 7, 'the message sent while nobody listened');
    expect(seen[6]).toBe(6);
  });

  it('keeps the order when a listener subscribes in the middle of a batch of frames', async () => {
    const [a, b] = muxPair();
    const seen: unknown[] = [];
    // Frames for channel 41 arrive before and after the one on channel 42 that makes us subscribe.
    b.onMessage(42, () => {
      b.onMessage(41, (payload) => seen.push(payload));
    });
    a.send(41, 'first');
    a.send(42, 'subscribe now');
    a.send(41, 'second');
    a.send(41, 'third');
    await waitFor(() => seen.length === 3, 'three messages');
    expect(seen).toEqual(['first', 'second', 'third']);
  });

  it('answers requests that arrived before the handler was registered', async () => {
    const [a, b] = muxPair();
    const replies = Promise.all([a.request(43, 1), a.request(43, 2)]);
    await delay(20);
    b.handle(43, (payload) => (payload as number) * 10);
    expect(await replies).toEqual([10, 20]);
  });

  it('allows one handler per channel; removing it lets another take over', async () => {
    const [a, b] = muxPair();
    const off = b.handle(44, () => 'first');
    let thrown: unknown;
    try {
      b.handle(44, () => 'second');
    } catch (error) {
      thrown = error;
    }
    expect(InvalidArgumentError.isInstance(thrown)).toBe(true);
    expect(await a.request(44, null)).toBe('first');
    off();
    const pending = a.request(44, null);
    await delay(20);
    b.handle(44, () => 'second');
    expect(await pending).toBe('second');
  });

  it('ignores messages on the same transport that are not multiplexer frames', async () => {
    const [left, right] = createMemoryTransportPair();
    const a = new Multiplexer(left);
    const b = new Multiplexer(right);
    opened.push(a, b);
    b.handle(45, (payload) => payload);
    left.send('not a frame');
    left.send([1, 2]);
    left.send({ 0: 1 });
    expect(await a.request(45, 'still works')).toBe('still works');
  });

  it('refuses something that is not a Transport', () => {
    let thrown: unknown;
    try {
      new Multiplexer({} as never);
    } catch (error) {
      thrown = error;
    }
    expect(InvalidArgumentError.isInstance(thrown)).toBe(true);
  });

  it('reserves channel 0 for served objects and numbers its own packages below CHANNELS.user', () => {
    expect(SHARE_CHANNEL).toBe(0);
    expect(CHANNELS.share).toBe(0);
    const own = Object.entries(CHANNELS).filter(([name]) => name !== 'user').map(([, n]) => n);
    expect(new Set(own).size).toBe(own.length);
    expect(Math.max(...own)).toBeLessThan(CHANNELS.user);
  });
});

describe('Multiplexer requests', () => {
  it('resolves concurrent requests to their own callers', async () => {
    const [a, b] = muxPair();
    b.handle(50, async (payload) => {
      const { n, wait } = payload as { n: number; wait: number };
      await delay(wait);
      return { n, square: n * n };
    });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, n) => a.request<{ n: number; square: number }>(50, { n, wait: (n * 7) % 13 })),
    );
    results.forEach((result, n) => expect(result).toEqual({ n, square: n * n }));
    expect(a.pendingRequests).toBe(0);
  });

  it('refuses a payload that cannot be cloned, naming its path', async () => {
    const [a] = muxPair();
    const error = (await rejection(a.request(51, [1, { callback() {} }], { path: 'args' }))) as NotCloneableError;
    expect(NotCloneableError.isInstance(error)).toBe(true);
    expect(error.path).toBe('args[1].callback');
    expect(a.pendingRequests).toBe(0);
    let thrown: unknown;
    try {
      a.send(51, { nested: new WeakMap() });
    } catch (caught) {
      thrown = caught;
    }
    expect((thrown as NotCloneableError).path).toBe('message.nested');
  });

  it('rejects the caller when the reply cannot be cloned', async () => {
    const [a, b] = muxPair();
    b.handle(52, () => ({ ok: true, later: Promise.resolve(1) }));
    const error = (await rejection(a.request(52, null))) as NotCloneableError;
    expect(NotCloneableError.isInstance(error)).toBe(true);
    expect(error.path).toBe('result.later');
  });

  it('rejects with TimeoutError after the timeout and ignores a late reply', async () => {
    const [a, b] = muxPair();
    b.handle(53, async (payload) => {
      await delay(payload as number);
      return 'late';
    });
    const error = await rejection(a.request(53, 200, { timeout: 20 }));
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe('ERR_TIMEOUT');
    expect(a.pendingRequests).toBe(0);
    await delay(250);
    // A request that answers in time is unaffected by the late reply of the other.
    expect(await a.request(53, 0, { timeout: 5_000 })).toBe('late');
  });

  it('rejects with AbortError whose cause is the signal reason', async () => {
    const [a, b] = muxPair();
    let calls = 0;
    b.handle(54, () => {
      calls++;
      return new Promise(() => {});
    });
    const controller = new AbortController();
    const pending = a.request(54, null, { signal: controller.signal });
    await waitFor(() => calls === 1, 'the request to arrive');
    const reason = new Error('user pressed stop');
    controller.abort(reason);
    const error = await rejection(pending);
    expect(AbortError.isInstance(error)).toBe(true);
    expect((error as AbortError).code).toBe('ABORT_ERR');
    expect((error as AbortError).cause).toBe(reason);
    expect(a.pendingRequests).toBe(0);
  });

  it('rejects at once, without sending, when the signal is already aborted', async () => {
    const [a, b] = muxPair();
    let calls = 0;
    b.handle(55, () => ++calls);
    const reason = { why: 'already' };
    const error = await rejection(a.request(55, null, { signal: AbortSignal.abort(reason) }));
    expect(AbortError.isInstance(error)).toBe(true);
    expect((error as AbortError).cause).toBe(reason);
    expect(a.pendingRequests).toBe(0);
    expect(await a.request(55, null)).toBe(1);
    expect(calls).toBe(1);
  });

  it('aborting after the reply changes nothing', async () => {
    const [a, b] = muxPair();
    b.handle(56, () => 'done');
    const controller = new AbortController();
    expect(await a.request(56, null, { signal: controller.signal, timeout: 5_000 })).toBe('done');
    controller.abort();
    await delay(10);
    expect(a.pendingRequests).toBe(0);
  });

  it('transfers the buffers of a reply given with replyWithTransfer', async () => {
    const [a, b] = muxPair('message-channel');
    let sent: ArrayBuffer | undefined;
    b.handle(57, () => {
      const bytes = new Uint8Array(64).fill(9);
      sent = bytes.buffer;
      return replyWithTransfer(bytes, [bytes.buffer]);
    });
    const reply = await a.request<Uint8Array>(57, null);
    expect(Array.from(reply)).toEqual(new Array(64).fill(9));
    expect(sent?.byteLength).toBe(0);
  });

  it('on close: pending requests reject with ClosedError, later calls fail, both sides hear it', async () => {
    const [a, b] = muxPair();
    b.handle(58, () => new Promise(() => {}));
    const pending = [a.request(58, 1), a.request(58, 2, { timeout: 60_000 })].map(rejection);
    await delay(20);
    const heardA = new Promise<void>((resolve) => a.onClose(resolve));
    const heardB = new Promise<void>((resolve) => b.onClose(resolve));
    a.close();
    for (const request of pending) {
      const error = await request;
      expect(ClosedError.isInstance(error)).toBe(true);
      expect(hasErrorCode(error, 'ERR_TRANSPORT_CLOSED')).toBe(true);
    }
    expect(a.pendingRequests).toBe(0);
    await within(Promise.all([heardA, heardB]), 5_000, 'both onClose');
    expect(a.closed).toBe(true);
    expect(b.closed).toBe(true);
    expect(ClosedError.isInstance(await rejection(a.request(58, 3)))).toBe(true);
    expect(ClosedError.isInstance(await rejection(b.request(58, 3)))).toBe(true);
    expect(() => a.send(58, 'x')).toThrow(/closed/);
    let late = 0;
    a.onClose(() => late++);
    await waitFor(() => late === 1, 'a late onClose');
  });
});

describe.each(RUNTIMES)('Multiplexer across a real boundary (%s)', (runtime) => {
  let server: RemoteServer | undefined;
  const start = (): RemoteServer => (server = startRemoteServer(runtime));

  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('resolves concurrent requests to their own callers', async () => {
    const { mux } = start();
    const values = Array.from({ length: 200 }, (_, i) => ({ i, label: `#${i}`, big: BigInt(i) ** 3n }));
    const replies = await Promise.all(values.map((value, i) => mux.request(CH.delay, { ms: (i * 11) % 17, value })));
    expect(replies).toEqual(values);
    expect(mux.pendingRequests).toBe(0);
  });

  it('keeps channels apart', async () => {
    const { mux } = start();
    const a: unknown[] = [];
    const b: unknown[] = [];
    mux.onMessage(CH.echoA, (payload) => a.push(payload));
    mux.onMessage(CH.echoB, (payload) => b.push(payload));
    for (let i = 0; i < 200; i++) mux.send(i % 3 === 0 ? CH.echoB : CH.echoA, i);
    await waitFor(() => a.length + b.length === 200, 'all echoes');
    expect(a).toEqual(Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 3 !== 0).map((payload) => ({ channel: 'A', payload })));
    expect(b).toEqual(Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 3 === 0).map((payload) => ({ channel: 'B', payload })));
  });

  it('rejects with the typed remote error of a handler', async () => {
    const { mux } = start();
    const error = await rejection(mux.request(CH.throw, { kind: 'TypeError' }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).stack).toContain('mux-server.js');
  });

  it('delivers messages the far side sent before a listener existed', async () => {
    const { mux } = start();
    // The reply comes after the 50 messages on the same ordered link, so they are all here by then.
    expect(await mux.request(CH.sendOn, { channel: 60, count: 50 })).toBe(50);
    const seen: unknown[] = [];
    mux.onMessage(60, (payload) => seen.push(payload));
    await waitFor(() => seen.length === 50, 'the buffered messages');
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('times out and aborts requests the far side never answers', async () => {
    const { mux } = start();
    const timedOut = await rejection(mux.request(CH.never, null, { timeout: 30 }));
    expect(TimeoutError.isInstance(timedOut)).toBe(true);
    const controller = new AbortController();
    const pending = mux.request(CH.never, null, { signal: controller.signal });
    setTimeout(() => controller.abort('stop'), 20);
    const aborted = await rejection(pending);
    expect(AbortError.isInstance(aborted)).toBe(true);
    expect((aborted as AbortError).cause).toBe('stop');
    expect(mux.pendingRequests).toBe(0);
    expect(await mux.request(CH.echo, 'still fine')).toBe('still fine');
  });

  it(`rejects pending requests with ClosedError when the ${runtime === 'thread' ? 'worker is terminated' : 'child is killed'}`, async () => {
    const remote = start();
    expect(await remote.mux.request(CH.echo, 'up')).toBe('up');
    const pending = [remote.mux.request(CH.never, 1), remote.mux.request(CH.delay, { ms: 60_000, value: 2 })].map(rejection);
    await delay(20);
    await remote.kill();
    for (const request of pending) {
      const error = await within(request, 10_000, 'the rejection');
      expect(ClosedError.isInstance(error)).toBe(true);
      expect((error as ClosedError).code).toBe('ERR_TRANSPORT_CLOSED');
    }
    expect(remote.mux.closed).toBe(true);
    expect(remote.mux.pendingRequests).toBe(0);
  });

  it('moves reply buffers given with replyWithTransfer where the link can', async () => {
    const { mux } = start();
    const reply = await mux.request<Uint8Array>(CH.transferBack, 1024);
    expect(reply.byteLength).toBe(1024);
    expect(reply.every((byte) => byte === 7)).toBe(true);
  });
});

describe('a Multiplexer channel is a Transport', () => {
  it('passes isTransport and shares the capabilities of the link', () => {
    const [a] = muxPair('message-channel');
    const channel = a.channel(70);
    expect(isTransport(channel)).toBe(true);
    expect(channel.capabilities).toEqual({ sharedMemory: true, transfer: true });
    channel.close();
  });

  it('closing a channel closes only that channel', async () => {
    const [a, b] = muxPair();
    const left = a.channel(71);
    const right = b.channel(71);
    right.onMessage(() => {});
    const rightClosed = new Promise<void>((resolve) => right.onClose(resolve));
    left.close();
    await within(rightClosed, 5_000, 'the far channel to close');
    b.handle(72, (payload) => payload);
    expect(await a.request(72, 'the multiplexer is still open')).toBe('the multiplexer is still open');
    expect(a.closed).toBe(false);
  });

  it('closes when the multiplexer closes', async () => {
    const [a] = muxPair();
    const channel = a.channel(73);
    const closed = new Promise<void>((resolve) => channel.onClose(resolve));
    a.close();
    await within(closed, 5_000, 'the channel to close');
    expect(channel.closed).toBe(true);
  });
});

for (const over of ['MessageChannel', 'TCP socket'] as const) {
  runConformance(
    `Multiplexer channel (over a ${over})`,
    async () => {
      let left: Multiplexer;
      let right: Multiplexer;
      let sockets: Awaited<ReturnType<typeof socketPair>> | undefined;
      if (over === 'MessageChannel') {
        const { port1, port2 } = new MessageChannel();
        left = new Multiplexer(new MessagePortTransport(port1));
        right = new Multiplexer(new MessagePortTransport(port2));
      } else {
        sockets = await socketPair('tcp');
        left = new Multiplexer(new StreamTransport(sockets.client));
        right = new Multiplexer(new StreamTransport(sockets.server));
      }
      const local = left.channel(CHANNELS.user + 4) as BaseTransport;
      return echoPair(local, right.channel(CHANNELS.user + 4), async () => {
        left.close();
        right.close();
        await sockets?.dispose();
      });
    },
    { unrefKind: 'mux-channel', holdsEventLoop: true },
  );
}

describe('a message carrying a handle whose reviver module cannot be loaded', () => {
  it('is still delivered, with a stand-in that throws a typed error when used (the receiver never waits forever)', async () => {
    const [a, b] = muxPair();
    const missing = new URL('./fixtures/no-such-reviver.js', import.meta.url).href;
    const handle = {
      [describeShareable]: () => ({ reviver: missing, name: 'reviveNothing', data: 1 }),
    };
    const received: unknown[] = [];
    b.onMessage(CHANNELS.user, (payload) => received.push(payload));
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      a.send(CHANNELS.user, { label: 'first', handle });
      a.send(CHANNELS.user, { label: 'second' });
      await waitFor(() => received.length === 2, 'both messages', 5000);
    } finally {
      process.off('warning', onWarning);
    }
    const [first, second] = received as [{ label: string; handle: { value: unknown } }, { label: string }];
    expect(first.label).toBe('first');
    expect(second.label).toBe('second');
    expect(() => first.handle.value).toThrow(InvalidStateError);
    expect(() => first.handle.value).toThrow(/could not be loaded/);
    expect(await Promise.resolve(first.handle)).toBe(first.handle); // awaitable: no `then`
    expect(warnings.some((message) => message.includes('could not be revived'))).toBe(true);
  });
});
