/**
 * The one multiplexing layer every multiproc package speaks through. A {@link Multiplexer} wraps a
 * {@link Transport} and offers numbered channels over it, request/response with ids and typed remote
 * errors, and the service that lets shareable handles be proxied to their owner (Manager-style). The
 * pool protocol, the process control messages and every proxy use it; none invents its own format.
 *
 * Wire format: every frame is an array `[channel, kind, id, payload, special]`, where `special` says
 * whether the payload went through the codec's rewriting (so plain payloads are never walked twice).
 *
 * @packageDocumentation
 */
import {
  decode,
  decodeWithBrokenHandles,
  encode,
  loadRevivers,
  collectRevivers,
  ReviverNotLoaded,
  serializeError,
  type RemoteObjects,
  type ReviveContext,
  type ServedObject,
  type ShareContext,
} from './codec.js';
import {
  AbortError,
  ClosedError,
  InvalidArgumentError,
  InvalidStateError,
  MultiprocError,
  ProtocolError,
  TimeoutError,
  UnsupportedError,
} from './errors.js';
import { BaseTransport, type Transport, type TransportCapabilities } from './transport.js';
import { callServedObject, releaseObject, serveObject, shareEndpoint } from './internal/served.js';
import { callSync } from './internal/sync-caller.js';
import { StreamTransport } from './stream-transport.js';
import type { TransferListItem } from 'node:worker_threads';

/**
 * Channel 0 carries calls to served objects (`CHANNELS.share`); packages use their own numbers from
 * {@link CHANNELS}. Do not send on it yourself.
 *
 * @example
 * ```ts
 * import { CHANNELS, SHARE_CHANNEL } from '@multiproc/transport';
 * console.log(SHARE_CHANNEL === CHANNELS.share); // true
 * ```
 */
export const SHARE_CHANNEL = 0;

/**
 * The channel numbers multiproc's own packages use, so that they never collide. Integrators who build on
 * a {@link Multiplexer} should use numbers from `CHANNELS.user` upward.
 *
 * @example
 * ```ts
 * import { CHANNELS, createMemoryTransportPair, Multiplexer } from '@multiproc/transport';
 * const [a, b] = createMemoryTransportPair();
 * const MY_CHANNEL = CHANNELS.user + 1;
 * new Multiplexer(b).onMessage(MY_CHANNEL, (payload) => console.log(payload));
 * new Multiplexer(a).send(MY_CHANNEL, { hello: 'there' });
 * ```
 */
export const CHANNELS = Object.freeze({
  /** Calls to served (proxied) objects. */
  share: SHARE_CHANNEL,
  /** Process control: start, ready, exit. */
  process: 1,
  /** The pool protocol. */
  pool: 2,
  /** Channels and queues. */
  channel: 3,
  /** Synchronisation primitives. */
  sync: 4,
  /** Shared memory. */
  shared: 5,
  /** The first number free for users. */
  user: 16,
});

const enum Kind {
  Message = 0,
  Request = 1,
  Resolve = 2,
  Reject = 3,
  Release = 4,
  ChannelClose = 5,
  /** Tells the peer where this process's share endpoint is (for synchronous proxy calls). */
  Endpoint = 6,
}

type Frame = [channel: number, kind: Kind, id: number, payload: unknown, special: 0 | 1];

/**
 * Options of {@link Multiplexer.send} (and the base of {@link MuxRequestOptions}).
 *
 * @example
 * ```ts
 * import { CHANNELS, createMemoryTransportPair, Multiplexer, type MuxSendOptions } from '@multiproc/transport';
 * const [a] = createMemoryTransportPair();
 * const bytes = new Float64Array(1024);
 * const options: MuxSendOptions = { transfer: [bytes.buffer], path: 'samples' };
 * new Multiplexer(a).send(CHANNELS.user, bytes, options); // the buffer moves; `bytes` is detached
 * ```
 */
export interface MuxSendOptions {
  /** ArrayBuffers (or ports) to move instead of copy, where the transport can. */
  transfer?: readonly TransferListItem[];
  /** The name of the payload in a {@link NotCloneableError}, e.g. `'args'`. */
  path?: string;
  /**
   * The caller already checked the payload with {@link encode} and nothing in it needs rewriting
   * (`special` was false): skip the codec's walk. A hot-path optimisation for large batches.
   */
  plain?: boolean;
}

/**
 * Options of {@link Multiplexer.request}: those of a send, plus a timeout and an abort signal.
 *
 * @example
 * ```ts
 * import { CHANNELS, createMemoryTransportPair, Multiplexer, type MuxRequestOptions } from '@multiproc/transport';
 * const [a, b] = createMemoryTransportPair();
 * new Multiplexer(b).handle(CHANNELS.user, (n) => (n as number) * 2);
 * const options: MuxRequestOptions = { timeout: 1_000, signal: AbortSignal.timeout(5_000) };
 * console.log(await new Multiplexer(a).request<number>(CHANNELS.user, 21, options)); // 42
 * ```
 */
export interface MuxRequestOptions extends MuxSendOptions {
  /** Reject with a {@link TimeoutError} after this many milliseconds. */
  timeout?: number;
  /** Reject with an {@link AbortError} when this signal aborts. */
  signal?: AbortSignal;
}

/**
 * What a request handler may return to also transfer buffers with its reply; made by
 * {@link replyWithTransfer}.
 *
 * @example
 * ```ts
 * import { CHANNELS, createMemoryTransportPair, Multiplexer, replyWithTransfer, type ReplyWithTransfer } from '@multiproc/transport';
 * const [, b] = createMemoryTransportPair();
 * new Multiplexer(b).handle(CHANNELS.user, (): ReplyWithTransfer => {
 *   const bytes = new Uint8Array(1 << 20);
 *   return replyWithTransfer(bytes, [bytes.buffer]);
 * });
 * ```
 */
export interface ReplyWithTransfer {
  /** The reply value. */
  readonly value: unknown;
  /** Buffers to move with it. */
  readonly transfer: readonly TransferListItem[];
}

const REPLY_WITH_TRANSFER = Symbol.for('multiproc.replyWithTransfer');

/**
 * Wraps a handler's reply so its buffers are transferred rather than copied.
 *
 * @param value - the reply.
 * @param transfer - the buffers in it to move.
 * @returns a marker the multiplexer recognises.
 * @example
 * ```ts
 * import { replyWithTransfer } from '@multiproc/transport';
 * const bytes = new Uint8Array(1024);
 * const reply = replyWithTransfer(bytes, [bytes.buffer]);
 * ```
 */
export function replyWithTransfer(value: unknown, transfer: readonly TransferListItem[]): ReplyWithTransfer {
  return { value, transfer, [REPLY_WITH_TRANSFER]: true } as ReplyWithTransfer;
}

interface PendingRequest {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  cleanup(): void;
}


type MessageListener = (payload: unknown) => void;
type RequestHandler = (payload: unknown) => unknown;

/**
 * Numbered channels and request/response over one {@link Transport}.
 *
 * @example
 * ```ts
 * import { createMemoryTransportPair, Multiplexer } from '@multiproc/transport';
 * const [a, b] = createMemoryTransportPair();
 * const client = new Multiplexer(a);
 * const server = new Multiplexer(b);
 * server.handle(16, (payload) => (payload as number) * 2);
 * console.log(await client.request(16, 21)); // 42
 * client.close();
 * ```
 */
export class Multiplexer {
  /** The transport this multiplexer owns. */
  readonly transport: Transport;
  readonly #listeners = new Map<number, Set<MessageListener>>();
  readonly #handlers = new Map<number, RequestHandler>();
  /** Messages that arrived on a channel with no listener (or behind such messages), per channel. */
  readonly #bufferedMessages = new Map<number, Frame[]>();
  /** Requests that arrived on a channel with no handler (or behind such requests), per channel. */
  readonly #bufferedRequests = new Map<number, Frame[]>();
  /** Channels whose buffers a scheduled microtask will drain. */
  readonly #flushScheduled = new Set<number>();
  readonly #pending = new Map<number, PendingRequest>();
  /** References to served objects handed out over this connection, by id. */
  readonly #served = new Map<number, number>();
  readonly #channelCloseListeners = new Map<number, Set<() => void>>();
  #nextRequestId = 1;
  #endpointSent = false;
  #peerEndpoint: string | undefined;
  #decodeQueue: unknown[] | undefined;
  #closed = false;
  readonly #shareContext: Omit<ShareContext, 'path'>;
  readonly #reviveContext: ReviveContext;
  readonly #finalizer: FinalizationRegistry<number> | undefined;
  readonly #closeListeners = new Set<() => void>();
  /** Whether this multiplexer itself wants to keep Node.js alive (`ref()`/`unref()`). */
  #refWanted = true;
  /** Channels seen as Transports that want to keep Node.js alive. */
  readonly #channelRefs = new Set<object>();

  /**
   * @param transport - the link to multiplex; the multiplexer owns it (closing one closes the other).
   * @throws {@link InvalidArgumentError} when `transport` is not a Transport.
   */
  constructor(transport: Transport) {
    if (transport === null || typeof transport !== 'object' || transport.specVersion !== 1) {
      throw new InvalidArgumentError('Multiplexer needs a Transport with specVersion 1');
    }
    this.transport = transport;
    const serve = (target: ServedObject): number => this.#serve(target);
    this.#shareContext = { capabilities: transport.capabilities, serve };
    const remote: RemoteObjects = {
      call: (id, method, args) => this.request(SHARE_CHANNEL, [id, method, args], { path: `${method}() arguments` }),
      callSync: (id, method, args) => {
        if (this.#peerEndpoint === undefined) {
          throw new UnsupportedError(
            'a synchronous call needs the owner of this object to be reachable through its share endpoint, and it did not announce one',
          );
        }
        return callSync(this.#peerEndpoint, id, method, args);
      },
      hold: (id, proxy) => this.#finalizer?.register(proxy, id),
    };
    this.#reviveContext = { capabilities: transport.capabilities, remote };
    this.#finalizer =
      typeof FinalizationRegistry === 'function'
        ? new FinalizationRegistry<number>((id) => {
            if (!this.transport.closed) this.#post([SHARE_CHANNEL, Kind.Release, id, undefined, 0]);
          })
        : undefined;
    transport.onMessage((raw) => this.#receive(raw));
    transport.onClose(() => this.#onTransportClosed());
    this.#handlers.set(SHARE_CHANNEL, callServedObject);
  }

  /** The capabilities of the underlying transport. */
  get capabilities(): TransportCapabilities {
    return this.transport.capabilities;
  }

  /** Whether the underlying transport is closed. */
  get closed(): boolean {
    return this.#closed || this.transport.closed;
  }

  /**
   * Whether the underlying transport can be polled ({@link Transport.poll}): a reader waiting for an
   * answer expected within microseconds may spin on {@link Multiplexer.poll} before it parks.
   */
  get canPoll(): boolean {
    return typeof this.transport.poll === 'function';
  }

  /**
   * Delivers one frame that has already arrived on the transport, synchronously, to its channel's
   * listeners or pending request; `false` when none was waiting or the transport cannot be polled.
   */
  poll(): boolean {
    return this.transport.poll?.() ?? false;
  }

  /** How many requests await a reply. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  /** How many objects this side serves to the other. */
  get servedObjects(): number {
    return this.#served.size;
  }

  /**
   * Sends a one-way message on a channel.
   *
   * @param channel - the channel number.
   * @param payload - any value the codec accepts.
   * @param options - transfer list and payload name for errors.
   * @throws {@link NotCloneableError} for a payload that cannot be sent; {@link ClosedError} once closed.
   */
  send(channel: number, payload: unknown, options: MuxSendOptions = {}): void {
    this.#sendFrame(channel, Kind.Message, 0, payload, options);
  }

  /**
   * Listens for messages on a channel. Messages that arrived before the first listener are delivered
   * to it.
   *
   * @returns a function that removes the listener.
   */
  onMessage(channel: number, listener: (payload: unknown) => void): () => void {
    let set = this.#listeners.get(channel);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
    }
    set.add(listener);
    this.#flushBuffered(channel);
    return () => {
      set.delete(listener);
    };
  }

  /**
   * Answers requests on a channel: the handler's return value (or promise) is the reply; a thrown
   * error (or rejection) rejects the caller's promise with the same error class, message, stack and
   * properties. One handler per channel.
   *
   * @returns a function that removes the handler.
   * @throws {@link InvalidArgumentError} when the channel already has a handler.
   */
  handle(channel: number, handler: (payload: unknown) => unknown): () => void {
    if (this.#handlers.has(channel)) {
      throw new InvalidArgumentError(`channel ${channel} already has a request handler`);
    }
    this.#handlers.set(channel, handler);
    this.#flushBuffered(channel);
    return () => {
      if (this.#handlers.get(channel) === handler) this.#handlers.delete(channel);
    };
  }

  /**
   * Sends a request and resolves with the reply.
   *
   * @param channel - the channel number.
   * @param payload - the request.
   * @param options - transfer list, timeout and abort signal.
   * @returns a promise of the reply; rejects with the remote error, a {@link TimeoutError}, an
   *   {@link AbortError}, or a {@link ClosedError} if the link closes first.
   */
  request<T = unknown>(channel: number, payload: unknown, options: MuxRequestOptions = {}): Promise<T> {
    const id = this.#nextRequestId++;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        this.#pending.get(id)?.cleanup();
        this.#pending.delete(id);
        reject(new AbortError('the request was aborted', { cause: options.signal?.reason }));
      };
      const entry: PendingRequest = {
        resolve: resolve as (value: unknown) => void,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      };
      if (options.signal?.aborted) {
        onAbort();
        return;
      }
      this.#pending.set(id, entry);
      try {
        this.#sendFrame(channel, Kind.Request, id, payload, options);
      } catch (error) {
        this.#pending.delete(id);
        reject(error);
        return;
      }
      if (options.timeout !== undefined) {
        timer = setTimeout(() => {
          this.#pending.delete(id);
          entry.cleanup();
          reject(new TimeoutError(`no reply on channel ${channel} within ${options.timeout} ms`));
        }, options.timeout);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * A numbered channel as a {@link Transport} of its own, for code that wants a plain transport.
   * Closing it closes only that channel (on both sides).
   *
   * @param id - the channel number.
   * @returns a Transport over that channel.
   */
  channel(id: number): Transport {
    return new MuxChannel(this, id);
  }

  /**
   * Listens for the link closing.
   * @returns a function that removes the listener.
   */
  onClose(listener: () => void): () => void {
    if (this.closed) {
      const timer = setImmediate(listener);
      return () => clearImmediate(timer);
    }
    this.#closeListeners.add(listener);
    return () => {
      this.#closeListeners.delete(listener);
    };
  }

  /** Closes the multiplexer and its transport; pending requests reject with {@link ClosedError}. */
  close(): void {
    if (this.#closed) return;
    this.transport.close();
    this.#onTransportClosed();
  }

  /** Lets the transport keep Node.js alive. */
  ref(): void {
    this.#refWanted = true;
    this.#applyRef();
  }

  /**
   * Stops the transport from keeping Node.js alive, unless a channel opened with {@link channel}
   * still wants it to (a ref'd channel with listeners).
   */
  unref(): void {
    this.#refWanted = false;
    this.#applyRef();
  }

  /** @internal Records whether the channel `holder` (a {@link channel} Transport) wants to keep Node.js alive. */
  setChannelRef(holder: object, keepAlive: boolean): void {
    if (keepAlive === this.#channelRefs.has(holder)) return;
    if (keepAlive) this.#channelRefs.add(holder);
    else this.#channelRefs.delete(holder);
    this.#applyRef();
  }

  #applyRef(): void {
    if (this.#refWanted || this.#channelRefs.size > 0) this.transport.ref();
    else this.transport.unref();
  }

  /** @internal */
  addChannelCloseListener(channel: number, listener: () => void): () => void {
    let set = this.#channelCloseListeners.get(channel);
    if (!set) {
      set = new Set();
      this.#channelCloseListeners.set(channel, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** @internal */
  closeChannel(channel: number): void {
    if (!this.closed) this.#post([channel, Kind.ChannelClose, 0, undefined, 0]);
    this.#fireChannelClose(channel);
  }

  #fireChannelClose(channel: number): void {
    const set = this.#channelCloseListeners.get(channel);
    if (!set) return;
    this.#channelCloseListeners.delete(channel);
    for (const listener of set) listener();
  }

  #sendFrame(channel: number, kind: Kind, id: number, payload: unknown, options: MuxSendOptions): void {
    if (this.closed) {
      throw new ClosedError('cannot send: the connection is closed', { code: 'ERR_TRANSPORT_CLOSED' });
    }
    if (options.plain === true) {
      this.transport.send([channel, kind, id, payload, 0] satisfies Frame, options.transfer ?? []);
      return;
    }
    const encoded = encode(payload, { path: options.path ?? 'message', share: this.#shareContext });
    const frame: Frame = [channel, kind, id, encoded.value, encoded.special ? 1 : 0];
    this.transport.send(frame, options.transfer ?? []);
  }

  #post(frame: Frame): void {
    try {
      this.transport.send(frame);
    } catch {
      // The link is gone; nothing to tell.
    }
  }

  #receive(raw: unknown): void {
    if (this.#decodeQueue) {
      this.#decodeQueue.push(raw);
      return;
    }
    this.#dispatch(raw);
  }

  #dispatch(raw: unknown): void {
    if (!Array.isArray(raw) || raw.length !== 5 || typeof raw[0] !== 'number') {
      // Not ours: another user of the same transport. Ignore it.
      return;
    }
    const frame = raw as Frame;
    if (frame[4] === 1) {
      try {
        frame[3] = decode(frame[3], { context: this.#reviveContext });
      } catch (error) {
        if (!(error instanceof ReviverNotLoaded)) throw error;
        this.#decodeQueue = [raw];
        void this.#loadAndResume(frame[3]);
        return;
      }
      frame[4] = 0;
    }
    this.#route(frame);
  }

  async #loadAndResume(value: unknown): Promise<void> {
    try {
      await loadRevivers(collectRevivers(value));
    } catch (error) {
      // A reviver module that cannot load: deliver the failure to the request if there is one.
      const queue = this.#decodeQueue ?? [];
      this.#decodeQueue = undefined;
      const first = queue.shift() as Frame | undefined;
      if (first && first[1] === Kind.Request) {
        this.#replyError(first[0], first[2], error);
      } else if (first && first[1] === Kind.Resolve) {
        const pending = this.#pending.get(first[2]);
        this.#pending.delete(first[2]);
        pending?.cleanup();
        pending?.reject(error);
      } else if (first) {
        // A message: deliver it with stand-ins for the handles that cannot be revived. They throw when used,
        // so the receiver fails visibly rather than waiting forever for a message that was dropped.
        process.emitWarning(`multiproc: a handle could not be revived: ${String(error)}`);
        first[3] = decodeWithBrokenHandles(
          first[3],
          this.#reviveContext,
          (url) =>
            new InvalidStateError(
              `this handle cannot be used here: its module (${url}) could not be loaded in this thread or process: ${String(error)}`,
              { cause: error },
            ),
        );
        first[4] = 0;
        this.#route(first);
      }
      for (const raw of queue) this.#receive(raw);
      return;
    }
    const queue = this.#decodeQueue ?? [];
    this.#decodeQueue = undefined;
    for (const raw of queue) this.#receive(raw);
  }

  #route(frame: Frame): void {
    const [channel, kind, id, payload] = frame;
    switch (kind) {
      case Kind.Message:
      case Kind.Request: {
        // Behind frames still waiting in the buffer (or with nobody to take it): wait too, so that
        // order is kept even when a listener subscribes while a batch of frames is being delivered.
        const buffers = kind === Kind.Message ? this.#bufferedMessages : this.#bufferedRequests;
        if (buffers.has(channel) || !this.#canTake(channel, kind)) {
          this.#buffer(buffers, channel, frame);
          this.#flushBuffered(channel);
          return;
        }
        this.#take(frame);
        return;
      }
      case Kind.Resolve:
      case Kind.Reject: {
        const pending = this.#pending.get(id);
        if (!pending) return;
        this.#pending.delete(id);
        pending.cleanup();
        if (kind === Kind.Resolve) pending.resolve(payload);
        else pending.reject(payload);
        return;
      }
      case Kind.Release:
        this.#release(id, 1);
        return;
      case Kind.ChannelClose:
        this.#fireChannelClose(channel);
        return;
      case Kind.Endpoint:
        if (typeof payload === 'string') this.#peerEndpoint = payload;
        return;
      default:
        throw new ProtocolError(`unknown frame kind ${String(kind)}`);
    }
  }

  #canTake(channel: number, kind: Kind): boolean {
    return kind === Kind.Message ? (this.#listeners.get(channel)?.size ?? 0) > 0 : this.#handlers.has(channel);
  }

  /** Hands a message to its listeners or a request to its handler (both known to exist). */
  #take(frame: Frame): void {
    const [channel, kind, id, payload] = frame;
    if (kind === Kind.Message) {
      for (const listener of this.#listeners.get(channel) ?? []) listener(payload);
    } else {
      const handler = this.#handlers.get(channel);
      if (handler) this.#runHandler(handler, channel, id, payload);
    }
  }

  #runHandler(handler: RequestHandler, channel: number, id: number, payload: unknown): void {
    let result: unknown;
    try {
      result = handler(payload);
    } catch (error) {
      this.#replyError(channel, id, error);
      return;
    }
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => this.#reply(channel, id, value),
        (error: unknown) => this.#replyError(channel, id, error),
      );
    } else {
      this.#reply(channel, id, result);
    }
  }

  #reply(channel: number, id: number, value: unknown): void {
    if (this.closed) return;
    let transfer: readonly TransferListItem[] = [];
    if (value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[REPLY_WITH_TRANSFER] === true) {
      transfer = (value as ReplyWithTransfer).transfer;
      value = (value as ReplyWithTransfer).value;
    }
    try {
      this.#sendFrame(channel, Kind.Resolve, id, value, { transfer, path: 'result' });
    } catch (error) {
      this.#replyError(channel, id, error);
    }
  }

  /**
   * Rejects the caller of request `id` with `error`. Never throws and never leaves the caller waiting
   * while the link is open: what cannot be cloned in the error is described instead (as
   * {@link serializeError} does), and if the link still refuses it, the caller gets that refusal.
   */
  #replyError(channel: number, id: number, error: unknown): void {
    if (this.closed) return;
    let frame: Frame;
    try {
      const encoded = encode(error, { path: 'error', share: this.#shareContext });
      frame = [channel, Kind.Reject, id, encoded.value, encoded.special ? 1 : 0];
    } catch {
      // A thrown value that is not an error and holds something that cannot be cloned.
      frame = [channel, Kind.Reject, id, serializeError(error), 1];
    }
    try {
      this.transport.send(frame);
    } catch (sendError) {
      if (this.closed) return;
      this.#post([channel, Kind.Reject, id, serializeError(sendError), 1]);
    }
  }

  #buffer(buffers: Map<number, Frame[]>, channel: number, frame: Frame): void {
    let list = buffers.get(channel);
    if (!list) {
      list = [];
      buffers.set(channel, list);
    }
    list.push(frame);
  }

  /** Drains the buffers of a channel in a microtask (never before onMessage/handle returned). */
  #flushBuffered(channel: number): void {
    if (this.#flushScheduled.has(channel)) return;
    if (!this.#bufferedMessages.has(channel) && !this.#bufferedRequests.has(channel)) return;
    this.#flushScheduled.add(channel);
    queueMicrotask(() => {
      this.#flushScheduled.delete(channel);
      this.#drain(this.#bufferedMessages, channel, Kind.Message);
      this.#drain(this.#bufferedRequests, channel, Kind.Request);
    });
  }

  #drain(buffers: Map<number, Frame[]>, channel: number, kind: Kind): void {
    const list = buffers.get(channel);
    if (!list) return;
    while (list.length > 0 && !this.#closed && this.#canTake(channel, kind)) {
      this.#take(list.shift()!);
    }
    if (list.length === 0 && buffers.get(channel) === list) buffers.delete(channel);
  }

  #serve(target: ServedObject): number {
    const id = serveObject(target);
    this.#served.set(id, (this.#served.get(id) ?? 0) + 1);
    if (!this.#endpointSent && !this.transport.capabilities.sharedMemory) {
      // Before the frame that carries the handle: where a blocked caller can reach this process.
      this.#endpointSent = true;
      this.#post([SHARE_CHANNEL, Kind.Endpoint, 0, shareEndpoint(acceptShareConnection), 0]);
    }
    return id;
  }

  #release(id: number, count: number): void {
    const held = this.#served.get(id);
    if (held === undefined) return;
    const dropped = Math.min(held, count);
    if (held - dropped <= 0) this.#served.delete(id);
    else this.#served.set(id, held - dropped);
    releaseObject(id, dropped);
  }

  #onTransportClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = new ClosedError('the connection closed before a reply arrived', { code: 'ERR_TRANSPORT_CLOSED' });
    for (const pending of this.#pending.values()) {
      pending.cleanup();
      pending.reject(error);
    }
    this.#pending.clear();
    for (const id of [...this.#served.keys()]) this.#release(id, Number.POSITIVE_INFINITY);
    this.#bufferedMessages.clear();
    this.#bufferedRequests.clear();
    for (const channel of [...this.#channelCloseListeners.keys()]) this.#fireChannelClose(channel);
    const listeners = [...this.#closeListeners];
    this.#closeListeners.clear();
    for (const listener of listeners) listener();
  }
}

/** Serves the calls that arrive at this process's share endpoint (from helper threads of blocked callers). */
function acceptShareConnection(socket: import('node:net').Socket): void {
  const connection = new Multiplexer(new StreamTransport(socket));
  connection.unref();
}

/** A numbered channel of a {@link Multiplexer} seen as a {@link Transport}. */
class MuxChannel extends BaseTransport {
  readonly #mux: Multiplexer;
  readonly #id: number;
  #unsubscribe: (() => void) | undefined;

  constructor(mux: Multiplexer, id: number) {
    super();
    this.#mux = mux;
    this.#id = id;
    const offClose = mux.addChannelCloseListener(id, () => {
      offClose();
      offMux();
      this.#unsubscribe?.();
      this.markClosed();
    });
    const offMux = mux.onClose(() => {
      offClose();
      this.#unsubscribe?.();
      this.markClosed();
    });
  }

  get capabilities(): TransportCapabilities {
    return this.#mux.capabilities;
  }

  protected override get label(): string {
    return `multiplexed channel ${this.#id}`;
  }

  protected sendNow(message: unknown, transfer: readonly TransferListItem[]): void {
    this.#mux.send(this.#id, message, { transfer });
  }

  protected closeNow(): void {
    this.#mux.closeChannel(this.#id);
  }

  protected override listenersChanged(): void {
    if (!this.#unsubscribe && this.hasMessageListeners && !this.closed) {
      this.#unsubscribe = this.#mux.onMessage(this.#id, (message) => this.deliver(message));
    }
    super.listenersChanged();
  }

  protected setRef(keepAlive: boolean): void {
    this.#mux.setChannelRef(this, keepAlive);
  }
}

/**
 * Whether `error` is a {@link MultiprocError} (from any copy of the package, or revived from another
 * thread or process) with the given code.
 *
 * @param error - anything caught.
 * @param code - an error code such as `'ERR_CLOSED'`.
 * @returns `true` when the codes match.
 * @example
 * ```ts
 * import { ClosedError, hasErrorCode } from '@multiproc/transport';
 * hasErrorCode(new ClosedError('closed'), 'ERR_CLOSED'); // true
 * ```
 */
export function hasErrorCode(error: unknown, code: string): boolean {
  return MultiprocError.isInstance(error) && (error as MultiprocError).code === code;
}
