/**
 * `RawValue`: one number (or bigint) in shared memory without a lock, as Python's
 * `multiprocessing.RawValue`.
 *
 * @packageDocumentation
 */
import { describeShareable, registerReviver, type ReviveContext, type ShareContext, type ShareDescriptor } from '@multiproc/transport';
import { Cells, reviveCells } from './internal/cells.js';
import { checkElement, typecodeInfo, type Typecode, type ValueOf } from './typecodes.js';

/**
 * One element of a typecode in shared memory, with no lock, as Python's `RawValue(typecode, init)`. Each
 * read and write of `.value` is atomic on its own (integer elements are never torn; reads are
 * `Atomics.load`, so they see the latest write); a compound update like `+=` needs a lock (use
 * {@link Value}). Between worker threads the memory is shared; in a child process the object is a proxy to
 * its owner and each access is a blocking call.
 *
 * @typeParam T - the typecode; `.value` is a `bigint` for `q Q l L bigint64 biguint64`, a `number` otherwise.
 * @example
 * ```ts
 * import { RawValue } from '@multiproc/shared';
 * const hits = new RawValue('i', 0);
 * hits.value = 41;
 * hits.value += 1;
 * console.log(hits.value); // 42
 * ```
 * @see https://multiproc.dev/guide/shared
 */
export class RawValue<T extends Typecode = Typecode> {
  /** @internal */
  protected readonly cells: Cells;
  /** @internal */
  protected readonly reviverUrl: string = import.meta.url;
  /** @internal */
  protected readonly reviverName: string = 'reviveRawValue';

  /**
   * @param typecode - a Python typecode or a name (see {@link Typecode}).
   * @param init - the initial value (default 0, or 0n for bigint typecodes).
   * @throws InvalidArgumentError for an unknown typecode, or an init of the wrong type or out of range.
   */
  constructor(typecode: T, init?: ValueOf<T>);
  /** @internal */
  constructor(typecode: T, init: ValueOf<T> | undefined, cells: Cells);
  constructor(typecode: T, init?: ValueOf<T>, cells?: Cells) {
    if (cells !== undefined) {
      this.cells = cells;
      cells.hold(this);
      return;
    }
    const type = typecodeInfo(typecode);
    const initial = init === undefined ? (type.bigint ? 0n : 0) : checkElement(type, init, 'init');
    this.cells = new Cells(typecode, 1, undefined);
    if (initial !== 0 && initial !== 0n) this.cells.set(0, initial);
  }

  /** The typecode it was created with. */
  get typecode(): T {
    return this.cells.typecode as T;
  }

  /**
   * The value. Reading and writing are each atomic; a read-modify-write (`+=`) is not: hold a lock for that.
   * @throws InvalidArgumentError when set to a value of the wrong type or out of range.
   */
  get value(): ValueOf<T> {
    return this.cells.first() as ValueOf<T>;
  }

  set value(value: ValueOf<T>) {
    this.cells.setFirst(value);
  }

  /** @internal Describes the value for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    return this.cells.describe(context, this.reviverUrl, this.reviverName, this.describeExtra());
  }

  /** @internal Extra descriptor data of subclasses (the lock). */
  protected describeExtra(): unknown {
    return undefined;
  }
}

registerReviver(import.meta.url, 'reviveRawValue', (data: unknown, context: ReviveContext) => {
  const { cells } = reviveCells(data, context, 'RawValue');
  return new RawValue(cells.typecode, undefined, cells);
});
