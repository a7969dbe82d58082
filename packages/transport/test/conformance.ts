/**
 * The Transport conformance suite: one set of checks every implementation runs (the contract written
 * on the Transport interface). `runConformance(name, makePair)` registers it for one implementation;
 * `makePair` opens a fresh link whose far end runs the echo peer (fixtures/echo-peer.js), in this
 * thread or in a real worker thread or child process, and tells how to end everything again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BaseTransport, ClosedError, isTransport, type Transport } from '@multiproc/transport';
import { runEchoPeer, type PeerReport } from './fixtures/echo-peer.js';
import { delay, runUnrefFixture, waitFor, within } from './helpers.js';

/** The far end of a pair under test. */
export interface Peer {
  /** Resolves with what the peer saw once its onClose fired (see fixtures/echo-peer.js). */
  readonly report: Promise<PeerReport>;
  /** Ends the peer and everything the pair opened (threads, processes, sockets, servers). */
  dispose(): Promise<void>;
  /** What the peer's side went through (a child's stderr and exit status), for failure messages. */
  diagnostics?(): string;
}

/** A fresh link: the end under test in this thread, and the echo peer at the other end. */
export interface Pair {
  readonly local: BaseTransport;
  readonly peer: Peer;
}

/**
 * A pair whose far end runs the echo peer in this thread, on `remote`. `dispose` ends everything the pair
 * opened (by default: both transports).
 */
export function echoPair(local: BaseTransport, remote: Transport, dispose?: () => Promise<void>): Pair {
  const report = new Promise<PeerReport>((resolve) => runEchoPeer(remote, resolve));
  return {
    local,
    peer: {
      report,
      dispose:
        dispose ??
        (async () => {
          remote.close();
          local.close();
        }),
    },
  };
}

/** How the suite checks `unref()` for this implementation. */
export interface ConformanceOptions {
  /** The kind argument of fixtures/unref.js that opens a transport of this implementation. */
  readonly unrefKind: string;
  /**
   * Whether a ref'd transport of this kind holds Node.js open. `false` only for the in-memory pair,
   * which has no handle (both ends live in one thread, so nothing could ever arrive to wait for).
   */
  readonly holdsEventLoop: boolean;
}

type Message = [op: string, value?: unknown];

/** Collects the messages of a transport, skipping the peer's `ready` greeting. */
class Inbox {
  readonly messages: Message[] = [];
  readonly off: () => void;
  constructor(
    readonly transport: Transport,
    keepReady = false,
    readonly peer?: Peer,
  ) {
    this.off = transport.onMessage((message) => {
      const m = message as Message;
      if (!keepReady && m[0] === 'ready') return;
      this.messages.push(m);
    });
  }
  async take(count: number, what = `${count} messages`): Promise<Message[]> {
    try {
      await waitFor(() => this.messages.length >= count, what, 20_000);
    } catch (error) {
      const state = `${this.messages.length} received, transport closed: ${String(this.transport.closed)}`;
      throw new Error(`${(error as Error).message} (${state}; ${this.peer?.diagnostics?.() ?? 'peer in this thread'})`);
    }
    return this.messages.splice(0, count);
  }
}

async function echo(transport: Transport, inbox: Inbox, value: unknown): Promise<unknown> {
  transport.send(['echo', value]);
  const [reply] = await inbox.take(1, 'an echo');
  expect(reply?.[0]).toBe('echo');
  return reply?.[1];
}

function expectClosedError(error: unknown): void {
  expect(ClosedError.isInstance(error)).toBe(true);
  expect((error as ClosedError).code).toBe('ERR_TRANSPORT_CLOSED');
}

/** Structured values every transport must carry intact. */
function structuredSamples(): Array<[string, unknown]> {
  const cyclic: Record<string, unknown> = { name: 'cycle' };
  cyclic['self'] = cyclic;
  const shared = { shared: true };
  return [
    ['primitives', [0, -1.5, Number.MAX_SAFE_INTEGER, 'héllo ✓ 🚀', true, false, null, undefined]],
    ['NaN and infinities', [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
    ['BigInt', [0n, 2n ** 80n, -(2n ** 70n)]],
    ['Date', new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 250))],
    ['RegExp', /a+b*/giu],
    ['Map', new Map<unknown, unknown>([['a', 1], [2, { b: [3] }], ['nested', new Map([['x', new Set([1])]])]])],
    ['Set', new Set<unknown>([1, 'two', 3n, null])],
    ['Uint8Array', new Uint8Array([0, 1, 2, 254, 255])],
    ['Float64Array', new Float64Array([1.5, -2.25, Number.EPSILON])],
    ['BigInt64Array', new BigInt64Array([1n, -(2n ** 63n)])],
    ['Int16Array over part of a buffer', new Int16Array(new ArrayBuffer(16), 4, 3).fill(-7)],
    ['ArrayBuffer', new Uint8Array([9, 8, 7]).buffer],
    [
      'nested objects',
      {
        a: { b: { c: { d: [1, [2, [3, { e: 'deep' }]]] } } },
        list: [{ id: 1 }, { id: 2, tags: new Set(['x']) }],
        when: new Date(0),
        sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
      },
    ],
    ['a cycle', cyclic],
    ['a value referenced twice', { left: shared, right: shared }],
    ['a large string', 'x'.repeat(256 * 1024)],
  ];
}

/**
 * Registers the conformance suite for one Transport implementation.
 *
 * @param name - what is under test, e.g. `'MessagePortTransport (worker thread)'`.
 * @param makePair - opens a fresh pair for each test.
 * @param options - how to check `unref` for this implementation.
 */
export function runConformance(name: string, makePair: () => Promise<Pair>, options: ConformanceOptions): void {
  describe(`${name} conforms to the Transport contract`, () => {
    let pair: Pair | undefined;
    let local: BaseTransport;

    beforeEach(async () => {
      pair = await makePair();
      local = pair.local;
    });

    afterEach(async () => {
      const current = pair;
      pair = undefined;
      if (!current) return;
      if (!current.local.closed) current.local.close();
      await current.peer.dispose();
    });

    it('is a Transport of spec version 1 with boolean capabilities', () => {
      expect(isTransport(local)).toBe(true);
      expect(local.specVersion).toBe(1);
      expect(typeof local.capabilities.sharedMemory).toBe('boolean');
      expect(typeof local.capabilities.transfer).toBe('boolean');
      expect(local.closed).toBe(false);
    });

    it('delivers a message the peer sent before anyone listened', async () => {
      // The peer greets with ['ready'] as soon as it starts; give it time to arrive, then listen.
      await delay(300);
      const inbox = new Inbox(local, true, pair!.peer);
      const [first] = await inbox.take(1, 'the greeting');
      expect(first).toEqual(['ready']);
    });

    it('keeps the order of many messages, both ways', async () => {
      const inbox = new Inbox(local, false, pair!.peer);
      const count = 2_000;
      for (let i = 0; i < count; i++) {
        // Mix sizes so that stream transports cut frames across chunks.
        local.send(['echo', i % 97 === 0 ? { i, pad: 'p'.repeat(70_000) } : i]);
      }
      const replies = await inbox.take(count, `${count} echoes`);
      const values = replies.map(([, value]) => (typeof value === 'number' ? value : (value as { i: number }).i));
      expect(values).toEqual(Array.from({ length: count }, (_, i) => i));
    });

    it('keeps the order of a burst sent by the peer', async () => {
      const inbox = new Inbox(local, false, pair!.peer);
      local.send(['burst', 500]);
      const replies = await inbox.take(500, 'the burst');
      expect(replies).toEqual(Array.from({ length: 500 }, (_, i) => ['burst', i]));
    });

    for (const [label, sample] of structuredSamples()) {
      it(`carries structured values intact: ${label}`, async () => {
        const inbox = new Inbox(local, false, pair!.peer);
        const back = await echo(local, inbox, sample);
        expect(back).toEqual(sample);
        if (sample instanceof Map) expect(back).toBeInstanceOf(Map);
        if (sample instanceof Set) expect(back).toBeInstanceOf(Set);
        if (sample instanceof Date) expect(back).toBeInstanceOf(Date);
        if (sample instanceof RegExp) expect((back as RegExp).flags).toBe(sample.flags);
        if (ArrayBuffer.isView(sample)) {
          expect((back as object).constructor).toBe(sample.constructor);
          expect(Array.from(back as Iterable<unknown>)).toEqual(Array.from(sample as unknown as Iterable<unknown>));
        }
        if (label === 'a cycle') expect((back as Record<string, unknown>)['self']).toBe(back);
        if (label === 'a value referenced twice') {
          const { left, right } = back as { left: unknown; right: unknown };
          expect(left).toBe(right);
        }
        if (label === 'NaN and infinities') expect(Number.isNaN((back as number[])[0])).toBe(true);
        if (label === 'BigInt') for (const item of back as unknown[]) expect(typeof item).toBe('bigint');
      });
    }

    it('transfers ArrayBuffers where it can and copies them where it cannot', async () => {
      const inbox = new Inbox(local, false, pair!.peer);
      const expected = Array.from({ length: 4096 }, (_, i) => i % 251);
      const buffer = new Uint8Array(expected).buffer;
      local.send(['transfer', buffer], [buffer]);
      if (local.capabilities.transfer) {
        // Moved: detached at the sender.
        expect(buffer.byteLength).toBe(0);
      } else {
        // Copied: still intact at the sender.
        expect(buffer.byteLength).toBe(4096);
        expect(new Uint8Array(buffer)[250]).toBe(250);
      }
      const [back, report] = await inbox.take(2, 'the buffer and the peer report');
      expect(back?.[0]).toBe('transfer');
      const arrived = back?.[1] as ArrayBuffer;
      expect(arrived).toBeInstanceOf(ArrayBuffer);
      expect(arrived.byteLength).toBe(4096);
      expect(Array.from(new Uint8Array(arrived))).toEqual(expected);
      // The peer sent it back with a transfer list too: detached there exactly when transfers move.
      expect(report).toEqual(['transferred', local.capabilities.transfer ? 0 : 4096]);
    });

    it('closing this side: onClose fires once on both sides, closed is true, send throws ClosedError', async () => {
      const inbox = new Inbox(local, false, pair!.peer);
      await echo(local, inbox, 'before close');
      let fired = 0;
      const closedLocally = new Promise<void>((resolve) =>
        local.onClose(() => {
          fired++;
          resolve();
        }),
      );
      local.close();
      expect(local.closed).toBe(true);
      let thrown: unknown;
      try {
        local.send(['echo', 'after close']);
      } catch (error) {
        thrown = error;
      }
      expectClosedError(thrown);
      expect(() => local.close()).not.toThrow();
      await within(closedLocally, 10_000, 'onClose on the closing side');
      const report = await within(pair!.peer.report, 15_000, 'the peer to see the close');
      expect(report.closeCount).toBe(1);
      expect(report.closed).toBe(true);
      expect(report.sendError?.isClosedError).toBe(true);
      expect(report.sendError?.code).toBe('ERR_TRANSPORT_CLOSED');
      expect(fired).toBe(1);
      expect(local.closed).toBe(true);
      // A listener added after the close is still told, once, asynchronously.
      let late = 0;
      local.onClose(() => late++);
      expect(late).toBe(0);
      await waitFor(() => late === 1, 'a late onClose listener');
      await delay(50);
      expect(late).toBe(1);
      expect(fired).toBe(1);
    });

    it('closed by the peer: onClose fires once on both sides, closed is true, send throws ClosedError', async () => {
      const inbox = new Inbox(local, false, pair!.peer);
      await echo(local, inbox, 'before close');
      let fired = 0;
      const closedHere = new Promise<void>((resolve) =>
        local.onClose(() => {
          fired++;
          resolve();
        }),
      );
      local.send(['close']);
      await within(closedHere, 10_000, 'onClose after the peer closed');
      expect(local.closed).toBe(true);
      let thrown: unknown;
      try {
        local.send(['echo', 'after close']);
      } catch (error) {
        thrown = error;
      }
      expectClosedError(thrown);
      const report = await within(pair!.peer.report, 15_000, 'the peer report');
      expect(report.closeCount).toBe(1);
      expect(report.closed).toBe(true);
      expect(report.sendError?.isClosedError).toBe(true);
      expect(report.sendError?.code).toBe('ERR_TRANSPORT_CLOSED');
      local.close(); // idempotent after a remote close
      await delay(50);
      expect(fired).toBe(1);
    });

    it('unsubscribe functions remove their listeners and leave none behind', async () => {
      const baseline = local.listenerCount;
      const seenByA: unknown[] = [];
      const seenByB: unknown[] = [];
      const offA = local.onMessage((message) => seenByA.push(message));
      const offB = local.onMessage((message) => seenByB.push(message));
      let closeCalls = 0;
      const offClose = local.onClose(() => closeCalls++);
      expect(local.listenerCount).toBe(baseline + 3);
      offA();
      expect(local.listenerCount).toBe(baseline + 2);
      offA(); // a second call is harmless
      expect(local.listenerCount).toBe(baseline + 2);
      await waitFor(() => seenByB.some((m) => (m as Message)[0] === 'ready'), 'the greeting');
      local.send(['echo', 'only B']);
      await waitFor(() => seenByB.some((m) => (m as Message)[1] === 'only B'), 'the echo at B');
      expect(seenByA.some((m) => (m as Message)[1] === 'only B')).toBe(false);
      offB();
      offClose();
      expect(local.listenerCount).toBe(baseline);
      local.close();
      await within(pair!.peer.report, 15_000, 'the peer report');
      await delay(20);
      expect(closeCalls).toBe(0);
      expect(local.listenerCount).toBe(0);
    });

    it('drops every listener once closed', async () => {
      local.onMessage(() => {});
      local.onClose(() => {});
      expect(local.listenerCount).toBeGreaterThanOrEqual(2);
      const closed = new Promise<void>((resolve) => local.onClose(resolve));
      local.close();
      await within(closed, 10_000, 'onClose');
      expect(local.listenerCount).toBe(0);
    });

    it('after unref() it does not keep Node.js alive', async () => {
      const outcome = await runUnrefFixture(options.unrefKind, 'unref', false);
      expect(outcome, outcome.stderr).toEqual({ result: 0, stderr: 'ready\n' });
    });

    it('without listeners it does not keep Node.js alive', async () => {
      const outcome = await runUnrefFixture(options.unrefKind, 'idle', false);
      expect(outcome, outcome.stderr).toEqual({ result: 0, stderr: 'ready\n' });
    });

    if (options.holdsEventLoop) {
      it('with a listener it keeps Node.js alive, and ref() undoes unref()', async () => {
        const [refd, reRefd] = await Promise.all([
          runUnrefFixture(options.unrefKind, 'ref', true),
          runUnrefFixture(options.unrefKind, 'unref-ref', true),
        ]);
        expect(refd.result, refd.stderr).toBe('alive');
        expect(reRefd.result, reRefd.stderr).toBe('alive');
      });
    }
  });
}
