/**
 * `Value`: one number (or bigint) in shared memory with a lock for compound updates, as Python's
 * `multiprocessing.Value`.
 *
 * @packageDocumentation
 */
import { InvalidStateError, registerReviver, type ReviveContext } from '@multiproc/transport';
import type { Lock, RLock } from '@multiproc/sync';
import type { Cells } from './internal/cells.js';
import { reviveCells } from './internal/cells.js';
import { resolveLock } from './internal/lock-option.js';
import { RawValue } from './raw-value.js';
import type { Typecode, ValueOf } from './typecodes.js';

/**
 * Options of {@link Value} and {@link SharedArray}, as Python's `lock=` argument: `true` (default) for a new
 * RLock, `false` for none (then `getLock()` throws), or a `Lock`/`RLock` of your own to share one lock
 * between several objects.
 *
 * @example
 * ```ts
 * import { Lock } from '@multiproc/sync';
 * import { SharedArray, Value, type SyncOptions } from '@multiproc/shared';
 * const shared: SyncOptions = { lock: new Lock() };
 * const count = new Value('i', 0, shared);
 * const sums = new SharedArray('d', 8, shared); // guarded by the same Lock as count
 * const unguarded = new Value('d', 0.5, { lock: false }); // like a RawValue
 * console.log(count.getLock() === sums.getLock(), unguarded.value); // true 0.5
 * ```
 */
export interface SyncOptions {
  /** `true` (default): a new RLock; `false`: no lock; or your own `Lock`/`RLock`. */
  lock?: boolean | Lock | RLock;
}

/**
 * One element of a typecode in shared memory with a lock, as Python's `Value(typecode, init, lock=True)`.
 * Hold `getLock()` for a read-modify-write such as `+=`; each single read or write of `.value` is atomic on
 * its own (Python's `.value` takes the lock on every access instead; here it does not, so a non-reentrant
 * `Lock` held around `.value` does not deadlock, and plain reads are fast). Pass it to a `Process` or pool
 * task: threads share its memory, child processes get a proxy (each access a blocking call to the owner).
 *
 * @typeParam T - the typecode; `.value` is a `bigint` for `q Q l L bigint64 biguint64`, a `number` otherwise.
 * @example
 * ```ts
 * import { Value } from '@multiproc/shared';
 * const counter = new Value('i', 0);
 * // in each worker:
 * const lock = counter.getLock();
 * await lock.acquire();
 * try {
 *   counter.value += 1;
 * } finally {
 *   lock.release();
 * }
 * ```
 * @see https://multiproc.dev/guide/shared
 */
export class Value<T extends Typecode = Typecode> extends RawValue<T> {
  readonly #lock: Lock | RLock | undefined;
  /** @internal */
  protected override readonly reviverUrl: string = import.meta.url;
  /** @internal */
  protected override readonly reviverName: string = 'reviveValue';

  /**
   * @param typecode - a Python typecode or a name (see {@link Typecode}).
   * @param init - the initial value (default 0, or 0n for bigint typecodes).
   * @param options - `lock`: `true` (default, a new RLock), `false` (none), or a Lock/RLock.
   * @throws InvalidArgumentError for an unknown typecode, a bad init or a bad lock option.
   */
  constructor(typecode: T, init?: ValueOf<T>, options?: SyncOptions);
  /** @internal */
  constructor(typecode: T, init: ValueOf<T> | undefined, options: SyncOptions, cells: Cells);
  constructor(typecode: T, init?: ValueOf<T>, options: SyncOptions = {}, cells?: Cells) {
    if (cells !== undefined) super(typecode, undefined, cells);
    else super(typecode, init);
    this.#lock = cells !== undefined ? (typeof options.lock === 'object' ? options.lock : undefined) : resolveLock(options.lock, 'Value');
  }

  /**
   * The lock that guards this value, as Python's `get_lock()`.
   *
   * @returns the Lock or RLock.
   * @throws InvalidStateError for a value created with `lock: false`.
   */
  getLock(): Lock | RLock {
    if (this.#lock === undefined) throw new InvalidStateError('this Value was created with lock: false and has no lock');
    return this.#lock;
  }

  /** @internal */
  protected override describeExtra(): unknown {
    return this.#lock;
  }
}

registerReviver(import.meta.url, 'reviveValue', (data: unknown, context: ReviveContext) => {
  const { cells, extra } = reviveCells(data, context, 'Value');
  return new Value(cells.typecode, undefined, { lock: (extra as Lock | RLock | undefined) ?? false }, cells);
});
