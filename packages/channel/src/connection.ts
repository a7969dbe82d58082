/**
 * `Connection`: one end of a {@link Pipe}, as Python's `multiprocessing.connection.Connection`. It sends
 * and receives whole messages (structured-cloneable values, or raw bytes with `sendBytes`), keeps message
 * boundaries (an empty message is a message), and passes to processes, pool tasks and through queues
 * like any shareable handle. A Connection is also a {@link Transport}: `send`, `onMessage`, `onClose`,
 * `closed`, `close`, `ref`/`unref`, so anything built on the common interface runs over a pipe.
 *
 * @packageDocumentation
 */
import {
  BaseTransport,
  describeShareable,
  InvalidArgumentError,
  registerReviver,
  UnsupportedError,
  type ReviveContext,
  type Shareable,
  type ShareContext,
  type ShareDescriptor,
  type TransferListItem,
  type TransportCapabilities,
} from '@multiproc/transport';
import { recall, remember } from './internal/backend.js';
import { LocalPipeBackend, RemotePipeBackend, type PipeBackend, type PipeData } from './internal/pipe-backend.js';
import { Ring } from './internal/ring.js';

let pendingBackend: ((holder: object) => PipeBackend) | undefined;

/** @internal Creates a Connection over a backend (used by Pipe and the reviver). */
export function createConnection<T>(make: (holder: object) => PipeBackend): Connection<T> {
  pendingBackend = make;
  try {
    return new Connection<T>();
  } finally {
    pendingBackend = undefined;
  }
}

function checkTimeout(timeoutMs: number | null): number {
  if (timeoutMs === null) return Number.POSITIVE_INFINITY;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new InvalidArgumentError(`timeoutMs must be a number of milliseconds >= 0 (or Infinity), got ${String(timeoutMs)}`);
  }
  return timeoutMs;
}

function slice(buffer: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, offset: number | undefined, size: number | undefined): Uint8Array {
  const bytes =
    buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer
      ? new Uint8Array(buffer)
      : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const start = offset ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > bytes.length) {
    throw new InvalidArgumentError(`offset must be an integer from 0 to ${bytes.length}, got ${String(offset)}`);
  }
  const length = size ?? bytes.length - start;
  if (!Number.isInteger(length) || length < 0 || start + length > bytes.length) {
    throw new InvalidArgumentError(`size must be an integer from 0 to ${bytes.length - start}, got ${String(size)}`);
  }
  return bytes.subarray(start, start + length);
}

/**
 * One end of a pipe. Made by {@link Pipe}; not constructed directly.
 *
 * Differences from Python: `send` does not block (the pipe buffers in shared memory, growing as
 * needed); `close()` closes the end for every holder of it (pass an end to a child and do not close
 * your own copy of it); `closed` is `true` once either end closed (the Transport contract), while
 * `recv` still drains what was sent and then throws `EOFError`.
 *
 * @typeParam T - the message type.
 * @example
 * ```ts
 * import { Pipe } from '@multiproc/channel';
 * const [parent, child] = Pipe<string>();
 * child.send('hello');
 * console.log(await parent.recv()); // 'hello'
 * parent.close();
 * ```
 * @see https://multiproc.dev/guide/channel
 */
export class Connection<T = unknown> extends BaseTransport implements Shareable {
  readonly #backend: PipeBackend;
  #looping = false;
  #keepAlive = false;

  /** @internal Use {@link Pipe}. */
  constructor() {
    super();
    const make = pendingBackend;
    pendingBackend = undefined;
    if (!make) throw new UnsupportedError('a Connection is made by Pipe(), not constructed directly');
    this.#backend = make(this);
    remember(this.#backend.id, this);
  }

  /** {@inheritDoc "@multiproc/transport"!Transport.capabilities} */
  get capabilities(): TransportCapabilities {
    return { sharedMemory: this.#backend.sharedMemory, transfer: false };
  }

  /**
   * Whether this end can receive (`false` for the writer of a one-way pipe).
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [reader, writer] = Pipe(false);
   * console.log(reader.readable, writer.readable); // true false
   * reader.close();
   * writer.close();
   * ```
   */
  get readable(): boolean {
    return this.#backend.readable;
  }

  /**
   * Whether this end can send (`false` for the reader of a one-way pipe).
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [reader, writer] = Pipe(false);
   * console.log(reader.writable, writer.writable); // false true
   * reader.close();
   * writer.close();
   * ```
   */
  get writable(): boolean {
    return this.#backend.writable;
  }

  /**
   * Whether the pipe is closed: this end, or the other one (then `recv` still drains what was sent).
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe();
   * a.close();
   * console.log(a.closed, b.closed); // true true
   * b.close();
   * ```
   */
  override get closed(): boolean {
    return super.closed || this.#backend.peerClosed();
  }

  /**
   * Sends one message (a structured-cloneable value or a shareable handle). Does not wait for the
   * reader. The `transfer` list of the Transport interface is accepted and ignored: the message is
   * copied into shared memory.
   *
   * @param message - the message.
   * @param transfer - ignored.
   * @throws `NotCloneableError` for a message that cannot be sent; `ClosedError` when either end is
   *   closed; `InvalidStateError` on the reader of a one-way pipe.
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe<{ n: number }>();
   * a.send({ n: 1 });
   * console.log(await b.recv()); // { n: 1 }
   * a.close();
   * ```
   */
  override send(message: T, transfer?: readonly TransferListItem[]): void {
    super.send(message, transfer);
  }

  /**
   * Receives the next message, waiting for one.
   *
   * @returns a promise of the message (a `Uint8Array` for a message sent with `sendBytes`).
   * @throws (rejects with) `EOFError` when the other end is closed and everything it sent was read;
   *   `ClosedError` when this end is closed; `InvalidStateError` on the writer of a one-way pipe.
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe<number>();
   * a.send(1);
   * console.log(await b.recv()); // 1
   * a.close();
   * ```
   */
  recv(): Promise<T> {
    return this.#backend.recv() as Promise<T>;
  }

  /**
   * Receives the next message, blocking the calling thread until one arrives (worker threads, child
   * processes).
   *
   * @returns the message.
   * @throws `EOFError`, `ClosedError`, `InvalidStateError` as {@link Connection.recv}.
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe<number>();
   * a.send(2);
   * console.log(b.recvSync()); // 2
   * a.close();
   * ```
   */
  recvSync(): T {
    return this.#backend.recvSync() as T;
  }

  /**
   * Whether a message (or the end of the stream) is ready to read, waiting up to `timeoutMs`.
   *
   * @param timeoutMs - how long to wait: 0 (the default) checks and returns at once; `Infinity` or
   *   `null` waits as long as it takes.
   * @returns a promise of `true` when `recv` would not wait.
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe();
   * console.log(await b.poll()); // false
   * a.send('x');
   * console.log(await b.poll(1_000)); // true
   * a.close();
   * ```
   */
  poll(timeoutMs: number | null = 0): Promise<boolean> {
    let timeout: number;
    try {
      timeout = checkTimeout(timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#backend.poll(timeout);
  }

  /**
   * Like {@link Connection.poll}, blocking the calling thread while it waits.
   *
   * @param timeoutMs - as {@link Connection.poll}.
   * @returns `true` when `recv` would not wait.
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe();
   * a.send(1);
   * console.log(b.pollSync()); // true
   * a.close();
   * ```
   */
  pollSync(timeoutMs: number | null = 0): boolean {
    return this.#backend.pollSync(checkTimeout(timeoutMs));
  }

  /**
   * Sends raw bytes as one message: `size` bytes of `buffer` from `offset`.
   *
   * @param buffer - a typed array, DataView, ArrayBuffer or SharedArrayBuffer.
   * @param offset - the first byte (default 0).
   * @param size - how many bytes (default: to the end).
   * @throws `InvalidArgumentError` for an offset or size outside the buffer; `ClosedError`,
   *   `InvalidStateError` as {@link Connection.send}.
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe();
   * a.sendBytes(new TextEncoder().encode('hello world'), 6, 5);
   * console.log(new TextDecoder().decode(await b.recvBytes())); // 'world'
   * a.close();
   * ```
   */
  sendBytes(buffer: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, offset?: number, size?: number): void {
    this.#backend.sendBytes(slice(buffer, offset, size));
  }

  /**
   * Receives one message sent with {@link Connection.sendBytes}.
   *
   * @param maxLength - the longest message accepted; a longer one is left in the pipe and this throws.
   * @returns a promise of the bytes.
   * @throws (rejects with) `InvalidArgumentError` when the message is longer than `maxLength`;
   *   `InvalidStateError` when the next message was sent with `send` (it is left in the pipe);
   *   `EOFError`, `ClosedError` as {@link Connection.recv}.
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe();
   * a.sendBytes(new Uint8Array([1, 2, 3]));
   * console.log(await b.recvBytes()); // Uint8Array [1, 2, 3]
   * a.close();
   * ```
   */
  recvBytes(maxLength?: number): Promise<Uint8Array> {
    return this.#backend.recvBytes(maxLength);
  }

  /**
   * Like {@link Connection.recvBytes}, blocking the calling thread.
   *
   * @param maxLength - as {@link Connection.recvBytes}.
   * @returns the bytes.
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe();
   * a.sendBytes(new Uint8Array([9]));
   * console.log(b.recvBytesSync()); // Uint8Array [9]
   * a.close();
   * ```
   */
  recvBytesSync(maxLength?: number): Uint8Array {
    return this.#backend.recvBytesSync(maxLength);
  }

  /**
   * Receives one bytes message into `buffer` at `offset` and returns its length. A message that does
   * not fit is left in the pipe and this throws, so it can be read with a larger buffer (Python's
   * `BufferTooShort` consumes it).
   *
   * @param buffer - where to write.
   * @param offset - the first byte to write (default 0).
   * @returns a promise of the number of bytes written.
   * @throws (rejects with) `InvalidArgumentError` when the message does not fit; others as
   *   {@link Connection.recvBytes}.
   * @example
   * ```ts
   * import { Pipe } from '@multiproc/channel';
   * const [a, b] = Pipe();
   * a.sendBytes(new Uint8Array([1, 2]));
   * const into = new Uint8Array(8);
   * console.log(await b.recvBytesInto(into, 4), into); // 2, Uint8Array [0, 0, 0, 0, 1, 2, 0, 0]
   * a.close();
   * ```
   */
  async recvBytesInto(buffer: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, offset = 0): Promise<number> {
    const target = slice(buffer, offset, undefined);
    const bytes = await this.#backend.recvBytes(target.length);
    target.set(bytes);
    return bytes.length;
  }

  /** @internal Describes this end for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    return { reviver: import.meta.url, name: 'reviveConnection', data: this.#backend.describe(context) };
  }

  /** @internal */
  protected sendNow(message: unknown): void {
    this.#backend.send(message);
  }

  /** @internal */
  protected closeNow(): void {
    this.#backend.close();
    this.#backend.wake?.();
    this.markClosed();
  }

  /** @internal */
  protected setRef(keepAlive: boolean): void {
    if (keepAlive === this.#keepAlive) return;
    this.#keepAlive = keepAlive;
    // A pending wait was made with the old setting: wake it so it waits again with the new one.
    if (this.#looping) this.#backend.wake?.();
  }

  /** {@inheritDoc "@multiproc/transport"!Transport.onClose} */
  override onClose(listener: () => void): () => void {
    const off = super.onClose(listener);
    this.#startLoop();
    return off;
  }

  /** @internal */
  protected override listenersChanged(): void {
    super.listenersChanged();
    this.#startLoop();
  }

  #startLoop(): void {
    if (this.#looping || super.closed || this.listenerCount === 0) return;
    this.#looping = true;
    void this.#loop().finally(() => {
      this.#looping = false;
    });
  }

  async #loop(): Promise<void> {
    const backend = this.#backend;
    if (backend instanceof LocalPipeBackend) {
      while (!super.closed && this.listenerCount > 0) {
        if (this.hasMessageListeners) {
          const taken = backend.takeNow();
          if (taken.ok) {
            this.deliver(await taken.value);
            continue;
          }
          if (taken.eof) break;
        } else if (backend.peerClosed()) {
          break;
        }
        if (backend.peerClosed() && !backend.readable) break;
        await backend.watch(this.#keepAlive);
      }
    } else {
      // A proxy: read through the owner while someone listens.
      while (!super.closed && this.listenerCount > 0 && this.readable && this.hasMessageListeners) {
        try {
          this.deliver(await backend.recv());
        } catch {
          break;
        }
      }
      if (!this.readable || !this.hasMessageListeners) return;
    }
    if (!super.closed && backend.peerClosed()) this.markClosed();
  }
}

/** @internal Revives a pipe end that crossed a boundary. */
export function reviveConnection(data: unknown, context: ReviveContext): unknown {
  const pipe = data as PipeData;
  const existing = recall(pipe.id);
  if (existing) {
    if (pipe.mode === 'proxy') context.remote?.hold(pipe.served, existing);
    return existing;
  }
  if (pipe.mode === 'ring') {
    return createConnection((holder) =>
      new LocalPipeBackend(pipe.id, pipe.read && Ring.open(pipe.read), pipe.write && Ring.open(pipe.write), false, holder),
    );
  }
  const remote = context.remote;
  if (!remote) throw new UnsupportedError('a pipe end arrived without a connection to its owner');
  const connection = createConnection((holder) => {
    void holder;
    return new RemotePipeBackend(remote, pipe);
  });
  remote.hold(pipe.served, connection);
  return connection;
}

registerReviver(import.meta.url, 'reviveConnection', reviveConnection);
