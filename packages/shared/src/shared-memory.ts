/**
 * `SharedMemory`: a named block of raw shared memory, as Python's `multiprocessing.shared_memory.SharedMemory`.
 *
 * Between the worker threads of one process, a block is a SharedArrayBuffer and its name lives in an
 * in-process registry: each thread keeps a map of names; a new block is announced to running threads on a
 * BroadcastChannel and handed to threads started later through `worker_threads.setEnvironmentData`; a block
 * that arrives as an argument is registered too. A child process gets a proxy: `read`/`write` work (blocking
 * calls to the owner), `buf` throws UnsupportedError.
 *
 * @packageDocumentation
 */
import { BroadcastChannel, getEnvironmentData, setEnvironmentData } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import {
  describeShareable,
  InvalidArgumentError,
  InvalidStateError,
  registerReviver,
  TimeoutError,
  UnsupportedError,
  type RemoteObjects,
  type ReviveContext,
  type ServedObject,
  type ShareContext,
  type ShareDescriptor,
} from '@multiproc/transport';
import { SharedMemoryExistsError, SharedMemoryNotFoundError } from './errors.js';

const KEY = 'multiproc.shared.memory';

type Announcement = { type: 'announce'; name: string; buffer: SharedArrayBuffer } | { type: 'unlink'; name: string } | { type: 'lookup'; name: string };

interface Registry {
  blocks: Map<string, SharedArrayBuffer>;
  channel: BroadcastChannel | undefined;
  waiters: Map<string, Set<() => void>>;
}

const GLOBAL = Symbol.for('multiproc.shared.memoryRegistry');
const registry: Registry = ((globalThis as { [GLOBAL]?: Registry })[GLOBAL] ??= { blocks: new Map(), channel: undefined, waiters: new Map() });

function channel(): BroadcastChannel {
  if (registry.channel) return registry.channel;
  const inherited = getEnvironmentData(KEY);
  if (inherited instanceof Map) {
    for (const [name, buffer] of inherited as Map<string, SharedArrayBuffer>) if (!registry.blocks.has(name)) registry.blocks.set(name, buffer);
  }
  const opened = new BroadcastChannel(KEY);
  opened.unref();
  opened.onmessage = (event: unknown) => {
    const message = (event as { data: Announcement }).data;
    if (message.type === 'announce') {
      if (!registry.blocks.has(message.name)) registry.blocks.set(message.name, message.buffer);
      const waiting = registry.waiters.get(message.name);
      if (waiting) for (const wake of waiting) wake();
    } else if (message.type === 'unlink') {
      registry.blocks.delete(message.name);
    } else if (message.type === 'lookup') {
      const buffer = registry.blocks.get(message.name);
      if (buffer) opened.postMessage({ type: 'announce', name: message.name, buffer } satisfies Announcement);
    }
  };
  registry.channel = opened;
  return opened;
}

function publish(): void {
  setEnvironmentData(KEY, new Map(registry.blocks));
}

/**
 * Options of {@link SharedMemory}, as Python's `SharedMemory(name=None, create=False, size=0)`: create a new
 * block (`create: true` and a `size`, `name` optional) or attach to an existing one by `name`.
 *
 * @example
 * ```ts
 * import { SharedMemory, type SharedMemoryOptions } from '@multiproc/shared';
 * const createOptions: SharedMemoryOptions = { name: 'frames', create: true, size: 1024 };
 * const block = new SharedMemory(createOptions);
 * const attachOptions: SharedMemoryOptions = { name: 'frames' };
 * const same = new SharedMemory(attachOptions); // here or in a worker thread
 * console.log(same.size); // 1024
 * block.unlink();
 * ```
 */
export interface SharedMemoryOptions {
  /** The block's name; generated when creating without one. Required to attach. */
  name?: string;
  /** Create a new block (default `false`: attach to an existing one). */
  create?: boolean;
  /** The size in bytes, required when creating (an integer >= 1). */
  size?: number;
}

type Source = { kind: 'local'; name: string; buffer: SharedArrayBuffer } | { kind: 'proxy'; name: string; size: number; remote: RemoteObjects; id: number };

/**
 * A named block of shared memory, as Python's `SharedMemory(name, create, size)`: `name`, `size`, `buf` (a
 * `Uint8Array` over the memory), `close()` (this handle is done with it) and `unlink()` (the name is gone;
 * handles that exist keep working). Creating a name that exists throws {@link SharedMemoryExistsError};
 * attaching to a name that is unknown here throws {@link SharedMemoryNotFoundError}. The memory is freed by
 * the garbage collector once no thread holds it. `read`/`write` copy bytes in and out, and also work in a
 * child process, where the block is a proxy and `buf` is not available.
 *
 * @example
 * ```ts
 * import { SharedMemory } from '@multiproc/shared';
 * const block = new SharedMemory({ create: true, size: 16 });
 * block.buf.set([1, 2, 3]);
 * const other = new SharedMemory({ name: block.name }); // attach (here, or in a worker thread)
 * console.log(other.buf[2]); // 3
 * other.close();
 * block.close();
 * block.unlink();
 * ```
 * @see https://multiproc.dev/guide/shared
 */
export class SharedMemory {
  readonly #source: Source;
  #closed = false;
  #served: ServedObject | undefined;

  /**
   * @param options - `name`, `create` and `size`.
   * @throws {@link SharedMemoryExistsError} when creating a name that exists.
   * @throws {@link SharedMemoryNotFoundError} when attaching to a name unknown here.
   * @throws InvalidArgumentError for a missing or bad size or name.
   */
  constructor(options: SharedMemoryOptions);
  /** @internal */
  constructor(options: SharedMemoryOptions, source: Source);
  constructor(options: SharedMemoryOptions, source?: Source) {
    if (source !== undefined) {
      this.#source = source;
      if (source.kind === 'proxy') source.remote.hold(source.id, this);
      return;
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('SharedMemory: pass options { name?, create?, size? }');
    }
    const { name, create = false, size } = options;
    if (name !== undefined && (typeof name !== 'string' || name === '')) {
      throw new InvalidArgumentError(`SharedMemory: name must be a non-empty string, got ${String(name)}`);
    }
    channel();
    if (create) {
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
        throw new InvalidArgumentError(`SharedMemory: size must be an integer >= 1 when creating, got ${String(size)}`);
      }
      const chosen = name ?? `psm_${randomBytes(8).toString('hex')}`;
      if (registry.blocks.has(chosen)) throw new SharedMemoryExistsError(chosen);
      const buffer = new SharedArrayBuffer(size);
      registry.blocks.set(chosen, buffer);
      publish();
      channel().postMessage({ type: 'announce', name: chosen, buffer } satisfies Announcement);
      this.#source = { kind: 'local', name: chosen, buffer };
      return;
    }
    if (name === undefined) throw new InvalidArgumentError('SharedMemory: a name is required to attach (or pass create: true)');
    const buffer = registry.blocks.get(name);
    if (!buffer) throw new SharedMemoryNotFoundError(name);
    if (size !== undefined && (typeof size !== 'number' || size > buffer.byteLength)) {
      throw new InvalidArgumentError(`SharedMemory: the block ${JSON.stringify(name)} has ${buffer.byteLength} bytes, fewer than the size asked (${String(size)})`);
    }
    this.#source = { kind: 'local', name, buffer };
  }

  /**
   * Attaches to a block by name, waiting (without blocking) for a running thread to announce it when this
   * thread does not know it yet (for example a pool worker that was started before the block was created).
   *
   * @param name - the block's name.
   * @param options - `timeout` in milliseconds (default 5000).
   * @returns the attached block.
   * @throws TimeoutError when no thread of this process announced the name in time.
   * @example
   * ```ts
   * import { SharedMemory } from '@multiproc/shared';
   * const block = new SharedMemory({ name: 'attach-example', create: true, size: 8 });
   * const same = await SharedMemory.attach('attach-example');
   * console.log(same.size); // 8
   * block.unlink();
   * ```
   */
  static async attach(name: string, options: { timeout?: number } = {}): Promise<SharedMemory> {
    const timeout = options.timeout ?? 5_000;
    const bus = channel();
    if (!registry.blocks.has(name)) {
      await new Promise<void>((resolve, reject) => {
        let waiting = registry.waiters.get(name);
        if (!waiting) registry.waiters.set(name, (waiting = new Set()));
        const set = waiting;
        const done = (): void => {
          clearTimeout(timer);
          set.delete(done);
          if (set.size === 0) registry.waiters.delete(name);
          resolve();
        };
        const timer = setTimeout(() => {
          set.delete(done);
          if (set.size === 0) registry.waiters.delete(name);
          reject(new TimeoutError(`no thread of this process announced a shared memory block named ${JSON.stringify(name)} within ${timeout} ms`));
        }, timeout);
        set.add(done);
        bus.ref();
        bus.postMessage({ type: 'lookup', name } satisfies Announcement);
      }).finally(() => {
        if (registry.waiters.size === 0) bus.unref();
      });
    }
    return new SharedMemory({ name });
  }

  /** The block's name. */
  get name(): string {
    return this.#source.name;
  }

  /** The size in bytes. */
  get size(): number {
    return this.#source.kind === 'local' ? this.#source.buffer.byteLength : this.#source.size;
  }

  /**
   * The memory as bytes: a `Uint8Array` over the SharedArrayBuffer, seen by every thread.
   * @throws InvalidStateError after `close()`.
   * @throws UnsupportedError in a child process, where memory is not shared: use `read`/`write`.
   */
  get buf(): Uint8Array {
    this.#checkOpen();
    if (this.#source.kind !== 'local') {
      throw new UnsupportedError('buf needs shared memory, and this SharedMemory is a proxy to its owner in another process; use read() and write() instead');
    }
    return new Uint8Array(this.#source.buffer);
  }

  /**
   * Copies bytes out of the block.
   *
   * @param offset - where to start (default 0).
   * @param length - how many bytes (default: to the end).
   * @returns a copy.
   * @throws InvalidArgumentError for a range outside the block.
   */
  read(offset = 0, length?: number): Uint8Array {
    this.#checkOpen();
    const end = this.#range(offset, length);
    if (this.#source.kind === 'local') return new Uint8Array(this.#source.buffer).slice(offset, end);
    return this.#source.remote.callSync(this.#source.id, 'read', [offset, end - offset]) as Uint8Array;
  }

  /**
   * Copies bytes into the block.
   *
   * @param data - the bytes.
   * @param offset - where to write them (default 0).
   * @throws InvalidArgumentError when they do not fit.
   */
  write(data: Uint8Array | ArrayLike<number>, offset = 0): void {
    this.#checkOpen();
    const bytes = data instanceof Uint8Array ? data : Uint8Array.from(data);
    this.#range(offset, bytes.length);
    if (this.#source.kind === 'local') new Uint8Array(this.#source.buffer).set(bytes, offset);
    else this.#source.remote.callSync(this.#source.id, 'write', [bytes, offset]);
  }

  /** Closes this handle (later access throws); the block lives on for other handles. */
  close(): void {
    this.#closed = true;
  }

  /**
   * Removes the name, so that attaching to it fails from now on (in every thread of this process); handles
   * that exist keep working, as with Python's `unlink()`.
   */
  unlink(): void {
    if (this.#source.kind === 'proxy') {
      this.#source.remote.callSync(this.#source.id, 'unlink', []);
      return;
    }
    unlinkName(this.#source.name);
  }

  #checkOpen(): void {
    if (this.#closed) throw new InvalidStateError(`the SharedMemory handle ${JSON.stringify(this.name)} is closed`);
  }

  #range(offset: number, length: number | undefined): number {
    const size = this.size;
    const count = length ?? size - offset;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(count) || count < 0 || offset + count > size) {
      throw new InvalidArgumentError(`the range [${offset}, ${offset + count}) is outside the ${size}-byte block ${JSON.stringify(this.name)}`);
    }
    return offset + count;
  }

  /** @internal The SharedArrayBuffer of a local block. */
  get sharedBuffer(): SharedArrayBuffer | undefined {
    return this.#source.kind === 'local' ? this.#source.buffer : undefined;
  }

  /** @internal Describes the block for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    const base = { reviver: import.meta.url, name: 'reviveSharedMemory' };
    const source = this.#source;
    if (source.kind === 'proxy') {
      this.#served ??= { call: (method, args) => source.remote.call(source.id, method, args) };
      return { ...base, data: { kind: 'remote', id: context.serve(this.#served), name: source.name, size: source.size } };
    }
    if (context.capabilities.sharedMemory) return { ...base, data: { kind: 'shared', name: source.name, buffer: source.buffer } };
    const buffer = source.buffer;
    this.#served ??= {
      call(method, args) {
        const bytes = new Uint8Array(buffer);
        switch (method) {
          case 'read':
            return bytes.slice(args[0] as number, (args[0] as number) + (args[1] as number));
          case 'write':
            return void bytes.set(args[0] as Uint8Array, args[1] as number);
          case 'unlink':
            return unlinkName(source.name);
          default:
            throw new UnsupportedError(`SharedMemory has no method ${method}`);
        }
      },
    };
    return { ...base, data: { kind: 'remote', id: context.serve(this.#served), name: source.name, size: buffer.byteLength } };
  }
}

function unlinkName(name: string): void {
  if (!registry.blocks.delete(name)) return;
  publish();
  channel().postMessage({ type: 'unlink', name } satisfies Announcement);
}

function reviveSharedMemory(data: unknown, context: ReviveContext): SharedMemory {
  const received = data as { kind: 'shared'; name: string; buffer: SharedArrayBuffer } | { kind: 'remote'; id: number; name: string; size: number };
  if (received.kind === 'shared') {
    channel();
    if (!registry.blocks.has(received.name)) registry.blocks.set(received.name, received.buffer);
    return new SharedMemory({}, { kind: 'local', name: received.name, buffer: received.buffer });
  }
  if (!context.remote) throw new UnsupportedError('this SharedMemory was sent as a proxy but arrived without a connection to its owner');
  return new SharedMemory({}, { kind: 'proxy', name: received.name, size: received.size, remote: context.remote, id: received.id });
}

registerReviver(import.meta.url, 'reviveSharedMemory', reviveSharedMemory);
