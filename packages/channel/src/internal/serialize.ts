/**
 * Turns an item into the bytes of one ring record and back. Numbers, short strings, booleans, null and
 * undefined take fast paths (no serializer); everything else goes through the codec's walk (errors,
 * shareable handles, the not-cloneable check with a path) and `v8.serialize`. An item whose encoded form
 * holds a SharedArrayBuffer (a shareable handle revived over shared memory, or a buffer the user put)
 * cannot be bytes: it is marked for the side path, which moves it by structured clone.
 */
import v8 from 'node:v8';
import {
  decode,
  decodeAsync,
  encode,
  NotCloneableError,
  UnsupportedError,
  type ReviveContext,
  type ShareContext,
} from '@multiproc/transport';
import { Kind, numberBytes } from './ring.js';

/** How handles describe themselves for a trip through a ring: over shared memory. */
export const THREAD_SHARE: Omit<ShareContext, 'path'> = {
  capabilities: { sharedMemory: true, transfer: false },
  serve() {
    throw new UnsupportedError(
      'this handle is a proxy to another process and cannot be put into a queue or pipe owned by this process; pass it to a queue owned by the same process as the handle',
    );
  },
};

/** How handles taken out of a ring are revived: over shared memory. */
export const THREAD_REVIVE: ReviveContext = { capabilities: { sharedMemory: true, transfer: false }, remote: undefined };

/** A packed item: its kind and payload, or the value for the side path. */
export interface Packed {
  kind: Kind;
  bytes: Uint8Array | undefined;
  /** For Kind.Side: the encoded value to send by structured clone, and how to revive it (see {@link Special}). */
  side: unknown;
  special: Special;
}

/** How a side-path value is revived: as is, through the codec, or kept live (a proxy to another process). */
export const enum Special {
  Plain = 0,
  Codec = 1,
  /** The live object itself, kept by the owner thread; no other thread can take it. */
  Live = 2,
  /** Sent by the owner in place of a live value another thread asked for. */
  Unavailable = 3,
}

const stringScratch = Buffer.allocUnsafe(4096);
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Packs `item`.
 * @throws {@link NotCloneableError} naming the path of a value that cannot cross.
 */
export function pack(item: unknown, path: string, allowLive = false): Packed {
  switch (typeof item) {
    case 'number':
      return { kind: Kind.Number, bytes: numberBytes(item), side: undefined, special: Special.Plain };
    case 'string': {
      if (item.length * 3 <= stringScratch.length) {
        const n = stringScratch.write(item, 0, 'utf8');
        return { kind: Kind.String, bytes: stringScratch.subarray(0, n), side: undefined, special: Special.Plain };
      }
      return { kind: Kind.String, bytes: Buffer.from(item, 'utf8'), side: undefined, special: Special.Plain };
    }
    case 'boolean':
      return { kind: item ? Kind.True : Kind.False, bytes: undefined, side: undefined, special: Special.Plain };
    case 'undefined':
      return { kind: Kind.Undefined, bytes: undefined, side: undefined, special: Special.Plain };
    default:
      break;
  }
  if (item === null) return { kind: Kind.Null, bytes: undefined, side: undefined, special: Special.Plain };
  if (typeof item === 'object' && jsonSafe(item, 0)) {
    // Plain data that JSON round-trips exactly: several times faster than v8.serialize for small items.
    const text = JSON.stringify(item);
    if (text.length * 3 <= stringScratch.length) {
      const n = stringScratch.write(text, 0, 'utf8');
      return { kind: Kind.Json, bytes: stringScratch.subarray(0, n), side: undefined, special: Special.Plain };
    }
    return { kind: Kind.Json, bytes: Buffer.from(text, 'utf8'), side: undefined, special: Special.Plain };
  }
  let encoded;
  try {
    encoded = encode(item, { path, share: THREAD_SHARE });
  } catch (error) {
    // A proxy to another process cannot be described for shared memory: the owner thread keeps it live.
    if (allowLive && UnsupportedError.isInstance(error)) {
      return { kind: Kind.Side, bytes: undefined, side: item, special: Special.Live };
    }
    throw error;
  }
  try {
    return { kind: encoded.special ? Kind.V8Codec : Kind.V8, bytes: v8.serialize(encoded.value), side: undefined, special: Special.Plain };
  } catch (error) {
    // Shared memory cannot be bytes; anything structured clone takes can go on the side path.
    try {
      structuredClone(encoded.value);
    } catch (cloneError) {
      throw new NotCloneableError(path, `a value structured clone refuses (${(cloneError as Error).message})`, { cause: cloneError });
    }
    void error;
    return { kind: Kind.Side, bytes: undefined, side: encoded.value, special: encoded.special ? Special.Codec : Special.Plain };
  }
}

const MAX_JSON_DEPTH = 8;
const MAX_JSON_KEYS = 64;

/**
 * Whether `value` is plain data that `JSON.parse(JSON.stringify(value))` reproduces exactly as
 * structured clone would: plain objects and dense arrays of strings, finite numbers (not -0),
 * booleans and null, shallow and small. Anything else (undefined, NaN, Dates, Maps, class instances,
 * typed arrays, cycles, deep or wide values) takes the v8 serializer.
 */
function jsonSafe(value: object, depth: number): boolean {
  if (depth > MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) {
    if (value.length > MAX_JSON_KEYS || Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) {
      if (!jsonSafeValue(value[i], depth)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  let keys = 0;
  for (const key in value) {
    if (++keys > MAX_JSON_KEYS || key === '__proto__') return false;
    if (!jsonSafeValue((value as Record<string, unknown>)[key], depth)) return false;
  }
  return true;
}

function jsonSafeValue(item: unknown, depth: number): boolean {
  switch (typeof item) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(item) && !Object.is(item, -0);
    case 'object':
      return item === null || jsonSafe(item, depth + 1);
    default:
      return false;
  }
}

/** Unpacks a record taken from a ring (not Side: that needs the side path). */
export function unpack(kind: Kind, bytes: Uint8Array | undefined, num: number): unknown {
  switch (kind) {
    case Kind.Number:
      return num;
    case Kind.String:
      return utf8.decode(bytes as Uint8Array);
    case Kind.Json:
      // TextDecoder reads the bytes in place (`.buffer` of a small typed array is costly to materialize).
      return JSON.parse(utf8.decode(bytes as Uint8Array)) as unknown;
    case Kind.True:
      return true;
    case Kind.False:
      return false;
    case Kind.Null:
      return null;
    case Kind.Undefined:
      return undefined;
    case Kind.Bytes:
      return bytes;
    case Kind.V8:
      return v8.deserialize(bytes as Uint8Array);
    case Kind.V8Codec:
      return decode(v8.deserialize(bytes as Uint8Array), { context: THREAD_REVIVE });
    default:
      throw new UnsupportedError(`unknown record kind ${String(kind)}`);
  }
}

/** Like {@link unpack}, loading reviver modules a handle in the item needs. */
export async function unpackAsync(kind: Kind, bytes: Uint8Array | undefined, num: number): Promise<unknown> {
  if (kind === Kind.V8Codec) return decodeAsync(v8.deserialize(bytes as Uint8Array), { context: THREAD_REVIVE });
  return unpack(kind, bytes, num);
}

/** Revives a side-path value. */
export function reviveSide(value: unknown, special: Special): unknown {
  if (special === Special.Unavailable) throw unavailable();
  return special === Special.Codec ? decode(value, { context: THREAD_REVIVE }) : value;
}

function unavailable(): Error {
  return new UnsupportedError(
    'this item holds a proxy to another process, which only the thread that owns the queue can take out of it; get it in that thread',
  );
}

/** Revives a side-path value, loading reviver modules first. */
export function reviveSideAsync(value: unknown, special: Special): Promise<unknown> {
  if (special === Special.Unavailable) return Promise.reject(unavailable());
  return special === Special.Codec ? decodeAsync(value, { context: THREAD_REVIVE }) : Promise.resolve(value);
}
