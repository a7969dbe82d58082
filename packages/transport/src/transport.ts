/**
 * The one interface everything in multiproc sends through. A Transport moves structured-cloneable
 * messages between two endpoints (two threads, two processes, two ends of a socket) and tells when the
 * link is gone. Pools, processes, queues and proxies all speak through it, so a framework integrator can
 * plug in their own (an Electron utility process, a browser Worker, a WebSocket) by implementing these
 * few members, most easily by extending {@link BaseTransport}.
 *
 * @packageDocumentation
 */
import type { TransferListItem as NodeTransferListItem } from 'node:worker_threads';
import { ClosedError } from './errors.js';

/**
 * Something a {@link Transport} can move instead of copying: an `ArrayBuffer`, a `MessagePort` and the
 * other transferables of `worker_threads` (the same type as Node's `TransferListItem`).
 *
 * @example
 * ```ts
 * import { createMemoryTransportPair, type TransferListItem } from '@multiproc/transport';
 * const [a] = createMemoryTransportPair();
 * const bytes = new Uint8Array(1024);
 * const transfer: TransferListItem[] = [bytes.buffer];
 * a.send(bytes, transfer); // moved where `a.capabilities.transfer`, copied otherwise
 * ```
 */
export type TransferListItem = NodeTransferListItem;

/**
 * What a transport can do beyond copying messages. Packages read it to pick a strategy: a queue or a
 * lock crosses a link with `sharedMemory` as the shared buffer itself, and is served by its owner
 * (proxied) over one without.
 *
 * @example
 * ```ts
 * import { createMemoryTransportPair, type TransportCapabilities } from '@multiproc/transport';
 * const [a] = createMemoryTransportPair();
 * const capabilities: TransportCapabilities = a.capabilities;
 * if (!capabilities.sharedMemory) console.log('handles will be proxied over this link');
 * ```
 */
export interface TransportCapabilities {
  /**
   * Both ends see the same memory: a SharedArrayBuffer sent through arrives as the same buffer, so
   * Atomics work across it (worker threads). `false` for processes and sockets.
   */
  readonly sharedMemory: boolean;
  /** ArrayBuffers listed in `transfer` move instead of being copied. */
  readonly transfer: boolean;
}

/**
 * A bidirectional, ordered message link between two endpoints.
 *
 * Contract (checked by the conformance suite every built-in implementation runs):
 * - messages arrive in the order they were sent, as structured clones; none is lost for want of a
 *   listener: what arrives while no message listener is attached is kept and delivered, in order, to
 *   the next one (as Node.js does for IPC and MessagePorts);
 * - `send` after `close` (of either side) throws a {@link ClosedError};
 * - `onClose` listeners fire exactly once, whichever side closed, and `closed` is then `true`;
 * - `onMessage`/`onClose` return an unsubscribe function, and unsubscribing leaves no listener behind;
 * - after `unref()` the transport does not keep Node.js alive; `ref()` undoes that.
 *
 * @example
 * ```ts
 * import { createMemoryTransportPair } from '@multiproc/transport';
 * const [a, b] = createMemoryTransportPair();
 * b.onMessage((message) => console.log('got', message));
 * a.send({ hello: 'world' });
 * ```
 */
export interface Transport {
  /** The version of this contract the implementation follows. */
  readonly specVersion: 1;
  /** What the link supports beyond copying. */
  readonly capabilities: TransportCapabilities;
  /**
   * Sends one message.
   * @param message - a structured-cloneable value.
   * @param transfer - ArrayBuffers (or ports) to move instead of copy, where `capabilities.transfer`.
   * @throws {@link ClosedError} once the transport is closed.
   */
  send(message: unknown, transfer?: readonly TransferListItem[]): void;
  /**
   * Listens for messages. Messages that arrived while no listener was attached are delivered to it
   * first, in order.
   * @returns a function that removes the listener.
   */
  onMessage(listener: (message: unknown) => void): () => void;
  /**
   * Listens for the link closing, whichever side closed it. Fires once; a listener added after the
   * transport closed is called on the next tick.
   * @returns a function that removes the listener.
   */
  onClose(listener: () => void): () => void;
  /** Whether the link is closed (by either side). */
  readonly closed: boolean;
  /** Closes the link; the other side's `onClose` fires too. Idempotent. */
  close(): void;
  /** Lets the transport keep Node.js alive (the default while it has listeners). */
  ref(): void;
  /** Stops the transport from keeping Node.js alive. */
  unref(): void;
  /**
   * Optional. Delivers one message that has already arrived to the message listeners, synchronously,
   * instead of waiting for the event loop to do it; returns `false` when none was waiting (or no listener
   * is attached, or the link is closed). Order is kept: a message delivered here is not delivered again.
   * A reader that expects an answer within microseconds spins on it briefly before it parks (a pool
   * worker between tasks, the pool waiting for a short task's result), which avoids the cost of waking a
   * sleeping thread. {@link MessagePortTransport} implements it; a transport without it is simply never
   * polled.
   */
  poll?(): boolean;
}

/**
 * Whether `value` looks like a {@link Transport} of this spec version.
 *
 * @param value - anything.
 * @returns `true` for an object with the Transport members and `specVersion === 1`.
 * @example
 * ```ts
 * import { isTransport, createMemoryTransportPair } from '@multiproc/transport';
 * isTransport(createMemoryTransportPair()[0]); // true
 * isTransport({}); // false
 * ```
 */
export function isTransport(value: unknown): value is Transport {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<Transport>;
  return (
    candidate.specVersion === 1 &&
    typeof candidate.send === 'function' &&
    typeof candidate.onMessage === 'function' &&
    typeof candidate.onClose === 'function' &&
    typeof candidate.close === 'function'
  );
}

/**
 * A base class that implements the listener bookkeeping of {@link Transport} (listener sets, closing
 * exactly once, the typed error on send after close), so an implementation only writes how bytes move.
 * Subclasses call {@link BaseTransport.deliver} for each incoming message and
 * {@link BaseTransport.markClosed} when the link is gone, and implement `sendNow`, `closeNow`,
 * `setRef`.
 *
 * @example
 * ```ts
 * import { BaseTransport, type TransferListItem } from '@multiproc/transport';
 * // A transport over a browser-style Worker (postMessage + onmessage).
 * class WebWorkerTransport extends BaseTransport {
 *   readonly capabilities = { sharedMemory: true, transfer: true };
 *   constructor(private readonly worker: { postMessage(m: unknown, t?: TransferListItem[]): void; terminate(): void; onmessage: ((e: { data: unknown }) => void) | null }) {
 *     super();
 *     worker.onmessage = (event) => this.deliver(event.data);
 *   }
 *   protected sendNow(message: unknown, transfer: readonly TransferListItem[]): void {
 *     this.worker.postMessage(message, [...transfer]);
 *   }
 *   protected closeNow(): void {
 *     this.worker.terminate();
 *     this.markClosed();
 *   }
 *   protected setRef(): void {}
 * }
 * ```
 */
export abstract class BaseTransport implements Transport {
  /** {@inheritDoc "@multiproc/transport"!Transport.specVersion} */
  readonly specVersion = 1 as const;
  /** {@inheritDoc "@multiproc/transport"!Transport.capabilities} */
  abstract readonly capabilities: TransportCapabilities;
  #closed = false;
  #closeFired = false;
  #refd = true;
  readonly #messageListeners = new Set<(message: unknown) => void>();
  readonly #closeListeners = new Set<() => void>();
  /** Messages that arrived while no listener was attached, or behind those; `undefined` when none. */
  #inbox: unknown[] | undefined;
  #flushScheduled = false;

  /** A short description used in error messages, e.g. `'MessagePort transport'`. */
  protected get label(): string {
    return this.constructor.name;
  }

  /** {@inheritDoc "@multiproc/transport"!Transport.closed} */
  get closed(): boolean {
    return this.#closed;
  }

  /** {@inheritDoc "@multiproc/transport"!Transport.send} */
  send(message: unknown, transfer: readonly TransferListItem[] = []): void {
    if (this.#closed) {
      throw new ClosedError(`cannot send: the ${this.label} is closed`, { code: 'ERR_TRANSPORT_CLOSED' });
    }
    this.sendNow(message, transfer);
  }

  /** {@inheritDoc "@multiproc/transport"!Transport.onMessage} */
  onMessage(listener: (message: unknown) => void): () => void {
    this.#messageListeners.add(listener);
    this.listenersChanged();
    this.#scheduleFlush();
    return () => {
      if (this.#messageListeners.delete(listener)) this.listenersChanged();
    };
  }

  /** {@inheritDoc "@multiproc/transport"!Transport.onClose} */
  onClose(listener: () => void): () => void {
    if (this.#closeFired) {
      let cancelled = false;
      setImmediate(() => {
        if (!cancelled) listener();
      });
      return () => {
        cancelled = true;
      };
    }
    this.#closeListeners.add(listener);
    return () => {
      this.#closeListeners.delete(listener);
    };
  }

  /** {@inheritDoc "@multiproc/transport"!Transport.close} */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeNow();
  }

  /** {@inheritDoc "@multiproc/transport"!Transport.ref} */
  ref(): void {
    this.#refd = true;
    this.listenersChanged();
  }

  /** {@inheritDoc "@multiproc/transport"!Transport.unref} */
  unref(): void {
    this.#refd = false;
    this.listenersChanged();
  }

  /** How many message listeners are attached (for tests and leak checks). */
  get listenerCount(): number {
    return this.#messageListeners.size + this.#closeListeners.size;
  }

  /** Whether the user wants the transport to keep Node.js alive. */
  protected get wantsRef(): boolean {
    return this.#refd;
  }

  /** Whether any message listener is attached. */
  protected get hasMessageListeners(): boolean {
    return this.#messageListeners.size > 0;
  }

  /**
   * Hands an incoming message to every listener. With no listener attached (or while messages kept
   * earlier still wait), it is kept and delivered in order once a listener is attached.
   */
  protected deliver(message: unknown): void {
    if (this.#inbox !== undefined || this.#messageListeners.size === 0) {
      if (this.#closeFired) return;
      (this.#inbox ??= []).push(message);
      this.#scheduleFlush();
      return;
    }
    for (const listener of this.#messageListeners) listener(message);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#inbox === undefined || this.#messageListeners.size === 0) return;
    this.#flushScheduled = true;
    // Not synchronously: a listener is never called before onMessage() returned its unsubscribe.
    queueMicrotask(() => {
      this.#flushScheduled = false;
      const inbox = this.#inbox;
      if (inbox === undefined) return;
      while (inbox.length > 0 && this.#messageListeners.size > 0 && !this.#closeFired) {
        const message = inbox.shift();
        for (const listener of this.#messageListeners) listener(message);
      }
      if (inbox.length === 0 || this.#closeFired) this.#inbox = undefined;
    });
  }

  /** Records that the link is gone and fires the close listeners once. */
  protected markClosed(): void {
    this.#closed = true;
    if (this.#closeFired) return;
    this.#closeFired = true;
    const listeners = [...this.#closeListeners];
    this.#closeListeners.clear();
    this.#messageListeners.clear();
    this.#inbox = undefined;
    this.setRef(false);
    for (const listener of listeners) listener();
  }

  /** Called whenever listeners or the ref wish change; applies `setRef`. */
  protected listenersChanged(): void {
    if (this.#closeFired) return;
    this.setRef(this.#refd && this.#messageListeners.size > 0);
  }

  /** Puts one message on the wire. Called only while open. */
  protected abstract sendNow(message: unknown, transfer: readonly TransferListItem[]): void;
  /** Closes the underlying link; must eventually call {@link BaseTransport.markClosed}. */
  protected abstract closeNow(): void;
  /** Makes the underlying handle keep Node.js alive or not. */
  protected abstract setRef(keepAlive: boolean): void;
}
