/**
 * `SharedArray`: a fixed-length array of one typecode in shared memory with a lock, as Python's
 * `multiprocessing.Array` (renamed: `Array` is JavaScript's own).
 *
 * @packageDocumentation
 */
import { InvalidStateError, registerReviver, type ReviveContext } from '@multiproc/transport';
import type { Lock, RLock } from '@multiproc/sync';
import { reviveCells, type Cells } from './internal/cells.js';
import { resolveLock } from './internal/lock-option.js';
import { RawArray } from './raw-array.js';
import type { Typecode, ValueOf } from './typecodes.js';
import type { SyncOptions } from './value.js';

/**
 * A fixed-length array of one typecode in shared memory with a lock, as Python's
 * `Array(typecode, size_or_initializer, lock=True)`: everything {@link RawArray} has, plus `getLock()` for
 * updates that span several reads and writes. Each single `get`/`set` is atomic on its own.
 *
 * @typeParam T - the typecode; elements are bigints for `q Q l L bigint64 biguint64`, numbers otherwise.
 * @example
 * ```ts
 * import { SharedArray } from '@multiproc/shared';
 * const totals = new SharedArray('q', 4); // four bigints, 0n
 * const lock = totals.getLock();
 * await lock.acquire();
 * try {
 *   totals.set(0, totals.get(0) + 10n);
 * } finally {
 *   lock.release();
 * }
 * console.log(totals.length, totals.get(0)); // 4 10n
 * ```
 * @see https://multiproc.dev/guide/shared
 */
export class SharedArray<T extends Typecode = Typecode> extends RawArray<T> {
  readonly #lock: Lock | RLock | undefined;
  /** @internal */
  protected override readonly reviverUrl: string = import.meta.url;
  /** @internal */
  protected override readonly reviverName: string = 'reviveSharedArray';

  /**
   * @param typecode - a Python typecode or a name (see {@link Typecode}).
   * @param sizeOrInit - the length (elements start at zero), or the initial elements.
   * @param options - `lock`: `true` (default, a new RLock), `false` (none), or a Lock/RLock.
   * @throws InvalidArgumentError for an unknown typecode, a negative size, a bad element or lock option.
   */
  constructor(typecode: T, sizeOrInit: number | Iterable<ValueOf<T>>, options?: SyncOptions);
  /** @internal */
  constructor(typecode: T, sizeOrInit: number | Iterable<ValueOf<T>>, options: SyncOptions, cells: Cells);
  constructor(typecode: T, sizeOrInit: number | Iterable<ValueOf<T>>, options: SyncOptions = {}, cells?: Cells) {
    if (cells !== undefined) super(typecode, sizeOrInit, cells);
    else super(typecode, sizeOrInit);
    this.#lock = cells !== undefined ? (typeof options.lock === 'object' ? options.lock : undefined) : resolveLock(options.lock, 'SharedArray');
  }

  /**
   * The lock that guards this array, as Python's `get_lock()`.
   *
   * @returns the Lock or RLock.
   * @throws InvalidStateError for an array created with `lock: false`.
   */
  getLock(): Lock | RLock {
    if (this.#lock === undefined) throw new InvalidStateError('this SharedArray was created with lock: false and has no lock');
    return this.#lock;
  }

  /** @internal */
  protected override describeExtra(): unknown {
    return this.#lock;
  }
}

registerReviver(import.meta.url, 'reviveSharedArray', (data: unknown, context: ReviveContext) => {
  const { cells, extra } = reviveCells(data, context, 'SharedArray');
  return new SharedArray(cells.typecode, 0, { lock: (extra as Lock | RLock | undefined) ?? false }, cells);
});
