/**
 * The codec: what happens to a value before it crosses a boundary and after it arrives. Structured
 * clone does most of the work; the codec adds three things to it:
 *
 * 1. Errors keep their class name, message, stack, `cause` chain, AggregateError members and own
 *    enumerable properties (structured clone keeps only some of that).
 * 2. A value that cannot be cloned (a plain function, a symbol, a WeakMap) is refused at the sender
 *    with a {@link NotCloneableError} naming its path, e.g. `args[1].callback`.
 * 3. Shareable handles (a Queue, a Lock, a task reference...) turn themselves into descriptors and
 *    are revived on the other side by a reviver module named by its own URL (see {@link Shareable}).
 *
 * Values with nothing special in them pass through untouched (no copy), and {@link encode} reports
 * whether anything was rewritten, so the receiver only walks what needs reviving. Cycles are kept,
 * also when they run through a rewritten value (an error whose cause leads back to it): such a value
 * is walked a second time, keeping every reference.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, lookupErrorClass, NotCloneableError } from './errors.js';
import type { TransportCapabilities } from './transport.js';

/**
 * The property that marks an object rewritten by the codec (a serialized error, a handle descriptor).
 * A plain object of yours that happens to have this key is escaped on the way out and restored on the
 * way in, so it never confuses {@link decode}.
 *
 * @example
 * ```ts
 * import { CODEC_TAG, encode } from '@multiproc/transport';
 * const { value } = encode(new Error('boom'));
 * console.log((value as Record<string, unknown>)[CODEC_TAG]); // 'error'
 * ```
 */
export const CODEC_TAG = '__multiproc$';

/**
 * The method a shareable handle implements to describe itself for the trip (a `Symbol.for` key, so two
 * installs of this package agree on it). See {@link Shareable} for a whole handle.
 *
 * @example
 * ```ts
 * import { describeShareable, type ShareContext, type ShareDescriptor } from '@multiproc/transport';
 * class Token {
 *   constructor(readonly id: string) {}
 *   [describeShareable](_context: ShareContext): ShareDescriptor {
 *     return { reviver: import.meta.url, name: 'reviveToken', data: this.id };
 *   }
 * }
 * export const reviveToken = (data: unknown): Token => new Token(data as string);
 * ```
 */
export const describeShareable: unique symbol = Symbol.for('multiproc.shareable.describe') as never;

/**
 * What a shareable handle turns into to cross a boundary. The receiver imports `reviver` (a module URL,
 * taken from that module's own `import.meta.url` so it resolves under any package layout) and calls
 * its export `name` with `data`.
 *
 * @example
 * ```ts
 * import type { ShareDescriptor } from '@multiproc/transport';
 * // What a handle backed by shared memory might return from its describeShareable method:
 * const descriptor: ShareDescriptor = {
 *   reviver: import.meta.url, // this module exports `reviveCounter`
 *   name: 'reviveCounter',
 *   data: new SharedArrayBuffer(4),
 * };
 * ```
 */
export interface ShareDescriptor {
  /** URL of the module that exports the reviver function. */
  readonly reviver: string;
  /** Name of the reviver export. */
  readonly name: string;
  /** Cloneable data the reviver needs (a SharedArrayBuffer over shared memory, a served object id otherwise). */
  readonly data: unknown;
}

/**
 * An object served to the other side of a connection (Manager-style): the proxy revived there sends
 * method calls that arrive here. Passed to {@link ShareContext.serve} by a handle crossing a link
 * without shared memory.
 *
 * @example
 * ```ts
 * import type { ServedObject } from '@multiproc/transport';
 * let count = 0;
 * const served: ServedObject = {
 *   call(method, args) {
 *     if (method === 'add') return (count += args[0] as number);
 *     throw new TypeError(`no method ${method}`);
 *   },
 *   release() {
 *     console.log('no proxy left');
 *   },
 * };
 * ```
 */
export interface ServedObject {
  /** Runs one call from a proxy. May return a promise. */
  call(method: string, args: readonly unknown[]): unknown;
  /** Called when no proxy of this object is left on the connection (or the connection closed). */
  release?(): void;
}

/**
 * What a shareable handle learns about the trip it is about to make: whether the link shares memory
 * (then it sends its buffer) and, if not, how to serve itself to the other side.
 *
 * @example
 * ```ts
 * import { describeShareable, type ShareContext, type ShareDescriptor } from '@multiproc/transport';
 * class Counter {
 *   readonly cells = new Int32Array(new SharedArrayBuffer(4));
 *   [describeShareable](context: ShareContext): ShareDescriptor {
 *     if (context.capabilities.sharedMemory) {
 *       return { reviver: import.meta.url, name: 'reviveCounter', data: { buffer: this.cells.buffer } };
 *     }
 *     const id = context.serve({ call: (method) => (method === 'get' ? Atomics.load(this.cells, 0) : undefined) });
 *     return { reviver: import.meta.url, name: 'reviveCounter', data: { id } };
 *   }
 * }
 * ```
 */
export interface ShareContext {
  /** The capabilities of the transport it will cross. */
  readonly capabilities: TransportCapabilities;
  /** Where the handle sits in the message, for error messages. */
  readonly path: string;
  /**
   * Serves `target` over this connection and returns its id, to put in the descriptor. The owner keeps
   * it alive while any proxy of it lives on the other side.
   * @throws {@link InvalidArgumentError} when the value is encoded without a connection.
   */
  serve(target: ServedObject): number;
}

/**
 * What a reviver is given, beside the descriptor data: the capabilities of the link the handle came
 * through and, on a connection, the {@link RemoteObjects} its proxy calls the owner through.
 *
 * @example
 * ```ts
 * import type { ReviveContext } from '@multiproc/transport';
 * export function reviveCounter(data: unknown, context: ReviveContext): unknown {
 *   const { buffer, id } = data as { buffer?: SharedArrayBuffer; id?: number };
 *   if (buffer) return new Int32Array(buffer); // same memory as the sender's
 *   const remote = context.remote;
 *   if (!remote || id === undefined) throw new TypeError('a served counter needs a connection');
 *   return { get: () => remote.call(id, 'get', []) };
 * }
 * ```
 */
export interface ReviveContext {
  /** The capabilities of the transport the handle came through. */
  readonly capabilities: TransportCapabilities;
  /**
   * Calls a method of an object served by the sender. `undefined` when decoding without a connection.
   */
  readonly remote: RemoteObjects | undefined;
}

/**
 * The proxy side of served objects: how a revived proxy reaches its owner. Found in
 * {@link ReviveContext.remote}.
 *
 * @example
 * ```ts
 * import type { RemoteObjects } from '@multiproc/transport';
 * function makeProxy(remote: RemoteObjects, id: number) {
 *   const proxy = {
 *     add: (n: number) => remote.call(id, 'add', [n]) as Promise<number>,
 *     addSync: (n: number) => remote.callSync(id, 'add', [n]) as number, // blocks; for workers
 *   };
 *   remote.hold(id, proxy); // the owner releases the object once this proxy is collected
 *   return proxy;
 * }
 * ```
 */
export interface RemoteObjects {
  /** Calls `method` on the served object `id` and resolves with its result. */
  call(id: number, method: string, args: readonly unknown[]): Promise<unknown>;
  /**
   * Calls `method` on the served object `id`, blocking this thread until the result arrives (a helper
   * thread makes the call while this one waits on `Atomics.wait`). For the `...Sync` members of proxies.
   * @throws the owner's error; UnsupportedError where the thread cannot block or the owner is unreachable.
   */
  callSync(id: number, method: string, args: readonly unknown[]): unknown;
  /** Tells the owner that `proxy` stands for `id`; when it is garbage collected, the owner is told. */
  hold(id: number, proxy: object): void;
}

/**
 * A reviver function, exported by a reviver module (the module a {@link ShareDescriptor} names) or
 * registered with {@link registerReviver}. It turns descriptor `data` back into a live handle.
 *
 * @example
 * ```ts
 * import { registerReviver, type Reviver } from '@multiproc/transport';
 * export const reviveFlag: Reviver = (data) => new Int32Array(data as SharedArrayBuffer);
 * registerReviver(import.meta.url, 'reviveFlag', reviveFlag);
 * ```
 */
export type Reviver = (data: unknown, context: ReviveContext) => unknown;

/**
 * A value that can travel between threads and processes as a live handle: it describes itself for
 * the trip and is revived on the other side.
 *
 * @example
 * ```ts
 * import { describeShareable, type Shareable, type ShareContext, type ShareDescriptor } from '@multiproc/transport';
 * class Flag implements Shareable {
 *   constructor(readonly buffer = new SharedArrayBuffer(4)) {}
 *   [describeShareable](context: ShareContext): ShareDescriptor {
 *     // Over shared memory, send the buffer itself; a real class would serve itself otherwise.
 *     return { reviver: import.meta.url, name: 'reviveFlag', data: this.buffer };
 *   }
 * }
 * export function reviveFlag(data: unknown): Flag {
 *   return new Flag(data as SharedArrayBuffer);
 * }
 * ```
 */
export interface Shareable {
  /** Describes this handle for a trip over a transport with the given context. */
  [describeShareable](context: ShareContext): ShareDescriptor;
}

/**
 * Options of {@link encode}.
 *
 * @example
 * ```ts
 * import { encode, NotCloneableError, type EncodeOptions } from '@multiproc/transport';
 * const options: EncodeOptions = { path: 'args' };
 * try {
 *   encode([1, { callback: () => {} }], options);
 * } catch (error) {
 *   if (error instanceof NotCloneableError) console.log(error.message); // names args[1].callback
 * }
 * ```
 */
export interface EncodeOptions {
  /** The name of the root value in error messages, e.g. `'args'`. Default `'value'`. */
  path?: string;
  /** The connection the value will cross; needed for shareable handles. */
  share?: Omit<ShareContext, 'path'>;
}

/**
 * The result of {@link encode}.
 *
 * @example
 * ```ts
 * import { encode, decode, type Encoded } from '@multiproc/transport';
 * const plain: Encoded = encode({ n: 1 });
 * console.log(plain.special); // false: send plain.value as is, no decode needed
 * const withError: Encoded = encode({ error: new Error('x') });
 * const received = decode(structuredClone(withError.value)); // special was true
 * ```
 */
export interface Encoded {
  /** The value to send. The same object as the input when nothing needed rewriting. */
  readonly value: unknown;
  /** Whether anything was rewritten, so the receiver must {@link decode}. */
  readonly special: boolean;
}

/**
 * Options of {@link decode} and {@link decodeAsync}.
 *
 * @example
 * ```ts
 * import { createMemoryTransportPair, decode, encode, type DecodeOptions } from '@multiproc/transport';
 * const [a] = createMemoryTransportPair();
 * const options: DecodeOptions = { context: { capabilities: a.capabilities, remote: undefined } };
 * const value = decode(structuredClone(encode(new Error('x')).value), options);
 * ```
 */
export interface DecodeOptions {
  /** The connection the value came through; gives revivers their {@link ReviveContext}. */
  context?: ReviveContext;
}

/** The serialized form of an error. */
interface SerializedError {
  [CODEC_TAG]: 'error';
  name: string;
  message: string;
  stack: string | undefined;
  multiproc: boolean;
  cause?: unknown;
  hasCause: boolean;
  errors?: unknown;
  props: Record<string, unknown>;
}

const ERROR_MARKER = Symbol.for('multiproc.error');
const PASS_THROUGH: Array<abstract new (...args: never[]) => unknown> = [
  Date,
  RegExp,
  ArrayBuffer,
  Boolean,
  Number,
  String,
];
if (typeof SharedArrayBuffer === 'function') PASS_THROUGH.push(SharedArrayBuffer);
if (typeof Blob === 'function') PASS_THROUGH.push(Blob);
const NOT_CLONEABLE: Array<[abstract new (...args: never[]) => unknown, string]> = [
  [WeakMap, 'a WeakMap'],
  [WeakSet, 'a WeakSet'],
  [WeakRef, 'a WeakRef'],
  [Promise, 'a Promise (await it first)'],
];

interface EncodeState {
  special: boolean;
  /** The objects being walked (ancestors of the current value), to stop at cycles. */
  stack: object[];
  share: Omit<ShareContext, 'path'> | undefined;
  lenient: number;
  /** A cycle was met. With something rewritten too, the value is encoded again by {@link walkGraph}. */
  cyclic: boolean;
  /** Descriptors of the shareable handles met, so a second pass does not describe (serve) them again. */
  described: Map<object, unknown> | undefined;
  /** Set for the second pass: every object's output, so shared references and cycles keep their shape. */
  graph: Map<object, unknown> | undefined;
}

function newState(share: Omit<ShareContext, 'path'> | undefined, lenient: number): EncodeState {
  return { special: false, stack: [], share, lenient, cyclic: false, described: undefined, graph: undefined };
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describeBad(value: unknown): string {
  if (typeof value === 'function') {
    return value.name ? `a function (${value.name})` : 'a function';
  }
  if (typeof value === 'symbol') return `a symbol (${String(value)})`;
  return 'a value that cannot be cloned';
}

function bad(path: string, what: string, state: EncodeState): unknown {
  if (state.lenient > 0) return `[not cloneable: ${what}]`;
  throw new NotCloneableError(path, what);
}

function describe(value: Shareable, path: string, state: EncodeState): unknown {
  const known = state.described?.get(value);
  if (known !== undefined) return known;
  const share = state.share;
  const context: ShareContext = {
    capabilities: share?.capabilities ?? { sharedMemory: true, transfer: true },
    path,
    serve(target) {
      if (!share) {
        throw new InvalidArgumentError(
          `${path} is a shareable handle that must be served by its owner, but it was encoded without a connection; send it through a multiproc transport`,
        );
      }
      return share.serve(target);
    },
  };
  const descriptor = value[describeShareable](context);
  state.special = true;
  const described = {
    [CODEC_TAG]: 'handle',
    reviver: descriptor.reviver,
    name: descriptor.name,
    data: walk(descriptor.data, `${path}<data>`, state),
  };
  (state.described ??= new Map()).set(value, described);
  return described;
}

function serializeErrorInto(error: Error, path: string, state: EncodeState): SerializedError {
  state.special = true;
  state.lenient++;
  try {
    const out: SerializedError = {
      [CODEC_TAG]: 'error',
      name: typeof error.name === 'string' ? error.name : 'Error',
      message: typeof error.message === 'string' ? error.message : String(error.message),
      stack: typeof error.stack === 'string' ? error.stack : undefined,
      multiproc: (error as unknown as Record<symbol, unknown>)[ERROR_MARKER] === true,
      hasCause: 'cause' in error,
      props: {},
    };
    state.graph?.set(error, out);
    if (out.hasCause) out.cause = walk(error.cause, `${path}.cause`, state);
    if (error instanceof AggregateError) out.errors = walk(error.errors, `${path}.errors`, state);
    for (const key of Object.keys(error)) {
      if (key === 'cause' || key === 'errors' || key === 'stack' || key === 'message') continue;
      out.props[key] = walk((error as unknown as Record<string, unknown>)[key], keyPath(path, key), state);
    }
    return out;
  } finally {
    state.lenient--;
  }
}

/**
 * How a Map key appears in a path: a string quoted, another primitive as written, an object or function by
 * kind. Objects are never coerced to strings: a key's own `toString` may be anything (even throw).
 */
function keyLabel(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (key === null || (typeof key !== 'object' && typeof key !== 'function')) return String(key);
  return typeof key === 'function' ? '<function key>' : '<object key>';
}

function walk(value: unknown, path: string, state: EncodeState): unknown {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return value;
    case 'symbol':
      return bad(path, describeBad(value), state);
    case 'function':
      if (typeof (value as unknown as Partial<Shareable>)[describeShareable] === 'function') {
        return describe(value as unknown as Shareable, path, state);
      }
      return bad(path, describeBad(value), state);
    default:
      break;
  }
  if (value === null) return value;
  const object = value as object;
  if (state.graph !== undefined) return walkGraph(object, path, state);
  // A cycle: structured clone keeps it, and nothing more needs rewriting on this path. But if something
  // on it is rewritten (copied), the back-reference would point at the original: encode() then walks
  // the value again with walkGraph, which keeps every reference.
  if (state.stack.includes(object)) {
    state.cyclic = true;
    return object;
  }

  if (typeof (object as Partial<Shareable>)[describeShareable] === 'function') {
    return describe(object as Shareable, path, state);
  }
  if (Array.isArray(object)) {
    state.stack.push(object);
    let out: unknown[] = object;
    for (let i = 0; i < object.length; i++) {
      const item: unknown = object[i];
      if (item === null || (typeof item !== 'object' && typeof item !== 'function' && typeof item !== 'symbol')) continue;
      const encoded = walk(item, `${path}[${i}]`, state);
      if (encoded !== item) {
        if (out === object) out = object.slice();
        out[i] = encoded;
      }
    }
    state.stack.pop();
    return out;
  }
  if (ArrayBuffer.isView(object)) return object;
  for (const type of PASS_THROUGH) if (object instanceof type) return object;
  if (object instanceof Error) {
    state.stack.push(object);
    const serialized = serializeErrorInto(object, path, state);
    state.stack.pop();
    return serialized;
  }
  if (object instanceof Map) {
    state.stack.push(object);
    let changed = false;
    const entries: Array<[unknown, unknown]> = [];
    for (const [key, item] of object) {
      const encodedKey = walk(key, `${path}<key>`, state);
      const encodedItem = walk(item, `${path}.get(${keyLabel(key)})`, state);
      if (!Object.is(encodedKey, key) || !Object.is(encodedItem, item)) changed = true; // NaN is unchanged too
      entries.push([encodedKey, encodedItem]);
    }
    state.stack.pop();
    return changed ? new Map(entries) : object;
  }
  if (object instanceof Set) {
    state.stack.push(object);
    let changed = false;
    const items: unknown[] = [];
    for (const item of object) {
      const encoded = walk(item, `${path}<set item>`, state);
      if (!Object.is(encoded, item)) changed = true;
      items.push(encoded);
    }
    state.stack.pop();
    return changed ? new Set(items) : object;
  }
  for (const [type, what] of NOT_CLONEABLE) if (object instanceof type) return bad(path, what, state);
  if (isPortLike(object)) return object;

  // A plain object or a class instance: structured clone copies own enumerable properties.
  state.stack.push(object);
  let out: Record<string, unknown> | undefined;
  const source = object as Record<string, unknown>;
  for (const key in source) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const item = source[key];
    if (item === null || (typeof item !== 'object' && typeof item !== 'function' && typeof item !== 'symbol')) continue;
    const encoded = walk(item, keyPath(path, key), state);
    if (encoded !== item) {
      out ??= { ...source };
      out[key] = encoded;
    }
  }
  state.stack.pop();
  if (Object.prototype.hasOwnProperty.call(source, CODEC_TAG)) {
    // An object that happens to carry the codec's key: wrap it, so the receiver does not read it as a
    // rewritten value. Its own properties (the tag's value among them, in place) are encoded as usual.
    state.special = true;
    return { [CODEC_TAG]: 'object', value: out ?? source };
  }
  return out ?? object;
}

/**
 * The second pass of {@link encode}, for a value with a cycle through something rewritten: every
 * container is copied, and each object's output is recorded first, so that cycles and shared
 * references point at the outputs (structured clone then keeps them as they were).
 */
function walkGraph(object: object, path: string, state: EncodeState): unknown {
  const graph = state.graph as Map<object, unknown>;
  if (graph.has(object)) return graph.get(object);
  if (typeof (object as Partial<Shareable>)[describeShareable] === 'function') {
    const described = describe(object as Shareable, path, state);
    graph.set(object, described);
    return described;
  }
  if (Array.isArray(object)) {
    const out = object.slice();
    graph.set(object, out);
    for (let i = 0; i < object.length; i++) {
      const item: unknown = object[i];
      if (item !== null && (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol')) {
        out[i] = walk(item, `${path}[${i}]`, state);
      }
    }
    return out;
  }
  if (ArrayBuffer.isView(object)) return object;
  for (const type of PASS_THROUGH) if (object instanceof type) return object;
  if (object instanceof Error) return serializeErrorInto(object, path, state);
  if (object instanceof Map) {
    const out = new Map<unknown, unknown>();
    graph.set(object, out);
    for (const [key, item] of object) {
      out.set(walk(key, `${path}<key>`, state), walk(item, `${path}.get(${keyLabel(key)})`, state));
    }
    return out;
  }
  if (object instanceof Set) {
    const out = new Set<unknown>();
    graph.set(object, out);
    for (const item of object) out.add(walk(item, `${path}<set item>`, state));
    return out;
  }
  for (const [type, what] of NOT_CLONEABLE) if (object instanceof type) return bad(path, what, state);
  if (isPortLike(object)) return object;
  const source = object as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const escaped = Object.prototype.hasOwnProperty.call(source, CODEC_TAG);
  graph.set(object, escaped ? { [CODEC_TAG]: 'object', value: out } : out);
  for (const key in source) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const item = source[key];
    out[key] = item !== null && (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol') ? walk(item, keyPath(path, key), state) : item;
  }
  return graph.get(object);
}

function isPortLike(object: object): boolean {
  const name = object.constructor?.name;
  return name === 'MessagePort' || name === 'BroadcastChannel' || name === 'X509Certificate' || name === 'KeyObject';
}

/**
 * Prepares a value for a trip across a boundary: errors are serialized with everything they carry,
 * shareable handles describe themselves, and anything that cannot be cloned is refused with its path.
 *
 * @param value - what to send.
 * @param options - the root `path` for messages, and the `share` context of the connection.
 * @returns the value to send and whether the receiver must {@link decode} it.
 * @throws {@link NotCloneableError} naming the path of a value that cannot be cloned.
 * @example
 * ```ts
 * import { encode, decode } from '@multiproc/transport';
 * const { value, special } = encode({ failure: new RangeError('too big') });
 * const copy = structuredClone(value);
 * const back = special ? decode(copy) : copy; // { failure: RangeError('too big') }
 * ```
 */
export function encode(value: unknown, options: EncodeOptions = {}): Encoded {
  const state = newState(options.share, 0);
  const out = walk(value, options.path ?? 'value', state);
  if (!(state.cyclic && state.special)) return { value: out, special: state.special };
  return { value: walkAgain(value, options.path ?? 'value', state), special: true };
}

/** Runs the second pass ({@link walkGraph}) over a value whose first pass met a cycle and rewrote something. */
function walkAgain(value: unknown, path: string, first: EncodeState): unknown {
  const state = newState(first.share, first.lenient);
  state.described = first.described;
  state.graph = new Map();
  return walk(value, path, state);
}

/**
 * Serializes an error into a cloneable object that {@link decode} turns back into an error of the same
 * class (when that class is known on the receiving side) with the same message, stack, cause, members
 * and own properties. Values inside that cannot be cloned are replaced by a description instead of
 * failing, so an error can always be reported.
 *
 * @param error - the error (or any thrown value).
 * @returns a cloneable value.
 * @example
 * ```ts
 * import { serializeError, decode } from '@multiproc/transport';
 * const wire = serializeError(Object.assign(new Error('nope'), { status: 404 }));
 * const error = decode(structuredClone(wire)) as Error & { status: number };
 * console.log(error.message, error.status); // nope 404
 * ```
 */
export function serializeError(error: unknown): unknown {
  const state = newState(undefined, 1);
  const out = walk(error, 'error', state);
  return state.cyclic && state.special ? walkAgain(error, 'error', state) : out;
}

/** @internal Thrown by the synchronous decoder when a reviver module is not loaded yet. */
export class ReviverNotLoaded extends Error {
  constructor(readonly url: string) {
    super(`reviver module not loaded: ${url}`);
  }
}

const REVIVERS = Symbol.for('multiproc.revivers');
// Shared through globalThis so that two copies of this package (two install paths) see one registry.
const reviverModules: Map<string, Record<string, unknown>> = ((globalThis as { [REVIVERS]?: Map<string, Record<string, unknown>> })[
  REVIVERS
] ??= new Map());

/**
 * Makes a reviver available without an import, for reviver modules loaded by other means (bundled
 * code) and for speed. A shareable's module usually calls this for itself at load time.
 *
 * @param url - the reviver module URL used in descriptors.
 * @param name - the export name.
 * @param reviver - the function.
 * @example
 * ```ts
 * import { registerReviver } from '@multiproc/transport';
 * registerReviver(import.meta.url, 'reviveFlag', (data) => ({ buffer: data }));
 * ```
 */
export function registerReviver(url: string, name: string, reviver: Reviver): void {
  let module = reviverModules.get(url);
  if (!module) {
    module = {};
    reviverModules.set(url, module);
  }
  module[name] = reviver;
}

/**
 * Imports the reviver modules a value needs, so that {@link decode} can run synchronously.
 *
 * @param urls - reviver module URLs.
 * @returns a promise that settles once all are loaded.
 * @example
 * ```ts
 * import { loadRevivers } from '@multiproc/transport';
 * await loadRevivers([]);
 * ```
 */
export async function loadRevivers(urls: Iterable<string>): Promise<void> {
  await Promise.all(
    [...new Set(urls)].map(async (url) => {
      if (reviverModules.has(url)) return;
      const namespace = (await import(url)) as Record<string, unknown>;
      const existing = reviverModules.get(url);
      reviverModules.set(url, existing ? { ...namespace, ...existing } : namespace);
    }),
  );
}

function reviveError(serialized: SerializedError, context: DecodeState): Error {
  const registered = lookupErrorClass(serialized.name);
  const builtin = (globalThis as Record<string, unknown>)[serialized.name];
  const ctor =
    registered ??
    (typeof builtin === 'function' && (builtin === Error || (builtin as { prototype: unknown }).prototype instanceof Error)
      ? (builtin as new () => Error)
      : Error);
  // A genuine error object (util.types.isNativeError, printed with its stack, cloneable as an error)
  // with the class's prototype, made without running the class's own constructor.
  const error = Reflect.construct(Error, [], ctor) as Error;
  // Before anything inside is revived: a cause chain or a property may lead back to this error.
  context.seen.set(serialized, error);
  const define = (key: string | symbol, value: unknown): void => {
    Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: false });
  };
  define('message', serialized.message);
  if (serialized.stack !== undefined) define('stack', serialized.stack);
  else delete (error as { stack?: unknown }).stack;
  if (error.name !== serialized.name) define('name', serialized.name);
  if (serialized.hasCause) define('cause', revive(serialized.cause, context));
  if (serialized.errors !== undefined) define('errors', revive(serialized.errors, context));
  if (serialized.multiproc && (error as unknown as Record<symbol, unknown>)[ERROR_MARKER] !== true) {
    define(ERROR_MARKER, true);
  }
  for (const [key, value] of Object.entries(serialized.props)) {
    if (key === 'name') {
      define('name', value);
      continue;
    }
    (error as unknown as Record<string, unknown>)[key] = revive(value, context);
  }
  return error;
}

interface DecodeState {
  context: ReviveContext;
  seen: Map<object, unknown>;
  /** @internal Stands in for a handle whose reviver module failed to load (instead of throwing). */
  unrevivable?: ((url: string) => unknown) | undefined;
}

const NO_CONTEXT: ReviveContext = { capabilities: { sharedMemory: true, transfer: true }, remote: undefined };

/**
 * Values that decode produced which look like plain objects to a second decode of the same (partly
 * decoded) value: revived handles, and unwrapped objects that carry the codec's key. decode works in
 * place, and the multiplexer decodes a value again once a missing reviver module is loaded; those
 * must then be left alone.
 */
const decoded = new WeakSet<object>();

function revive(value: unknown, state: DecodeState): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (state.seen.has(value)) return state.seen.get(value);
  if (Array.isArray(value)) {
    state.seen.set(value, value);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === 'object') value[i] = revive(item, state);
    }
    return value;
  }
  if (value instanceof Map) {
    state.seen.set(value, value);
    // Revive every entry before touching the map, so that a missing reviver (which throws) leaves it whole.
    const entries: Array<[unknown, unknown]> = [];
    for (const [key, item] of value) entries.push([revive(key, state), revive(item, state)]);
    value.clear();
    for (const [key, item] of entries) value.set(key, item);
    return value;
  }
  if (value instanceof Set) {
    state.seen.set(value, value);
    const items: unknown[] = [];
    for (const item of value) items.push(revive(item, state));
    value.clear();
    for (const item of items) value.add(item);
    return value;
  }
  if (ArrayBuffer.isView(value) || Object.getPrototypeOf(value) !== Object.prototype) return value;
  if (decoded.has(value)) return value;
  const record = value as Record<string, unknown>;
  const tag = record[CODEC_TAG];
  if (tag === 'error') return reviveError(record as unknown as SerializedError, state);
  if (tag === 'handle') {
    const url = record['reviver'] as string;
    const module = reviverModules.get(url);
    if (!module) {
      if (!state.unrevivable) throw new ReviverNotLoaded(url);
      const stand = state.unrevivable(url);
      state.seen.set(value, stand);
      return stand;
    }
    const reviver = module[record['name'] as string];
    if (typeof reviver !== 'function') {
      throw new InvalidArgumentError(`reviver module ${url} has no export named ${String(record['name'])}`);
    }
    const handle = (reviver as Reviver)(revive(record['data'], state), state.context);
    state.seen.set(value, handle);
    if (handle !== null && typeof handle === 'object') decoded.add(handle);
    return handle;
  }
  if (tag === 'object') {
    // An object that carries the codec's key itself: unwrap it, reviving its properties (the key's value
    // included, which stays in its place) but not reading its key as a tag.
    const inner = record['value'] as Record<string, unknown>;
    state.seen.set(value, inner);
    state.seen.set(inner, inner);
    reviveProperties(inner, state);
    decoded.add(inner);
    return inner;
  }
  state.seen.set(value, value);
  reviveProperties(record, state);
  return value;
}

function reviveProperties(record: Record<string, unknown>, state: DecodeState): void {
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (item !== null && typeof item === 'object') record[key] = revive(item, state);
  }
}

/**
 * Turns what {@link encode} produced (after its trip) back into live values: errors of their own
 * class, shareable handles revived by their reviver modules. Works in place on the received copy.
 * Synchronous; when a handle's reviver module is not loaded yet it throws, and the same (partly
 * decoded) value can be decoded again once the module is loaded; {@link decodeAsync} does both.
 *
 * @param value - the received value.
 * @param options - the {@link ReviveContext} of the connection it came through.
 * @returns the revived value.
 * @example
 * ```ts
 * import { encode, decode } from '@multiproc/transport';
 * const error = decode(structuredClone(encode(new TypeError('bad')).value)) as Error;
 * console.log(error instanceof TypeError); // true
 * ```
 */
export function decode(value: unknown, options: DecodeOptions = {}): unknown {
  return revive(value, { context: options.context ?? NO_CONTEXT, seen: new Map() });
}

/**
 * @internal Decodes a value whose reviver modules could not be loaded: each handle that cannot be revived
 * becomes a stand-in that throws `failure(url)` as soon as it is used, so the message still reaches its
 * receiver (which fails visibly instead of waiting forever for a message that was dropped).
 */
export function decodeWithBrokenHandles(value: unknown, context: ReviveContext, failure: (url: string) => Error): unknown {
  return revive(value, { context, seen: new Map(), unrevivable: (url) => brokenHandle(failure(url)) });
}

function brokenHandle(error: Error): object {
  const fail = (): never => {
    throw error;
  };
  return new Proxy(Object.create(null) as object, {
    // `then` and symbols stay undefined, so the stand-in can be awaited, logged and inspected.
    get: (_target, key) => (key === 'then' || typeof key === 'symbol' ? undefined : fail()),
    set: fail,
    has: fail,
    deleteProperty: fail,
    defineProperty: fail,
  });
}

/**
 * Like {@link decode}, loading any reviver module the value needs first.
 *
 * @param value - the received value.
 * @param options - the {@link ReviveContext} of the connection it came through.
 * @returns a promise of the revived value.
 * @example
 * ```ts
 * import { encode, decodeAsync } from '@multiproc/transport';
 * const value = await decodeAsync(structuredClone(encode([new Error('x')]).value));
 * ```
 */
export async function decodeAsync(value: unknown, options: DecodeOptions = {}): Promise<unknown> {
  await loadRevivers(collectRevivers(value));
  return decode(value, options);
}

/** @internal The reviver module URLs a received value refers to that are not loaded yet. */
export function collectRevivers(value: unknown, found = new Set<string>(), seen = new Set<object>()): Set<string> {
  if (value === null || typeof value !== 'object' || seen.has(value)) return found;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return found;
  if (Array.isArray(value)) {
    for (const item of value) collectRevivers(item, found, seen);
  } else if (value instanceof Map) {
    for (const [key, item] of value) {
      collectRevivers(key, found, seen);
      collectRevivers(item, found, seen);
    }
  } else if (value instanceof Set) {
    for (const item of value) collectRevivers(item, found, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    if (record[CODEC_TAG] === 'handle' && typeof record['reviver'] === 'string' && !reviverModules.has(record['reviver'])) {
      found.add(record['reviver']);
    }
    for (const key of Object.keys(record)) collectRevivers(record[key], found, seen);
  }
  return found;
}
