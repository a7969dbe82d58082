/**
 * `ShareableList`: a fixed-length list of small values in one {@link SharedMemory} block, as Python's
 * `multiprocessing.shared_memory.ShareableList`.
 *
 * Layout of the block (all threads read the same bytes):
 *
 * ```
 * Int32 header: [magic, length, then per item: tag, byte offset, capacity, used bytes]
 * data: each item's bytes at its offset, 8-byte aligned; capacity fixed at creation
 * tags: 0 null, 1 number (float64), 2 bigint (int64), 3 boolean, 4 string (UTF-8), 5 bytes
 * ```
 *
 * As in Python, each slot keeps the size it was created with: a string or bytes value may be replaced by
 * one that fits (numbers, booleans and null take 8 bytes), and a longer one throws.
 *
 * @packageDocumentation
 */
import {
  describeShareable,
  InvalidArgumentError,
  registerReviver,
  UnsupportedError,
  type RemoteObjects,
  type ReviveContext,
  type ServedObject,
  type ShareContext,
  type ShareDescriptor,
} from '@multiproc/transport';
import { SharedMemory } from './shared-memory.js';

const MAGIC = 0x534c5354;
const NULL = 0;
const NUMBER = 1;
const BIGINT = 2;
const BOOLEAN = 3;
const STRING = 4;
const BYTES = 5;

/**
 * What a {@link ShareableList} holds: numbers, bigints (64-bit), booleans, strings, bytes (`Uint8Array`) and
 * `null`, as Python's `int`, `float`, `bool`, `str`, `bytes` and `None`.
 *
 * @example
 * ```ts
 * import { ShareableList, type ShareableItem } from '@multiproc/shared';
 * const items: ShareableItem[] = [1.5, 2n ** 40n, true, 'name', new Uint8Array([1, 2]), null];
 * const list = new ShareableList(items);
 * const first: ShareableItem = list.get(0);
 * console.log(first, list.length); // 1.5 6
 * list.shm.unlink();
 * ```
 */
export type ShareableItem = number | bigint | boolean | string | Uint8Array | null;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function align8(n: number): number {
  return Math.max(8, Math.ceil(n / 8) * 8);
}

function encode(value: unknown, what: string): { tag: number; bytes: Uint8Array } {
  const out = new Uint8Array(8);
  const data = new DataView(out.buffer);
  if (value === null || value === undefined) return { tag: NULL, bytes: out.subarray(0, 0) };
  switch (typeof value) {
    case 'number':
      data.setFloat64(0, value, true);
      return { tag: NUMBER, bytes: out };
    case 'bigint':
      if (value < -(2n ** 63n) || value >= 2n ** 63n) throw new InvalidArgumentError(`${what}: ${value} does not fit in 64 bits`);
      data.setBigInt64(0, value, true);
      return { tag: BIGINT, bytes: out };
    case 'boolean':
      out[0] = value ? 1 : 0;
      return { tag: BOOLEAN, bytes: out.subarray(0, 1) };
    case 'string':
      return { tag: STRING, bytes: encoder.encode(value) };
    default:
      if (value instanceof Uint8Array) return { tag: BYTES, bytes: value };
      throw new InvalidArgumentError(`${what}: a ShareableList holds numbers, bigints, booleans, strings, Uint8Arrays and null, got ${Object.prototype.toString.call(value)}`);
  }
}

/**
 * A fixed-length list of numbers, bigints, booleans, strings, bytes (`Uint8Array`) and `null` in shared
 * memory, as Python's `ShareableList(sequence)` / `ShareableList(name=...)`. `get`/`set` (negative indices
 * count from the end), `length`, iteration, `count`, `indexOf`, and `shm`, the {@link SharedMemory} block
 * underneath. Each slot keeps its creation size: a string or bytes that does not fit throws. There is no
 * lock, as in Python. Pass it to a worker thread (shared memory) or a child process (a proxy: each access a
 * blocking call to the owner; `shm` unavailable).
 *
 * @example
 * ```ts
 * import { ShareableList } from '@multiproc/shared';
 * const list = new ShareableList(['howdy', 42, 3.5, true, null, 7n]);
 * list.set(0, 'hi'); // fits in the 8 bytes 'howdy' was given
 * console.log(list.get(0), list.length); // hi 6
 * const same = new ShareableList({ name: list.shm.name }); // attach by name
 * console.log(same.get(1)); // 42
 * list.shm.unlink();
 * ```
 * @see https://multiproc.dev/guide/shared
 */
export class ShareableList implements Iterable<ShareableItem> {
  readonly #shm: SharedMemory | undefined;
  readonly #header: Int32Array | undefined;
  readonly #bytes: Uint8Array | undefined;
  readonly #remote: { remote: RemoteObjects; id: number; length: number } | undefined;
  #served: ServedObject | undefined;

  /**
   * @param source - the initial items (their sizes fix each slot's capacity), or `{ name }` to attach to
   * the block of an existing list.
   * @throws InvalidArgumentError for an item of another type.
   * @throws {@link SharedMemoryNotFoundError} when attaching to an unknown name.
   */
  constructor(source: Iterable<ShareableItem> | { name: string });
  /** @internal */
  constructor(source: unknown, proxy: { remote: RemoteObjects; id: number; length: number });
  constructor(source: Iterable<ShareableItem> | { name: string } | SharedMemory, proxy?: { remote: RemoteObjects; id: number; length: number }) {
    if (proxy !== undefined) {
      this.#remote = proxy;
      proxy.remote.hold(proxy.id, this);
      return;
    }
    let shm: SharedMemory;
    if (source instanceof SharedMemory) {
      shm = source;
    } else if (source !== null && typeof source === 'object' && typeof (source as Iterable<unknown>)[Symbol.iterator] === 'function') {
      const items = [...(source as Iterable<unknown>)].map((item, i) => encode(item, `item ${i}`));
      const headerBytes = align8((2 + 4 * items.length) * 4);
      let size = headerBytes;
      for (const { bytes } of items) size += align8(bytes.length);
      shm = new SharedMemory({ create: true, size });
      const header = new Int32Array(shm.sharedBuffer as SharedArrayBuffer, 0, 2 + 4 * items.length);
      const data = shm.buf;
      header[1] = items.length;
      let offset = headerBytes;
      items.forEach(({ tag, bytes }, i) => {
        header.set([tag, offset, align8(bytes.length), bytes.length], 2 + 4 * i);
        data.set(bytes, offset);
        offset += align8(bytes.length);
      });
      Atomics.store(header, 0, MAGIC);
    } else if (source !== null && typeof source === 'object' && typeof (source as { name?: unknown }).name === 'string') {
      shm = new SharedMemory({ name: (source as { name: string }).name });
    } else {
      throw new InvalidArgumentError('ShareableList: pass an iterable of items, or { name } to attach to an existing list');
    }
    const buffer = shm.sharedBuffer as SharedArrayBuffer;
    const head = new Int32Array(buffer, 0, 2);
    if (Atomics.load(head, 0) !== MAGIC) {
      throw new InvalidArgumentError(`the shared memory block ${JSON.stringify(shm.name)} does not hold a ShareableList`);
    }
    this.#shm = shm;
    this.#header = new Int32Array(buffer, 0, 2 + 4 * head[1]!);
    this.#bytes = new Uint8Array(buffer);
  }

  /** The number of items (fixed). */
  get length(): number {
    return this.#header !== undefined ? this.#header[1]! : (this.#remote as { length: number }).length;
  }

  /**
   * The shared memory block holding the list (its `name` attaches other lists to it).
   * @throws UnsupportedError in a child process, where the list is a proxy.
   */
  get shm(): SharedMemory {
    if (this.#shm === undefined) {
      throw new UnsupportedError('shm needs shared memory, and this ShareableList is a proxy to its owner in another process; use get() and set()');
    }
    return this.#shm;
  }

  #index(index: unknown): number {
    if (typeof index !== 'number' || !Number.isInteger(index)) throw new InvalidArgumentError(`index must be an integer, got ${String(index)}`);
    const at = index < 0 ? index + this.length : index;
    if (at < 0 || at >= this.length) throw new InvalidArgumentError(`index ${index} is out of range for length ${this.length}`);
    return at;
  }

  /**
   * Reads an item.
   *
   * @param index - the index; negative counts from the end.
   * @returns the item (bytes as a copied `Uint8Array`).
   * @throws InvalidArgumentError for an index out of range.
   */
  get(index: number): ShareableItem {
    const at = this.#index(index);
    if (this.#remote !== undefined) return this.#remote.remote.callSync(this.#remote.id, 'get', [at]) as ShareableItem;
    const header = this.#header as Int32Array;
    const base = 2 + 4 * at;
    const tag = header[base]!;
    const offset = header[base + 1]!;
    const used = header[base + 3]!;
    const bytes = this.#bytes as Uint8Array;
    const view = new DataView(bytes.buffer, offset, 8);
    switch (tag) {
      case NUMBER:
        return view.getFloat64(0, true);
      case BIGINT:
        return view.getBigInt64(0, true);
      case BOOLEAN:
        return bytes[offset] === 1;
      case STRING:
        return decoder.decode(bytes.slice(offset, offset + used));
      case BYTES:
        return bytes.slice(offset, offset + used);
      default:
        return null;
    }
  }

  /**
   * Replaces an item. Any type may replace any other if its bytes fit the slot (8 bytes for numbers,
   * bigints, booleans and null; the creation length, rounded up to 8, for strings and bytes).
   *
   * @param index - the index; negative counts from the end.
   * @param value - the new item.
   * @throws InvalidArgumentError for an index out of range, a value of another type, or one too long for the slot.
   */
  set(index: number, value: ShareableItem): void {
    const at = this.#index(index);
    const { tag, bytes } = encode(value, `item ${at}`);
    if (this.#remote !== undefined) {
      this.#remote.remote.callSync(this.#remote.id, 'set', [at, value]);
      return;
    }
    const header = this.#header as Int32Array;
    const base = 2 + 4 * at;
    const capacity = header[base + 2]!;
    if (bytes.length > capacity) {
      throw new InvalidArgumentError(`item ${at} has room for ${capacity} bytes, and the new value needs ${bytes.length}; a ShareableList slot keeps the size it was created with`);
    }
    (this.#bytes as Uint8Array).set(bytes, header[base + 1]!);
    header[base + 3] = bytes.length;
    header[base] = tag;
  }

  /**
   * A copy of the items as a plain array (one call for a proxy).
   *
   * @returns the items.
   */
  toArray(): ShareableItem[] {
    if (this.#remote !== undefined) return this.#remote.remote.callSync(this.#remote.id, 'toArray', []) as ShareableItem[];
    return Array.from({ length: this.length }, (_, i) => this.get(i));
  }

  /**
   * How many items equal `value` (bytes compared by content), as Python's `count`.
   *
   * @param value - the item to count.
   * @returns the count.
   */
  count(value: ShareableItem): number {
    return this.toArray().filter((item) => same(item, value)).length;
  }

  /**
   * The index of the first item equal to `value`, or -1 (Python's `index` raises instead).
   *
   * @param value - the item to find.
   * @returns its index, or -1.
   */
  indexOf(value: ShareableItem): number {
    return this.toArray().findIndex((item) => same(item, value));
  }

  /** Iterates over a snapshot of the items. */
  [Symbol.iterator](): Iterator<ShareableItem> {
    return this.toArray()[Symbol.iterator]();
  }

  /** @internal Describes the list for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    const base = { reviver: import.meta.url, name: 'reviveShareableList' };
    if (this.#remote !== undefined) {
      const upstream = this.#remote;
      this.#served ??= { call: (method, args) => upstream.remote.call(upstream.id, method, args) };
      return { ...base, data: { kind: 'remote', id: context.serve(this.#served), length: upstream.length } };
    }
    if (context.capabilities.sharedMemory) return { ...base, data: { kind: 'shared', shm: this.#shm } };
    this.#served ??= {
      call: (method, args) => {
        switch (method) {
          case 'get':
            return this.get(args[0] as number);
          case 'set':
            return this.set(args[0] as number, args[1] as ShareableItem);
          case 'toArray':
            return this.toArray();
          default:
            throw new UnsupportedError(`ShareableList has no method ${method}`);
        }
      },
    };
    return { ...base, data: { kind: 'remote', id: context.serve(this.#served), length: this.length } };
  }
}

function same(a: ShareableItem, b: ShareableItem): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((byte, i) => byte === b[i]);
  return a === b;
}

function reviveShareableList(data: unknown, context: ReviveContext): ShareableList {
  const received = data as { kind: 'shared'; shm: SharedMemory } | { kind: 'remote'; id: number; length: number };
  if (received.kind === 'shared') return new ShareableList(received.shm as unknown as Iterable<ShareableItem>);
  if (!context.remote) throw new UnsupportedError('this ShareableList was sent as a proxy but arrived without a connection to its owner');
  return new ShareableList(undefined, { remote: context.remote, id: received.id, length: received.length });
}

registerReviver(import.meta.url, 'reviveShareableList', reviveShareableList);
