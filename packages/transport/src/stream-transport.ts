/**
 * A {@link Transport} over any byte stream: a socket, a pair of pipes, a child's stdio. Each message is
 * serialized with V8's structured-clone serializer (`node:v8`) and written as one frame prefixed by its
 * 4-byte big-endian length, so message boundaries are kept whatever the stream does to chunk sizes.
 *
 * @packageDocumentation
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import { InvalidArgumentError, ProtocolError } from './errors.js';
import { BaseTransport, type TransportCapabilities } from './transport.js';

// node:v8 is loaded on first use: most workers never open a stream transport. (process.getBuiltinModule,
// not createRequire: importing node:module costs a new worker more than the call saves.)
let v8: typeof import('node:v8') | undefined;
const codecV8 = (): typeof import('node:v8') => (v8 ??= process.getBuiltinModule('node:v8'));

/**
 * The largest frame a {@link StreamTransport} accepts by default: 1 GiB. A frame whose length prefix
 * says more closes the transport instead of allocating it.
 *
 * @example
 * ```ts
 * import { PassThrough } from 'node:stream';
 * import { StreamTransport, DEFAULT_MAX_FRAME_BYTES } from '@multiproc/transport';
 * const stream = new PassThrough();
 * // Accept at most 16 MiB per message, well under the default.
 * const transport = new StreamTransport(stream, { maxFrameBytes: Math.min(16 * 1024 * 1024, DEFAULT_MAX_FRAME_BYTES) });
 * transport.close();
 * ```
 */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024 * 1024;

/**
 * Options of {@link StreamTransport}.
 *
 * @example
 * ```ts
 * import { createConnection } from 'node:net';
 * import { StreamTransport, type StreamTransportOptions } from '@multiproc/transport';
 * const options: StreamTransportOptions = { maxFrameBytes: 64 * 1024 * 1024 };
 * const transport = new StreamTransport(createConnection('/tmp/app.sock'), options);
 * transport.onMessage((message) => console.log(message));
 * ```
 */
export interface StreamTransportOptions {
  /**
   * Refuse incoming frames larger than this (a corrupt length would otherwise allocate it). Default
   * {@link DEFAULT_MAX_FRAME_BYTES}.
   */
  maxFrameBytes?: number;
}

interface Refable {
  ref?(): unknown;
  unref?(): unknown;
}

/**
 * A {@link Transport} over a Duplex stream (a `net.Socket`, a `stream.Duplex`) or a separate readable
 * and writable (`{ readable: process.stdin, writable: process.stdout }`).
 *
 * @example
 * ```ts
 * import { createServer, connect } from 'node:net';
 * import { StreamTransport } from '@multiproc/transport';
 * const server = createServer((socket) => {
 *   const serverSide = new StreamTransport(socket);
 *   serverSide.onMessage((message) => serverSide.send({ echo: message }));
 * }).listen(0, () => {
 *   const port = (server.address() as { port: number }).port;
 *   const client = new StreamTransport(connect(port));
 *   client.onMessage((message) => { console.log(message); client.close(); server.close(); });
 *   client.send(new Set([1, 2, 3]));
 * });
 * ```
 */
export class StreamTransport extends BaseTransport {
  /** Streams carry bytes: nothing is shared and nothing is transferred. */
  readonly capabilities: TransportCapabilities = { sharedMemory: false, transfer: false };
  readonly #readable: Readable;
  readonly #writable: Writable;
  readonly #maxFrameBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #frameLength = -1;

  /**
   * @param stream - a Duplex, or `{ readable, writable }`.
   * @param options - {@link StreamTransportOptions}.
   * @throws {@link InvalidArgumentError} when the stream is not readable and writable.
   */
  constructor(stream: Duplex | { readable: Readable; writable: Writable }, options: StreamTransportOptions = {}) {
    super();
    const pair = stream as { readable: unknown; writable: unknown };
    if (typeof pair.readable === 'object' && pair.readable !== null && typeof pair.writable === 'object') {
      this.#readable = pair.readable as Readable;
      this.#writable = pair.writable as Writable;
    } else {
      this.#readable = stream as Duplex;
      this.#writable = stream as Duplex;
    }
    if (typeof this.#readable.on !== 'function' || typeof this.#writable.write !== 'function') {
      throw new InvalidArgumentError('StreamTransport needs a Duplex stream or { readable, writable }');
    }
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#readable.on('data', (chunk: Buffer) => this.#onData(chunk));
    const gone = (): void => this.#teardown();
    this.#readable.once('end', gone);
    this.#readable.once('close', gone);
    this.#readable.once('error', gone);
    this.#writable.once('error', gone);
    this.#writable.once('close', gone);
    this.#applyRef(false);
  }

  protected override get label(): string {
    return 'stream transport';
  }

  #onData(chunk: Buffer): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    for (;;) {
      if (this.#frameLength < 0) {
        if (this.#pendingBytes < 4) return;
        this.#frameLength = this.#take(4).readUInt32BE(0);
        if (this.#frameLength > this.#maxFrameBytes) {
          this.#readable.destroy(
            new ProtocolError(`incoming frame of ${this.#frameLength} bytes exceeds maxFrameBytes (${this.#maxFrameBytes})`),
          );
          return;
        }
      }
      if (this.#pendingBytes < this.#frameLength) return;
      const frame = this.#take(this.#frameLength);
      this.#frameLength = -1;
      let message: unknown;
      try {
        message = codecV8().deserialize(frame);
      } catch (error) {
        this.#readable.destroy(new ProtocolError('a frame could not be deserialized', { cause: error }));
        return;
      }
      if (this.closed) return;
      this.deliver(message);
    }
  }

  #take(length: number): Buffer {
    let buffer: Buffer;
    const first = this.#pending[0];
    if (first !== undefined && first.length >= length) {
      buffer = first.subarray(0, length);
      if (first.length === length) this.#pending.shift();
      else this.#pending[0] = first.subarray(length);
    } else {
      const all = Buffer.concat(this.#pending, this.#pendingBytes);
      buffer = all.subarray(0, length);
      this.#pending = length < all.length ? [all.subarray(length)] : [];
    }
    this.#pendingBytes -= length;
    return buffer;
  }

  protected sendNow(message: unknown): void {
    const body = codecV8().serialize(message);
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(body.length, 0);
    this.#writable.write(Buffer.concat([header, body], 4 + body.length));
  }

  protected closeNow(): void {
    this.#writable.end();
    if (this.#readable !== (this.#writable as unknown)) this.#readable.destroy();
    // A Duplex socket closes fully once the peer ends too; report closed locally at once.
    setImmediate(() => this.#teardown());
  }

  #teardown(): void {
    if (!this.#writable.writableEnded) this.#writable.end();
    this.markClosed();
  }

  protected setRef(keepAlive: boolean): void {
    this.#applyRef(keepAlive);
  }

  #applyRef(keepAlive: boolean): void {
    for (const handle of new Set<Refable>([this.#readable as Refable, this.#writable as Refable])) {
      if (keepAlive) handle.ref?.();
      else handle.unref?.();
    }
  }
}
