/**
 * Typecodes: the element types of `Value`, `SharedArray`, `RawValue` and `RawArray`, by Python's `array`
 * codes (`b B h H i I l L q Q f d`) or by name (`int8` ... `float64`, `bigint64`, `biguint64`). As on 64-bit
 * Linux, `l`/`L` are 64-bit, so they hold bigints, as do `q`/`Q`. Python's `c` and `u` (characters) are not
 * supported.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from '@multiproc/transport';

/**
 * A Python typecode, as in Python's `array` and `multiprocessing.Value`: `b B h H i I` (8- to 32-bit
 * integers), `l L q Q` (64-bit integers, held as bigints) and `f d` (float32, float64).
 *
 * @example
 * ```ts
 * import { Value, type PythonTypecode } from '@multiproc/shared';
 * const code: PythonTypecode = 'd';
 * const temperature = new Value(code, 21.5);
 * console.log(temperature.typecode, temperature.value); // d 21.5
 * ```
 */
export type PythonTypecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd';
/**
 * A typecode by name, an alternative to the Python codes: `int8` ... `uint32`, `float32`, `float64`,
 * `bigint64`, `biguint64`.
 *
 * @example
 * ```ts
 * import { SharedArray, type TypecodeName } from '@multiproc/shared';
 * const name: TypecodeName = 'uint16';
 * const histogram = new SharedArray(name, 256);
 * histogram.set(7, 3);
 * console.log(histogram.get(7)); // 3
 * ```
 */
export type TypecodeName = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64' | 'bigint64' | 'biguint64';
/**
 * Any accepted typecode: a Python code ({@link PythonTypecode}) or a name ({@link TypecodeName}).
 *
 * @example
 * ```ts
 * import { RawArray, typecodeInfo, type Typecode } from '@multiproc/shared';
 * function allocate(code: Typecode, length: number): RawArray {
 *   console.log(`${length} x ${typecodeInfo(code).bytes} bytes`);
 *   return new RawArray(code, length);
 * }
 * allocate('i', 16); // 16 x 4 bytes
 * allocate('float64', 16); // 16 x 8 bytes
 * ```
 */
export type Typecode = PythonTypecode | TypecodeName;

/**
 * The JavaScript type a typecode holds: `bigint` for the 64-bit integer codes (`l L q Q bigint64
 * biguint64`), `number` otherwise. It types `.value`, `get` and `set` of the shared containers.
 *
 * @example
 * ```ts
 * import { Value, type ValueOf } from '@multiproc/shared';
 * const big: ValueOf<'q'> = 2n ** 40n; // bigint
 * const small: ValueOf<'i'> = 42; // number
 * const total = new Value('q', big);
 * total.value += BigInt(small);
 * console.log(total.value); // 1099511627818n
 * ```
 */
export type ValueOf<T extends Typecode> = T extends 'l' | 'L' | 'q' | 'Q' | 'bigint64' | 'biguint64' ? bigint : number;

/**
 * The typed array a typecode gives over shared memory (`view` of a `RawArray` or `SharedArray`):
 * `Int32Array` for `'i'`/`'int32'`, `Float64Array` for `'d'`/`'float64'`, `BigInt64Array` for `'q'`, and so on.
 *
 * @example
 * ```ts
 * import { RawArray, type ViewOf } from '@multiproc/shared';
 * const counters = new RawArray('i', 4);
 * const view: ViewOf<'i'> = counters.view; // Int32Array over the shared memory
 * Atomics.add(view, 0, 5);
 * console.log(counters.get(0)); // 5
 * ```
 */
export type ViewOf<T extends Typecode> = T extends 'b' | 'int8'
  ? Int8Array
  : T extends 'B' | 'uint8'
    ? Uint8Array
    : T extends 'h' | 'int16'
      ? Int16Array
      : T extends 'H' | 'uint16'
        ? Uint16Array
        : T extends 'i' | 'int32'
          ? Int32Array
          : T extends 'I' | 'uint32'
            ? Uint32Array
            : T extends 'f' | 'float32'
              ? Float32Array
              : T extends 'd' | 'float64'
                ? Float64Array
                : T extends 'l' | 'q' | 'bigint64'
                  ? BigInt64Array
                  : BigUint64Array;

/**
 * Any typed array a typecode gives: the union of every {@link ViewOf}, as returned by
 * {@link TypecodeInfo.view}.
 *
 * @example
 * ```ts
 * import { typecodeInfo, type TypedView } from '@multiproc/shared';
 * const buffer = new SharedArrayBuffer(64);
 * const view: TypedView = typecodeInfo('d').view(buffer);
 * console.log(view.constructor.name, view.length); // Float64Array 8
 * ```
 */
export type TypedView = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/**
 * What a typecode stands for, as {@link typecodeInfo} returns it: its name, size, whether its elements are
 * bigints or integers, its range, and a factory for its typed array.
 *
 * @example
 * ```ts
 * import { typecodeInfo, type TypecodeInfo } from '@multiproc/shared';
 * const info: TypecodeInfo = typecodeInfo('h');
 * console.log(info.name, info.bytes, info.integer, info.min, info.max); // int16 2 true -32768 32767
 * const view = info.view(new SharedArrayBuffer(4 * info.bytes)); // an Int16Array of 4
 * ```
 */
export interface TypecodeInfo {
  /** The name, e.g. `int32`. */
  readonly name: TypecodeName;
  /** Bytes per element. */
  readonly bytes: number;
  /** Whether elements are bigints. */
  readonly bigint: boolean;
  /** Whether elements are integers (Atomics apply). */
  readonly integer: boolean;
  /** Smallest and largest value (for integer types). */
  readonly min: number | bigint;
  readonly max: number | bigint;
  /** Creates the typed array over a buffer. */
  readonly view: (buffer: SharedArrayBuffer, offset?: number, length?: number) => TypedView;
}

function info(
  name: TypecodeName,
  bytes: number,
  min: number | bigint,
  max: number | bigint,
  make: (buffer: SharedArrayBuffer, offset?: number, length?: number) => TypedView,
): TypecodeInfo {
  const bigint = typeof min === 'bigint';
  return { name, bytes, bigint, integer: !name.startsWith('float'), min, max, view: make };
}

const BY_NAME: Record<TypecodeName, TypecodeInfo> = {
  int8: info('int8', 1, -128, 127, (b, o, l) => new Int8Array(b, o, l)),
  uint8: info('uint8', 1, 0, 255, (b, o, l) => new Uint8Array(b, o, l)),
  int16: info('int16', 2, -32768, 32767, (b, o, l) => new Int16Array(b, o, l)),
  uint16: info('uint16', 2, 0, 65535, (b, o, l) => new Uint16Array(b, o, l)),
  int32: info('int32', 4, -2147483648, 2147483647, (b, o, l) => new Int32Array(b, o, l)),
  uint32: info('uint32', 4, 0, 4294967295, (b, o, l) => new Uint32Array(b, o, l)),
  float32: info('float32', 4, -Infinity, Infinity, (b, o, l) => new Float32Array(b, o, l)),
  float64: info('float64', 8, -Infinity, Infinity, (b, o, l) => new Float64Array(b, o, l)),
  bigint64: info('bigint64', 8, -(2n ** 63n), 2n ** 63n - 1n, (b, o, l) => new BigInt64Array(b, o, l)),
  biguint64: info('biguint64', 8, 0n, 2n ** 64n - 1n, (b, o, l) => new BigUint64Array(b, o, l)),
};

const PYTHON: Record<PythonTypecode, TypecodeName> = {
  b: 'int8',
  B: 'uint8',
  h: 'int16',
  H: 'uint16',
  i: 'int32',
  I: 'uint32',
  l: 'bigint64',
  L: 'biguint64',
  q: 'bigint64',
  Q: 'biguint64',
  f: 'float32',
  d: 'float64',
};

/**
 * Looks a typecode up.
 *
 * @param typecode - a Python code (`'i'`, `'d'`, `'q'`...) or a name (`'int32'`, `'float64'`...).
 * @returns what it stands for.
 * @throws InvalidArgumentError for an unknown typecode, naming the accepted ones.
 * @example
 * ```ts
 * import { typecodeInfo } from '@multiproc/shared';
 * console.log(typecodeInfo('d').name, typecodeInfo('q').bigint); // float64 true
 * ```
 */
export function typecodeInfo(typecode: Typecode): TypecodeInfo {
  const name = typeof typecode === 'string' ? (Object.hasOwn(PYTHON, typecode) ? PYTHON[typecode as PythonTypecode] : typecode) : undefined;
  const found = name !== undefined && Object.hasOwn(BY_NAME, name) ? BY_NAME[name as TypecodeName] : undefined;
  if (!found) {
    throw new InvalidArgumentError(
      `unknown typecode ${JSON.stringify(typecode)}; use one of Python's b B h H i I l L q Q f d, or int8 uint8 int16 uint16 int32 uint32 float32 float64 bigint64 biguint64`,
    );
  }
  return found;
}

/** @internal Checks that `value` fits the typecode; returns it. `what` names it in the message. */
export function checkElement(type: TypecodeInfo, value: unknown, what: string): number | bigint {
  // Small on purpose (inlined into the caller's loop): the messages are built out of line.
  if (typeof value === 'number') {
    if (!type.integer || (!type.bigint && Number.isInteger(value) && value >= (type.min as number) && value <= (type.max as number))) return value;
  } else if (typeof value === 'bigint' && type.bigint && value >= (type.min as bigint) && value <= (type.max as bigint)) {
    return value;
  }
  return badElement(type, value, what);
}

/** Throws the error that says why `value` does not fit the typecode (see {@link checkElement}). */
function badElement(type: TypecodeInfo, value: unknown, what: string): never {
  if (type.bigint) {
    if (typeof value !== 'bigint') {
      throw new InvalidArgumentError(`${what} must be a bigint for typecode ${type.name} (e.g. 5n), got ${typeof value}`);
    }
  } else if (typeof value !== 'number') {
    throw new InvalidArgumentError(`${what} must be a number for typecode ${type.name}, got ${typeof value}`);
  } else if (type.integer && !Number.isInteger(value)) {
    throw new InvalidArgumentError(`${what} must be an integer for typecode ${type.name}, got ${value}`);
  }
  if (type.integer && ((value as number | bigint) < type.min || (value as number | bigint) > type.max)) {
    throw new InvalidArgumentError(`${what} ${String(value)} is out of range for typecode ${type.name} (${String(type.min)} to ${String(type.max)})`);
  }
  throw new InvalidArgumentError(`${what} does not fit typecode ${type.name}: ${String(value)}`);
}

/** @internal Reads element `index` (atomically for integer types). */
export function readElement(type: TypecodeInfo, view: TypedView, index: number): number | bigint {
  return type.integer ? Atomics.load(view as Int32Array, index) : (view[index] as number);
}

/**
 * @internal Writes element `index`. Integer elements are never torn: bigints through `Atomics.store`, the
 * others with a plain store, which the JavaScript memory model already makes tear-free for aligned integer
 * elements of up to 32 bits (and which costs a third of an `Atomics.store` on Node 20). Readers use
 * `Atomics.load`, so they see the latest value; a write made under a lock is ordered by the lock's atomic
 * operations like every other write in the critical section.
 */
export function writeElement(type: TypecodeInfo, view: TypedView, index: number, value: number | bigint): void {
  if (type.bigint) Atomics.store(view as BigInt64Array, index, value as bigint);
  else view[index] = value as number;
}
