/**
 * Turns an item into the bytes of one ring record and back. Numbers, short strings, booleans, null and
 * undefined take fast paths (no serializer); everything else goes through the codec's walk (errors,
 * shareable handles, the not-cloneable check with a path) and `v8.serialize`. An item whose encoded form
 * holds a SharedArrayBuffer (a shareable handle revived over shared memory, or a buffer the user put)
 * cannot be bytes: it is marked for the side path, which moves it by structured clone.
 */
import { isProxy } from 'node:util/types';
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
import { int32ToBytes, Kind, numberBytes } from './ring.js';

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
  /** The payload is the first {@link length} bytes (a scratch buffer may be longer). */
  bytes: Uint8Array | undefined;
  length: number;
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

/** The Packed of the fast kinds, reused by every put (its bytes live in a scratch buffer: copy to keep). */
const fast: Packed = { kind: Kind.Undefined, bytes: undefined, length: 0, side: undefined, special: Special.Plain };

function packedFast(kind: Kind, bytes: Uint8Array | undefined, length = bytes === undefined ? 0 : bytes.length): Packed {
  fast.kind = kind;
  fast.bytes = bytes;
  fast.length = length;
  fast.side = undefined;
  fast.special = Special.Plain;
  return fast;
}

/**
 * Packs `item`. The result may be shared with the next call (the fast kinds): put it, or copy it with
 * {@link keepPacked}, before packing another item.
 * @throws {@link NotCloneableError} naming the path of a value that cannot cross.
 */
export function pack(item: unknown, path: string, allowLive = false): Packed {
  switch (typeof item) {
    case 'number':
      if ((item | 0) === item && (item !== 0 || 1 / item > 0)) return packedFast(Kind.Int32, int32ToBytes(item));
      return packedFast(Kind.Number, numberBytes(item));
    case 'string': {
      if (item.length <= SMALL_STRING) {
        encPos = 0;
        if (encString(item)) return packedFast(Kind.Small, enc, encPos);
      }
      if (!isWellFormed(item)) break; // lone surrogates: UTF-8 would replace them, v8.serialize keeps them
      if (item.length * 3 <= stringScratch.length) {
        const n = stringScratch.write(item, 0, 'utf8');
        return packedFast(Kind.String, stringScratch, n);
      }
      return packedFast(Kind.String, Buffer.from(item, 'utf8'));
    }
    case 'boolean':
      return packedFast(item ? Kind.True : Kind.False, undefined);
    case 'undefined':
      return packedFast(Kind.Undefined, undefined);
    case 'object': {
      if (item === null) return packedFast(Kind.Null, undefined);
      // Small plain data: the compact binary encoding, several times faster than JSON or v8.serialize.
      encPos = 0;
      if (encValue(item, 0)) return packedFast(Kind.Small, enc, encPos);
      if (jsonSafe(item, 0)) {
        // Larger plain data that JSON round-trips exactly: faster than v8.serialize.
        const text = JSON.stringify(item);
        if (text.length * 3 <= stringScratch.length) {
          const n = stringScratch.write(text, 0, 'utf8');
          return packedFast(Kind.Json, stringScratch, n);
        }
        return packedFast(Kind.Json, Buffer.from(text, 'utf8'));
      }
      break;
    }
    default:
      break;
  }
  let encoded;
  try {
    encoded = encode(item, { path, share: THREAD_SHARE });
  } catch (error) {
    // A proxy to another process cannot be described for shared memory: the owner thread keeps it live.
    if (allowLive && UnsupportedError.isInstance(error)) {
      return { kind: Kind.Side, bytes: undefined, length: 0, side: item, special: Special.Live };
    }
    throw error;
  }
  try {
    const bytes = v8.serialize(encoded.value);
    return { kind: encoded.special ? Kind.V8Codec : Kind.V8, bytes, length: bytes.length, side: undefined, special: Special.Plain };
  } catch (error) {
    // Shared memory cannot be bytes; anything structured clone takes can go on the side path.
    try {
      structuredClone(encoded.value);
    } catch (cloneError) {
      throw new NotCloneableError(path, `a value structured clone refuses (${(cloneError as Error).message})`, { cause: cloneError });
    }
    void error;
    return { kind: Kind.Side, bytes: undefined, length: 0, side: encoded.value, special: encoded.special ? Special.Codec : Special.Plain };
  }
}

/** A Packed that stays valid after the next {@link pack} (its own object and a copy of its bytes). */
export function keepPacked(packed: Packed): Packed {
  // new Uint8Array(view) copies (Buffer#slice would be a view).
  const bytes = packed.bytes && Uint8Array.prototype.slice.call(packed.bytes, 0, packed.length);
  return { kind: packed.kind, bytes, length: packed.length, side: packed.side, special: packed.special };
}

const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !/[\ud800-\udfff]/.test(text);

// ---- The compact binary encoding of small plain data (Kind.Small) ----
//
// A value is a tag byte and its payload: undefined, null, true, false; an int32 (4 bytes LE); a float64
// (8 bytes LE, so NaN, -0 and the infinities are exact); a string as latin1 (every code unit < 256, one
// byte each) or as UTF-16 code units (two bytes each, so lone surrogates survive), after its length;
// a dense array (count, then the elements); a plain object (count, then key string and value pairs, in
// the object's own order). Lengths and counts are one byte below 255, else 255 and 4 bytes LE. Anything
// else (Dates, Maps, BigInts, class instances, typed arrays, sparse arrays, a `__proto__` key, cycles),
// a deep, wide or large value makes the encoder give up, and the item takes the JSON or v8 path.

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_TRUE = 2;
const T_FALSE = 3;
const T_INT32 = 4;
const T_FLOAT64 = 5;
const T_LATIN1 = 6;
const T_UTF16 = 7;
const T_ARRAY = 8;
const T_OBJECT = 9;

const ENC_BYTES = 4096;
const MAX_SMALL_DEPTH = 8;
const MAX_SMALL_ENTRIES = 64;
/** Top-level strings up to this many code units take the Small encoding. */
const SMALL_STRING = 1024;

const enc = new Uint8Array(ENC_BYTES);
let encPos = 0;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

function encLength(n: number): boolean {
  if (n < 255) {
    if (encPos >= ENC_BYTES) return false;
    enc[encPos++] = n;
    return true;
  }
  if (encPos + 5 > ENC_BYTES) return false;
  enc[encPos] = 255;
  enc[encPos + 1] = n & 0xff;
  enc[encPos + 2] = (n >>> 8) & 0xff;
  enc[encPos + 3] = (n >>> 16) & 0xff;
  enc[encPos + 4] = (n >>> 24) & 0xff;
  encPos += 5;
  return true;
}

function encString(text: string): boolean {
  const length = text.length;
  const start = encPos;
  if (encPos + 1 + length + 5 > ENC_BYTES) return false;
  enc[encPos++] = T_LATIN1;
  encLength(length);
  let pos = encPos;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) {
      // Not latin1: start again as UTF-16 code units.
      encPos = start;
      if (encPos + 1 + 2 * length + 5 > ENC_BYTES) return false;
      enc[encPos++] = T_UTF16;
      encLength(length);
      pos = encPos;
      for (let j = 0; j < length; j++) {
        const unit = text.charCodeAt(j);
        enc[pos++] = unit & 0xff;
        enc[pos++] = unit >>> 8;
      }
      encPos = pos;
      return true;
    }
    enc[pos++] = code;
  }
  encPos = pos;
  return true;
}

function encValue(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'number': {
      if ((value | 0) === value && (value !== 0 || 1 / value > 0)) {
        if (encPos + 5 > ENC_BYTES) return false;
        enc[encPos] = T_INT32;
        enc[encPos + 1] = value & 0xff;
        enc[encPos + 2] = (value >>> 8) & 0xff;
        enc[encPos + 3] = (value >>> 16) & 0xff;
        enc[encPos + 4] = (value >>> 24) & 0xff;
        encPos += 5;
        return true;
      }
      const pos = encPos;
      if (pos + 9 > ENC_BYTES) return false;
      enc[pos] = T_FLOAT64;
      f64[0] = value;
      for (let i = 0; i < 8; i++) enc[pos + 1 + i] = f64Bytes[i] as number;
      encPos = pos + 9;
      return true;
    }
    case 'string':
      return encString(value);
    case 'boolean':
      if (encPos >= ENC_BYTES) return false;
      enc[encPos++] = value ? T_TRUE : T_FALSE;
      return true;
    case 'undefined':
      if (encPos >= ENC_BYTES) return false;
      enc[encPos++] = T_UNDEFINED;
      return true;
    case 'object':
      if (value === null) {
        if (encPos >= ENC_BYTES) return false;
        enc[encPos++] = T_NULL;
        return true;
      }
      if (depth >= MAX_SMALL_DEPTH) return false;
      return Array.isArray(value) ? encArray(value, depth) : encObject(value, depth);
    default:
      return false;
  }
}

function encArray(value: unknown[], depth: number): boolean {
  const length = value.length;
  if (length > MAX_SMALL_ENTRIES || Object.getPrototypeOf(value) !== Array.prototype || isProxy(value)) return false;
  if (encPos + 2 > ENC_BYTES) return false;
  enc[encPos++] = T_ARRAY;
  enc[encPos++] = length;
  for (let i = 0; i < length; i++) {
    const element = value[i];
    if (element === undefined && !(i in value)) return false; // a hole: structured clone keeps it sparse
    if (!encValue(element, depth + 1)) return false;
  }
  // Named properties on an array survive structured clone: leave such arrays to it.
  return Object.keys(value).length === length;
}

function encObject(value: object, depth: number): boolean {
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || isProxy(value)) return false; // structured clone refuses a Proxy
  if (encPos + 2 > ENC_BYTES) return false;
  enc[encPos++] = T_OBJECT;
  const countAt = encPos++;
  // All the keys first, then all the values: the decoder recognises a shape it has seen by its key bytes.
  let count = 0;
  for (const key in value) {
    if (++count > MAX_SMALL_ENTRIES || key === '__proto__') return false;
    if (!encString(key)) return false;
  }
  enc[countAt] = count;
  let n = 0;
  for (const key in value) {
    // A getter that adds or deletes keys makes the two walks differ: leave such an object to v8.serialize.
    if (++n > count || !encValue((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return n === count;
}

let dec: Buffer = Buffer.alloc(0);
let decPos = 0;

/** Decodes a Small record whose `length` bytes are at the start of `bytes`. */
export function decodeSmall(bytes: Buffer, length: number): unknown {
  return decodeSmallAt(bytes, 0, length);
}

/**
 * Decodes a Small record whose `length` bytes are at `start` of `bytes` (the ring's data itself: a
 * consumer decodes in place, before it frees the record's bytes, instead of copying them out first).
 */
export function decodeSmallAt(bytes: Buffer, start: number, length: number): unknown {
  dec = bytes;
  decPos = start;
  try {
    const value = decValue();
    if (decPos !== start + length) throw new UnsupportedError(`a malformed record: ${decPos - start} of ${length} bytes read`);
    return value;
  } finally {
    dec = NO_BYTES; // do not keep a ring's buffer alive from here
  }
}

const NO_BYTES: Buffer = Buffer.alloc(0);

function decLength(): number {
  const n = dec[decPos++] as number;
  if (n < 255) return n;
  const long = ((dec[decPos] as number) | ((dec[decPos + 1] as number) << 8) | ((dec[decPos + 2] as number) << 16) | ((dec[decPos + 3] as number) << 24)) >>> 0;
  decPos += 4;
  return long;
}

function decString(tag: number): string {
  const length = decLength();
  const start = decPos;
  if (tag === T_LATIN1) {
    decPos += length;
    if (length <= 32) return internLatin1(start, length);
    return dec.toString('latin1', start, decPos);
  }
  decPos += 2 * length;
  return dec.toString('utf16le', start, decPos);
}

/** Object keys seen lately, so that a stream of same-shaped objects does not build (and intern) its keys again. */
const KEY_SLOTS = 256;
const keyCache: Array<string | undefined> = new Array<string | undefined>(KEY_SLOTS).fill(undefined);

function decKey(): string {
  const tag = dec[decPos++] as number;
  if (tag !== T_LATIN1) return decString(tag);
  const lengthAt = decPos;
  const length = decLength();
  if (length > 32) {
    decPos = lengthAt; // decString reads the length again
    return decString(tag);
  }
  const start = decPos;
  decPos += length;
  return internLatin1(start, length);
}

/**
 * The string of the `length` (at most 32) latin1 bytes at `start` of the record: from the cache of short
 * strings seen lately when it is there (no string to build), else built and cached.
 */
function internLatin1(start: number, length: number): string {
  let hash = length;
  for (let i = 0; i < length; i++) hash = (Math.imul(hash, 31) + (dec[start + i] as number)) | 0;
  const slot = hash & (KEY_SLOTS - 1);
  const cached = keyCache[slot];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (cached.charCodeAt(i) !== dec[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(dec[start + i] as number);
  keyCache[slot] = text;
  return text;
}

function decValue(): unknown {
  const tag = dec[decPos++] as number;
  switch (tag) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_INT32: {
      const value = (dec[decPos] as number) | ((dec[decPos + 1] as number) << 8) | ((dec[decPos + 2] as number) << 16) | ((dec[decPos + 3] as number) << 24);
      decPos += 4;
      return value;
    }
    case T_FLOAT64: {
      const pos = decPos;
      for (let i = 0; i < 8; i++) f64Bytes[i] = dec[pos + i] as number;
      decPos = pos + 8;
      return f64[0];
    }
    case T_LATIN1:
    case T_UTF16:
      return decString(tag);
    case T_ARRAY: {
      const length = dec[decPos++] as number;
      const array = new Array<unknown>(length);
      for (let i = 0; i < length; i++) array[i] = decValue();
      return array;
    }
    case T_OBJECT:
      return decObject();
    default:
      throw new UnsupportedError(`a malformed record: unknown tag ${tag}`);
  }
}

// An object is its count, all its keys, then all its values. Objects of a shape seen again and again (a
// stream of same-keyed records) are recognised by the bytes of their keys, compared with the shapes seen
// lately (no key string is built or looked up), and built by a constructor made for that shape: one
// object literal, so V8 creates each object with its final layout at once instead of adding properties
// one keyed store at a time (several times slower, and megamorphic).

/** Values of the objects being decoded (nested objects use the slots above their parent's). */
const valueStack: unknown[] = [];
let stackTop = 0;

/** A shape: the bytes of its keys as encoded, its keys, and the constructor built for it. */
interface Shape {
  readonly bytes: Uint8Array;
  readonly keys: readonly string[];
  readonly make: (values: unknown[], base: number) => Record<string, unknown>;
}
const SHAPE_SLOTS = 64;
const shapeTable: Array<Shape | undefined> = new Array<Shape | undefined>(SHAPE_SLOTS).fill(undefined);
let lastShape: Shape | undefined;
/** How often a key block without a shape was seen lately (a shape is made once it recurs). */
const shapeMisses = new Map<string, number>();
const SHAPE_AFTER = 4;
/** Whether constructors may be made (not where code generation from strings is disallowed). */
let shapesAllowed = true;

/** Whether the `length` bytes at `start` of the record are `bytes`. */
function sameBytes(bytes: Uint8Array, start: number, length: number): boolean {
  if (bytes.length !== length) return false;
  for (let i = 0; i < length; i++) if (bytes[i] !== dec[start + i]) return false;
  return true;
}

function decObject(): Record<string, unknown> {
  const count = dec[decPos++] as number;
  const start = decPos;
  // Skip over the keys (tag, length, code units) to find where the values begin.
  let end = start;
  for (let i = 0; i < count; i++) {
    const tag = dec[end++] as number;
    let length = dec[end++] as number;
    if (length === 255) {
      length = ((dec[end] as number) | ((dec[end + 1] as number) << 8) | ((dec[end + 2] as number) << 16) | ((dec[end + 3] as number) << 24)) >>> 0;
      end += 4;
    }
    end += tag === T_UTF16 ? 2 * length : length;
  }
  const blockLength = end - start;
  let shape = lastShape;
  if (shape === undefined || !sameBytes(shape.bytes, start, blockLength)) {
    let hash = blockLength;
    for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + (dec[i] as number)) | 0;
    const slot = hash & (SHAPE_SLOTS - 1);
    shape = shapeTable[slot];
    if (shape === undefined || !sameBytes(shape.bytes, start, blockLength)) shape = newShape(start, end, count, slot);
    if (shape === undefined) return decObjectSlowly(start, count);
    lastShape = shape;
  }
  decPos = end;
  const base = stackTop;
  stackTop += count;
  try {
    for (let i = 0; i < count; i++) valueStack[base + i] = decValue();
    return shape.make(valueStack, base);
  } finally {
    for (let i = 0; i < count; i++) valueStack[base + i] = undefined;
    stackTop = base;
  }
}

/** An object whose keys start at `start`, built one property at a time (a shape not seen often enough yet). */
function decObjectSlowly(start: number, count: number): Record<string, unknown> {
  decPos = start;
  const keys: string[] = [];
  for (let i = 0; i < count; i++) keys.push(decKey());
  const object: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) object[keys[i] as string] = decValue();
  return object;
}

/** The shape of the key block at `start`..`end`, once it has recurred (and its keys allow a literal). */
function newShape(start: number, end: number, count: number, slot: number): Shape | undefined {
  if (count === 0) return undefined;
  const id = dec.toString('latin1', start, end);
  const seen = (shapeMisses.get(id) ?? 0) + 1;
  if (seen < SHAPE_AFTER) {
    if (shapeMisses.size >= 1024) shapeMisses.clear();
    shapeMisses.set(id, seen);
    return undefined;
  }
  shapeMisses.delete(id);
  if (!shapesAllowed) return undefined;
  const saved = decPos;
  decPos = start;
  const keys: string[] = [];
  for (let i = 0; i < count; i++) keys.push(decKey());
  decPos = saved;
  if (keys.includes('__proto__') || new Set(keys).size !== count) return undefined;
  // The keys are JSON-quoted, so no key can break out of the literal; `__proto__` was excluded above.
  const body = `return {${keys.map((key, i) => `${JSON.stringify(key)}: v[b + ${i}]`).join(', ')}};`;
  let make: Shape['make'];
  try {
    make = new Function('v', 'b', body) as Shape['make'];
  } catch {
    // Code generation is disallowed here (--disallow-code-generation-from-strings): build objects key by key.
    shapesAllowed = false;
    return undefined;
  }
  const shape: Shape = { bytes: Uint8Array.prototype.slice.call(dec, start, end), keys, make };
  shapeTable[slot] = shape;
  return shape;
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
  if (isProxy(value)) return false; // structured clone refuses a Proxy
  if (Array.isArray(value)) {
    if (value.length > MAX_JSON_KEYS || Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) {
      if (!jsonSafeValue(value[i], depth)) return false;
    }
    // Named properties on an array survive structured clone, not JSON.
    return Object.keys(value).length === value.length;
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

/** Unpacks a record taken from a ring (not Side: that needs the side path; not Small: see {@link decodeSmall}). */
export function unpack(kind: Kind, bytes: Uint8Array | undefined, num: number): unknown {
  switch (kind) {
    case Kind.Number:
    case Kind.Int32:
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
