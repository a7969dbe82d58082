/**
 * The storage behind `RawValue`, `Value`, `RawArray` and `SharedArray`: `length` elements of one typecode,
 * either in a SharedArrayBuffer of this thread (shared with other threads: the descriptor carries the
 * buffer), or behind a proxy to the owner (child processes: every access is a call, the synchronous ones
 * through the transport's `callSync`). Integer elements are read and written with Atomics, so a single
 * access is never torn.
 */
import {
  InvalidArgumentError,
  UnsupportedError,
  type RemoteObjects,
  type ReviveContext,
  type ServedObject,
  type ShareContext,
  type ShareDescriptor,
} from '@multiproc/transport';
import { checkElement, readElement, typecodeInfo, writeElement, type Typecode, type TypecodeInfo, type TypedView } from '../typecodes.js';

/** The descriptor data of cells. */
export type CellsData =
  | { kind: 'shared'; buffer: SharedArrayBuffer; typecode: Typecode; length: number; extra: unknown }
  | { kind: 'remote'; id: number; typecode: Typecode; length: number; extra: unknown };

/** Elements of one typecode, local or proxied. */
export class Cells {
  readonly typecode: Typecode;
  readonly type: TypecodeInfo;
  readonly length: number;
  readonly #view: TypedView | undefined;
  /** The view again when it is an Int32Array (typecode `'i'`, the usual Value): `.value`'s fast path. */
  readonly #int32: Int32Array | undefined;
  readonly #remote: { remote: RemoteObjects; id: number } | undefined;
  #served: ServedObject | undefined;

  constructor(typecode: Typecode, length: number, source: { buffer: SharedArrayBuffer } | { remote: RemoteObjects; id: number } | undefined) {
    this.typecode = typecode;
    this.type = typecodeInfo(typecode);
    this.length = length;
    if (source !== undefined && 'remote' in source) {
      this.#remote = source;
    } else {
      const buffer = source?.buffer ?? new SharedArrayBuffer(Math.max(length, 1) * this.type.bytes);
      this.#view = this.type.view(buffer, 0, length);
      if (this.#view instanceof Int32Array) this.#int32 = this.#view;
    }
  }

  /** Ties `proxy`'s lifetime to the served object (the owner lets it go once the proxy is collected). */
  hold(proxy: object): void {
    if (this.#remote !== undefined) this.#remote.remote.hold(this.#remote.id, proxy);
  }

  /** Whether the elements are in this thread's memory (not a proxy). */
  get local(): boolean {
    return this.#view !== undefined;
  }

  /** The typed array over the shared memory. */
  view(what: string): TypedView {
    if (this.#view === undefined) {
      throw new UnsupportedError(
        `${what} needs shared memory, and this object is a proxy to its owner in another process; use get() and set() (or .value) instead`,
      );
    }
    return this.#view;
  }

  index(index: unknown): number {
    if (typeof index !== 'number' || !Number.isInteger(index)) {
      throw new InvalidArgumentError(`index must be an integer, got ${String(index)}`);
    }
    const at = index < 0 ? index + this.length : index;
    if (at < 0 || at >= this.length) throw new InvalidArgumentError(`index ${index} is out of range for length ${this.length}`);
    return at;
  }

  get(index: number): number | bigint {
    const at = this.index(index);
    if (this.#view !== undefined) return readElement(this.type, this.#view, at);
    const { remote, id } = this.#remote as { remote: RemoteObjects; id: number };
    return remote.callSync(id, 'get', [at]) as number | bigint;
  }

  set(index: number, value: unknown): void {
    const at = this.index(index);
    const checked = checkElement(this.type, value, 'the value');
    if (this.#view !== undefined) {
      writeElement(this.type, this.#view, at, checked);
      return;
    }
    const { remote, id } = this.#remote as { remote: RemoteObjects; id: number };
    remote.callSync(id, 'set', [at, checked]);
  }

  /** The first element (`.value` of a RawValue or Value): {@link get} without the index check. */
  first(): number | bigint {
    const int32 = this.#int32;
    if (int32 !== undefined) return Atomics.load(int32, 0);
    const view = this.#view;
    if (view !== undefined) return readElement(this.type, view, 0);
    const { remote, id } = this.#remote as { remote: RemoteObjects; id: number };
    return remote.callSync(id, 'get', [0]) as number | bigint;
  }

  /** Sets the first element: {@link set} without the index check. */
  setFirst(value: unknown): void {
    // Small on purpose (inlined into the caller's loop); `(value | 0) === value` holds for int32 numbers only.
    const int32 = this.#int32;
    if (int32 !== undefined && typeof value === 'number' && (value | 0) === value) {
      int32[0] = value; // a plain store: see writeElement
      return;
    }
    const checked = checkElement(this.type, value, 'the value');
    const view = this.#view;
    if (view !== undefined) {
      writeElement(this.type, view, 0, checked);
      return;
    }
    const { remote, id } = this.#remote as { remote: RemoteObjects; id: number };
    remote.callSync(id, 'set', [0, checked]);
  }

  toArray(): Array<number | bigint> {
    if (this.#view !== undefined) {
      const out: Array<number | bigint> = new Array<number | bigint>(this.length);
      for (let i = 0; i < this.length; i++) out[i] = readElement(this.type, this.#view, i);
      return out;
    }
    const { remote, id } = this.#remote as { remote: RemoteObjects; id: number };
    return remote.callSync(id, 'toArray', []) as Array<number | bigint>;
  }

  /** Describes the cells (with `extra`, e.g. the lock) for a trip. */
  describe(context: ShareContext, reviver: string, name: string, extra: unknown): ShareDescriptor {
    const common = { typecode: this.typecode, length: this.length, extra };
    if (this.#remote !== undefined) {
      const upstream = this.#remote;
      this.#served ??= { call: (method, args) => upstream.remote.call(upstream.id, method, args) };
      return { reviver, name, data: { kind: 'remote', id: context.serve(this.#served), ...common } satisfies CellsData };
    }
    const view = this.#view as TypedView;
    if (context.capabilities.sharedMemory) {
      return { reviver, name, data: { kind: 'shared', buffer: view.buffer as SharedArrayBuffer, ...common } satisfies CellsData };
    }
    this.#served ??= {
      call: (method, args) => {
        switch (method) {
          case 'get':
            return this.get(args[0] as number);
          case 'set':
            return this.set(args[0] as number, args[1]);
          case 'toArray':
            return this.toArray();
          default:
            throw new UnsupportedError(`no method ${method}`);
        }
      },
    };
    return { reviver, name, data: { kind: 'remote', id: context.serve(this.#served), ...common } satisfies CellsData };
  }
}

/** Rebuilds cells from descriptor data. */
export function reviveCells(data: unknown, context: ReviveContext, what: string): { cells: Cells; extra: unknown } {
  const received = data as CellsData;
  if (received.kind === 'shared') {
    return { cells: new Cells(received.typecode, received.length, { buffer: received.buffer }), extra: received.extra };
  }
  if (!context.remote) throw new UnsupportedError(`this ${what} was sent as a proxy but arrived without a connection to its owner`);
  const cells = new Cells(received.typecode, received.length, { remote: context.remote, id: received.id });
  return { cells, extra: received.extra };
}
