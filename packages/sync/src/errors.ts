/**
 * The errors of `@multiproc/sync`. Each failure has its own subclass of {@link MultiprocError} with a stable
 * `code`, registered with `registerErrorClass` so that it is revived as the same class when it crosses a
 * thread or process boundary (a proxy in a child process sees the owner's `AbandonedLockError` as one).
 *
 * Timeouts are not errors here, as in Python: `acquire` returns `false`, `Event.wait` and `Condition.wait`
 * return `false`; only a `Barrier` fails a timed-out wait, with {@link BrokenBarrierError}.
 *
 * @packageDocumentation
 */
import { MultiprocError, registerErrorClass, type MultiprocErrorOptions } from '@multiproc/transport';

/**
 * Thrown to the next acquirer of a `Lock` or `RLock` whose holder died while holding it (a worker thread
 * ended mid-critical-section, a child process killed). The lock has been released: it is free again and the
 * next `acquire` works as usual, but the data the lock protects may be half-updated; check it first.
 * Python has no equivalent (a dead holder deadlocks `multiprocessing.Lock`); POSIX robust mutexes report
 * `EOWNERDEAD` the same way.
 *
 * @example
 * ```ts
 * import { Lock, AbandonedLockError } from '@multiproc/sync';
 * const lock = new Lock();
 * try {
 *   await lock.acquire();
 * } catch (error) {
 *   if (AbandonedLockError.isInstance(error)) {
 *     // repair the shared state, then acquire again
 *     await lock.acquire();
 *   }
 * }
 * lock.release();
 * ```
 */
export class AbandonedLockError extends MultiprocError {
  /** Who held the lock, e.g. `thread 3 of process 4242`. */
  readonly holder: string;
  /**
   * @param holder - a description of the dead holder.
   * @param options - `cause`.
   */
  constructor(holder: string, options: MultiprocErrorOptions = {}) {
    super(
      `the holder of this lock (${holder}) ended while holding it; the lock was released, but the data it protects may be inconsistent. ` +
        'Check or repair that data, then acquire the lock again.',
      'ERR_LOCK_ABANDONED',
      options,
    );
    this.holder = holder;
  }
}

/**
 * Thrown by `Barrier.wait` to every waiter of a barrier that broke: a wait timed out, `abort()` or `reset()`
 * was called while parties waited, or the barrier's `action` threw (its error is the `cause`). As in Python,
 * a broken barrier stays broken (every later `wait` throws) until `reset()`.
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError } from '@multiproc/sync';
 * const barrier = new Barrier(2);
 * barrier.abort();
 * try {
 *   await barrier.wait();
 * } catch (error) {
 *   console.log(BrokenBarrierError.isInstance(error)); // true
 * }
 * ```
 */
export class BrokenBarrierError extends MultiprocError {
  /**
   * @param message - why the barrier broke.
   * @param options - `cause`: the action's error, if that is what broke it.
   */
  constructor(message = 'the barrier is broken', options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_BROKEN_BARRIER', options);
  }
}

/**
 * Thrown when an operation needs a lock that the caller does not hold: releasing an unlocked `Lock`,
 * releasing an `RLock` owned by another thread, calling `Condition.wait`/`notify` without holding the
 * condition's lock. Python raises `RuntimeError` (and `ValueError` for an over-released `multiprocessing.Lock`).
 *
 * @example
 * ```ts
 * import { Lock, LockNotHeldError } from '@multiproc/sync';
 * try {
 *   new Lock().release();
 * } catch (error) {
 *   console.log(LockNotHeldError.isInstance(error)); // true
 * }
 * ```
 */
export class LockNotHeldError extends MultiprocError {
  /**
   * @param message - what was attempted without the lock.
   * @param options - `cause`.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_LOCK_NOT_HELD', options);
  }
}

/**
 * Thrown when a `BoundedSemaphore` is released more times than it was acquired (its value would exceed the
 * initial value). Python raises `ValueError('Semaphore released too many times')`.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore, OverReleaseError } from '@multiproc/sync';
 * const semaphore = new BoundedSemaphore(1);
 * try {
 *   semaphore.release();
 * } catch (error) {
 *   console.log(OverReleaseError.isInstance(error)); // true
 * }
 * ```
 */
export class OverReleaseError extends MultiprocError {
  /**
   * @param message - what was released and what the bound is.
   * @param options - `cause`.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_SEMAPHORE_OVER_RELEASE', options);
  }
}

for (const errorClass of [AbandonedLockError, BrokenBarrierError, LockNotHeldError, OverReleaseError]) {
  registerErrorClass(errorClass);
}
