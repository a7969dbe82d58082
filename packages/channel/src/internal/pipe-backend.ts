/**
 * The two ways a pipe end works: over rings in this process (one ring per direction; a one-way pipe has
 * one ring, read by one end and written by the other), or as a proxy served by the owning process.
 */
import {
  ClosedError,
  encode,
  InvalidArgumentError,
  InvalidStateError,
  keepAliveUntil,
  type RemoteObjects,
  type ServedObject,
  type ShareContext,
  UnsupportedError,
} from '@multiproc/transport';
import { EOFError } from '../errors.js';
import { LocalCore, type CoreErrors } from './local.js';
import { CLOSED, EMPTY, FLAG_CLOSED, FLAG_READER_CLOSED, GET_WAITERS, ITEMS, Kind, MISMATCH, OK, PUT_WAITERS, Ring, SPACE, TOO_LARGE, type RingBuffers } from './ring.js';
import { waitAsync, waitSync } from '@multiproc/transport';

export const PIPE_ERRORS: CoreErrors = {
  closedOnPut: () =>
    new ClosedError('cannot send: the pipe is closed (this end or the other one)', { code: 'ERR_BROKEN_PIPE' }),
  closedOnGet: () => new EOFError(),
  empty: () => new EOFError('nothing to read'),
  full: () => new ClosedError('the pipe cannot buffer more', { code: 'ERR_PIPE_FULL' }),
};

/** What every Connection runs on. */
export interface PipeBackend {
  readonly id: string;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly sharedMemory: boolean;
  send(message: unknown): void;
  sendBytes(bytes: Uint8Array): void;
  recv(): Promise<unknown>;
  recvSync(): unknown;
  recvBytes(maxLength: number | undefined): Promise<Uint8Array>;
  recvBytesSync(maxLength: number | undefined): Uint8Array;
  poll(timeout: number): Promise<boolean>;
  pollSync(timeout: number): boolean;
  close(): void;
  /** Whether the other end closed (a send fails, or reads end once drained). */
  peerClosed(): boolean;
  /** Waits until a message may be read or the peer closes; `keepAlive` says whether to hold Node open. */
  watch?(keepAlive: boolean): Promise<void>;
  wake?(): void;
  describe(context: ShareContext): PipeData;
}

/** Descriptor data of a pipe end. */
export type PipeData =
  | { readonly mode: 'ring'; readonly id: string; readonly read: RingBuffers | undefined; readonly write: RingBuffers | undefined }
  | { readonly mode: 'proxy'; readonly id: string; readonly served: number; readonly readable: boolean; readonly writable: boolean };

const readOnly = (): Error =>
  new InvalidStateError('this end of a one-way pipe is read-only: send on the other end (Pipe(false) returns [reader, writer])');
const writeOnly = (): Error =>
  new InvalidStateError('this end of a one-way pipe is write-only: recv on the other end (Pipe(false) returns [reader, writer])');

function checkMaxLength(maxLength: number | undefined): number | undefined {
  if (maxLength === undefined) return undefined;
  if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 0) {
    throw new InvalidArgumentError(`maxLength must be an integer >= 0, got ${String(maxLength)}`);
  }
  return maxLength;
}

const isBytes = (kind: Kind): boolean => kind === Kind.Bytes;

/** A pipe end over rings in this process. */
export class LocalPipeBackend implements PipeBackend {
  readonly id: string;
  readonly sharedMemory = true;
  readonly #read: LocalCore | undefined;
  readonly #write: LocalCore | undefined;
  #closed = false;

  constructor(id: string, read: Ring | undefined, write: Ring | undefined, owner: boolean, holder: object) {
    this.id = id;
    this.#read = read && new LocalCore(read, owner, PIPE_ERRORS, holder);
    this.#write = write && new LocalCore(write, owner, PIPE_ERRORS, holder);
  }

  get readable(): boolean {
    return this.#read !== undefined;
  }

  get writable(): boolean {
    return this.#write !== undefined;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('this end of the pipe is closed', { code: 'ERR_PIPE_CLOSED' });
  }

  #writer(): LocalCore {
    this.#checkOpen();
    if (!this.#write) throw readOnly();
    return this.#write;
  }

  #reader(): LocalCore {
    this.#checkOpen();
    if (!this.#read) throw writeOnly();
    return this.#read;
  }

  send(message: unknown): void {
    this.#writer().putSync(message, {});
  }

  sendBytes(bytes: Uint8Array): void {
    const core = this.#writer();
    const result = core.ring.tryPut(Kind.Bytes, bytes);
    if (result === OK) return;
    if (result === CLOSED) throw PIPE_ERRORS.closedOnPut();
    if (result === TOO_LARGE) throw new InvalidArgumentError(`a message of ${bytes.length} bytes is larger than a pipe buffers`);
    // The buffer is at its limit: wait for the reader, as a full OS pipe would.
    for (;;) {
      const h = core.ring.h;
      Atomics.add(h, PUT_WAITERS, 1);
      const seq = Atomics.load(h, SPACE);
      const again = core.ring.tryPut(Kind.Bytes, bytes);
      if (again !== 2 /* FULL */) {
        Atomics.sub(h, PUT_WAITERS, 1);
        if (again === OK) return;
        throw PIPE_ERRORS.closedOnPut();
      }
      waitSync(h, SPACE, seq);
      Atomics.sub(h, PUT_WAITERS, 1);
    }
  }

  #result(core: LocalCore, result: number): void {
    if (result === OK) return;
    if (result === CLOSED) throw PIPE_ERRORS.closedOnGet();
    if (result === MISMATCH) {
      throw new InvalidStateError('the next message was sent with send(), not sendBytes(): read it with recv()');
    }
    if (result === TOO_LARGE) {
      throw new InvalidArgumentError(
        `the next message is ${core.ring.peekedLength} bytes, longer than maxLength; it was left in the pipe`,
      );
    }
    throw PIPE_ERRORS.empty(undefined);
  }

  async recv(signal?: AbortSignal): Promise<unknown> {
    const core = this.#reader();
    const result = await core.takeAsync({ signal });
    this.#result(core, result);
    return core.finishAsync();
  }

  recvSync(): unknown {
    const core = this.#reader();
    this.#result(core, core.takeSync({}));
    return core.finishSync();
  }

  async recvBytes(maxLength: number | undefined, signal?: AbortSignal): Promise<Uint8Array> {
    const core = this.#reader();
    const limit = checkMaxLength(maxLength);
    this.#result(core, await core.takeAsync({ signal }, undefined, isBytes, limit));
    return core.ring.takenBytes as Uint8Array;
  }

  recvBytesSync(maxLength: number | undefined): Uint8Array {
    const core = this.#reader();
    const limit = checkMaxLength(maxLength);
    this.#result(core, core.takeSync({}, isBytes, limit));
    return core.ring.takenBytes as Uint8Array;
  }

  async poll(timeout: number): Promise<boolean> {
    const core = this.#reader();
    const h = core.ring.h;
    const deadline = Date.now() + timeout;
    for (;;) {
      if (core.ring.readable()) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      Atomics.add(h, GET_WAITERS, 1);
      const seq = Atomics.load(h, ITEMS);
      if (core.ring.readable()) {
        Atomics.sub(h, GET_WAITERS, 1);
        return true;
      }
      await waitAsync(h, ITEMS, seq, Number.isFinite(remaining) ? remaining : undefined);
      Atomics.sub(h, GET_WAITERS, 1);
    }
  }

  pollSync(timeout: number): boolean {
    const core = this.#reader();
    const h = core.ring.h;
    const deadline = Date.now() + timeout;
    for (;;) {
      if (core.ring.readable()) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      Atomics.add(h, GET_WAITERS, 1);
      const seq = Atomics.load(h, ITEMS);
      if (core.ring.readable()) {
        Atomics.sub(h, GET_WAITERS, 1);
        return true;
      }
      waitSync(h, ITEMS, seq, Number.isFinite(remaining) ? remaining : undefined);
      Atomics.sub(h, GET_WAITERS, 1);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#write?.ring.setFlag(FLAG_CLOSED);
    this.#read?.ring.setFlag(FLAG_READER_CLOSED);
  }

  peerClosed(): boolean {
    return (this.#read?.ring.flag(FLAG_CLOSED) ?? false) || (this.#write?.ring.flag(FLAG_READER_CLOSED) ?? false);
  }

  /** Waits for a change on the watched ring: a message, or a close. */
  async watch(keepAlive: boolean): Promise<void> {
    const ring = (this.#read ?? this.#write)?.ring as Ring;
    const h = ring.h;
    const word = this.#read ? ITEMS : SPACE;
    const waiters = this.#read ? GET_WAITERS : PUT_WAITERS;
    Atomics.add(h, waiters, 1);
    const seq = Atomics.load(h, word);
    try {
      if (this.#closed || this.peerClosed() || (this.#read !== undefined && ring.readable())) return;
      if (keepAlive) {
        await waitAsync(h, word, seq);
      } else {
        // Unref'd: a bare Atomics.waitAsync does not keep Node.js alive.
        const result = Atomics.waitAsync(h, word, seq);
        if (result.async) await result.value;
      }
    } finally {
      Atomics.sub(h, waiters, 1);
    }
  }

  /** Wakes a pending {@link LocalPipeBackend.watch}. */
  wake(): void {
    const core = this.#read ?? this.#write;
    core?.wakeAll();
  }

  /** Takes what is readable now without waiting, for the message loop. */
  takeNow(): { ok: true; value: Promise<unknown> } | { ok: false; eof: boolean } {
    const core = this.#read;
    if (!core || this.#closed) return { ok: false, eof: false };
    const result = core.ring.tryTake();
    if (result === OK) return { ok: true, value: core.finishAsync() };
    return { ok: false, eof: result === CLOSED };
  }

  describe(context: ShareContext): PipeData {
    if (context.capabilities.sharedMemory) {
      if (this.#read?.owner) this.#read.hub();
      if (this.#write?.owner) this.#write.hub();
      return { mode: 'ring', id: this.id, read: this.#read?.ring.buffers, write: this.#write?.ring.buffers };
    }
    return { mode: 'proxy', id: this.id, served: context.serve(servePipe(this)), readable: this.readable, writable: this.writable };
  }
}

/** The owner's side of one trip of a pipe end to another process. */
function servePipe(backend: LocalPipeBackend): ServedObject {
  const pending = new Set<AbortController>();
  return {
    call(method, args) {
      switch (method) {
        case 'send':
          backend.send(args[0]);
          return undefined;
        case 'sendBytes':
          backend.sendBytes(args[0] as Uint8Array);
          return undefined;
        case 'recv':
        case 'recvBytes': {
          const controller = new AbortController();
          pending.add(controller);
          const run =
            method === 'recv' ? backend.recv(controller.signal) : backend.recvBytes(args[0] as number | undefined, controller.signal);
          return run.finally(() => pending.delete(controller));
        }
        case 'poll':
          return backend.poll(args[0] as number);
        case 'close':
          backend.close();
          return undefined;
        case 'peerClosed':
          return backend.peerClosed();
        default:
          throw new UnsupportedError(`a pipe end has no method ${method}`);
      }
    },
    release() {
      // The process holding this end is gone: withdraw its pending reads, so no message is taken for it.
      if (pending.size === 0) return;
      for (const controller of pending) controller.abort();
      backend.wake();
    },
  };
}

const PRECHECK = { capabilities: { sharedMemory: false, transfer: false }, serve: () => 0 };

/** A pipe end served by another process. */
export class RemotePipeBackend implements PipeBackend {
  readonly id: string;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly sharedMemory = false;
  readonly #remote: RemoteObjects;
  readonly #served: number;
  #closed = false;
  #peerClosed = false;
  #deferred: unknown;

  constructor(remote: RemoteObjects, data: Extract<PipeData, { mode: 'proxy' }>) {
    this.#remote = remote;
    this.#served = data.served;
    this.id = data.id;
    this.readable = data.readable;
    this.writable = data.writable;
  }

  #call(method: string, args: unknown[]): Promise<unknown> {
    return this.#remote.call(this.#served, method, args).catch((error: unknown) => {
      if (EOFError.isInstance(error) || ClosedError.isInstance(error)) this.#peerClosed = true;
      throw error;
    });
  }

  #callSync(method: string, args: unknown[]): unknown {
    try {
      return this.#remote.callSync(this.#served, method, args);
    } catch (error) {
      if (EOFError.isInstance(error) || ClosedError.isInstance(error)) this.#peerClosed = true;
      throw error;
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('this end of the pipe is closed', { code: 'ERR_PIPE_CLOSED' });
    if (this.#deferred !== undefined) {
      const error = this.#deferred;
      this.#deferred = undefined;
      throw error;
    }
  }

  #fire(method: string, args: unknown[]): void {
    // A pipe send does not wait for the owner; a failure surfaces on the next call.
    keepAliveUntil(this.#call(method, args)).catch((error: unknown) => {
      this.#deferred ??= error;
    });
  }

  send(message: unknown): void {
    this.#checkOpen();
    if (!this.writable) throw readOnly();
    encode(message, { path: 'message', share: PRECHECK });
    this.#fire('send', [message]);
  }

  sendBytes(bytes: Uint8Array): void {
    this.#checkOpen();
    if (!this.writable) throw readOnly();
    this.#fire('sendBytes', [new Uint8Array(bytes)]);
  }

  recv(): Promise<unknown> {
    try {
      this.#checkOpen();
      if (!this.readable) throw writeOnly();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call('recv', []);
  }

  recvSync(): unknown {
    this.#checkOpen();
    if (!this.readable) throw writeOnly();
    return this.#callSync('recv', []);
  }

  recvBytes(maxLength: number | undefined): Promise<Uint8Array> {
    try {
      this.#checkOpen();
      if (!this.readable) throw writeOnly();
      checkMaxLength(maxLength);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call('recvBytes', [maxLength]) as Promise<Uint8Array>;
  }

  recvBytesSync(maxLength: number | undefined): Uint8Array {
    this.#checkOpen();
    if (!this.readable) throw writeOnly();
    checkMaxLength(maxLength);
    return this.#callSync('recvBytes', [maxLength]) as Uint8Array;
  }

  poll(timeout: number): Promise<boolean> {
    try {
      this.#checkOpen();
      if (!this.readable) throw writeOnly();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call('poll', [timeout]) as Promise<boolean>;
  }

  pollSync(timeout: number): boolean {
    this.#checkOpen();
    if (!this.readable) throw writeOnly();
    return this.#callSync('poll', [timeout]) as boolean;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    keepAliveUntil(this.#remote.call(this.#served, 'close', [])).catch(() => {
      // The owner is gone: so is the pipe.
    });
  }

  peerClosed(): boolean {
    return this.#peerClosed;
  }

  describe(context: ShareContext): PipeData {
    const forward: ServedObject = { call: (method, args) => this.#remote.call(this.#served, method, [...args]) };
    return { mode: 'proxy', id: this.id, served: context.serve(forward), readable: this.readable, writable: this.writable };
  }
}

export { EMPTY };
