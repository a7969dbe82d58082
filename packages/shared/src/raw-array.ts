/**
 * `RawArray`: a fixed-length array of one typecode in shared memory without a lock, as Python's
 * `multiprocessing.RawArray`.
 *
 * @packageDocumentation
 */
import {
  describeShareable,
  InvalidArgumentError,
  registerReviver,
  type ReviveContext,
  type ShareContext,
  type ShareDescriptor,
} from '@multiproc/transport';
import { Cells, reviveCells } from './internal/cells.js';
import { checkElement, typecodeInfo, type Typecode, type ValueOf, type ViewOf } from './typecodes.js';

/** @internal Builds the cells of a new array from a size or initial elements. */
export function createCells(typecode: Typecode, sizeOrInit: unknown, what: string): Cells {
  const type = typecodeInfo(typecode);
  if (typeof sizeOrInit === 'number') {
    if (!Number.isInteger(sizeOrInit) || sizeOrInit < 0) {
      throw new InvalidArgumentError(`${what}: the size must be an integer >= 0, got ${sizeOrInit}`);
    }
    return new Cells(typecode, sizeOrInit, undefined);
  }
  if (sizeOrInit === null || typeof sizeOrInit !== 'object' || typeof (sizeOrInit as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError(`${what}: pass a size (an integer >= 0) or an iterable of initial elements, got ${String(sizeOrInit)}`);
  }
  const items = [...(sizeOrInit as Iterable<unknown>)];
  items.forEach((item, i) => checkElement(type, item, `element ${i}`));
  const cells = new Cells(typecode, items.length, undefined);
  const view = cells.view(what);
  for (let i = 0; i < items.length; i++) view[i] = items[i] as never;
  return cells;
}

/**
 * A fixed-length array of one typecode in shared memory, with no lock, as Python's
 * `RawArray(typecode, size_or_initializer)`. `get`/`set` (negative indices count from the end, as in
 * Python), `length`, iteration, and `view`: the typed array over the shared memory itself (threads only).
 * In a child process the array is a proxy to its owner: `get`/`set` work (a blocking call each), `view`
 * throws UnsupportedError.
 *
 * @typeParam T - the typecode; elements are bigints for `q Q l L bigint64 biguint64`, numbers otherwise.
 * @example
 * ```ts
 * import { RawArray } from '@multiproc/shared';
 * const samples = new RawArray('d', [0.5, 1.5, 2.5]);
 * samples.set(-1, 3.5);
 * console.log([...samples]); // [0.5, 1.5, 3.5]
 * samples.view.fill(0); // a Float64Array over the shared memory
 * ```
 * @see https://multiproc.dev/guide/shared
 */
export class RawArray<T extends Typecode = Typecode> implements Iterable<ValueOf<T>> {
  /** @internal */
  protected readonly cells: Cells;
  /** @internal */
  protected readonly reviverUrl: string = import.meta.url;
  /** @internal */
  protected readonly reviverName: string = 'reviveRawArray';

  /**
   * @param typecode - a Python typecode or a name (see {@link Typecode}).
   * @param sizeOrInit - the length (elements start at zero), or the initial elements.
   * @throws InvalidArgumentError for an unknown typecode, a negative size, or an element of the wrong type.
   */
  constructor(typecode: T, sizeOrInit: number | Iterable<ValueOf<T>>);
  /** @internal */
  constructor(typecode: T, sizeOrInit: number | Iterable<ValueOf<T>>, cells: Cells);
  constructor(typecode: T, sizeOrInit: number | Iterable<ValueOf<T>>, cells?: Cells) {
    if (cells !== undefined) {
      this.cells = cells;
      cells.hold(this);
    } else {
      this.cells = createCells(typecode, sizeOrInit, new.target.name);
    }
  }

  /** The typecode it was created with. */
  get typecode(): T {
    return this.cells.typecode as T;
  }

  /** The number of elements (fixed). */
  get length(): number {
    return this.cells.length;
  }

  /**
   * The typed array over the shared memory (an `Int32Array` for `'i'`, a `Float64Array` for `'d'`...).
   * Writes through it are seen by every thread; use Atomics on it for atomic updates.
   * @throws UnsupportedError in a child process, where memory is not shared: use `get`/`set`.
   */
  get view(): ViewOf<T> {
    return this.cells.view('view') as ViewOf<T>;
  }

  /**
   * Reads an element.
   *
   * @param index - the index; negative counts from the end.
   * @returns the element.
   * @throws InvalidArgumentError for an index out of range.
   */
  get(index: number): ValueOf<T> {
    return this.cells.get(index) as ValueOf<T>;
  }

  /**
   * Writes an element.
   *
   * @param index - the index; negative counts from the end.
   * @param value - the new element.
   * @throws InvalidArgumentError for an index out of range, or a value of the wrong type or out of range.
   */
  set(index: number, value: ValueOf<T>): void {
    this.cells.set(index, value);
  }

  /**
   * A copy of the elements as a plain array (one call for a proxy).
   *
   * @returns the elements.
   */
  toArray(): Array<ValueOf<T>> {
    return this.cells.toArray() as Array<ValueOf<T>>;
  }

  /** Iterates over a snapshot of the elements. */
  [Symbol.iterator](): Iterator<ValueOf<T>> {
    return this.toArray()[Symbol.iterator]();
  }

  /** @internal Describes the array for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    return this.cells.describe(context, this.reviverUrl, this.reviverName, this.describeExtra());
  }

  /** @internal Extra descriptor data of subclasses (the lock). */
  protected describeExtra(): unknown {
    return undefined;
  }
}

registerReviver(import.meta.url, 'reviveRawArray', (data: unknown, context: ReviveContext) => {
  const { cells } = reviveCells(data, context, 'RawArray');
  return new RawArray(cells.typecode, 0, cells);
});
