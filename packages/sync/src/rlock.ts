/**
 * `RLock`: a reentrant lock, as Python's `multiprocessing.RLock`: the thread that holds it may acquire it
 * again, and must release it as many times. Shared memory between threads, a proxy in child processes,
 * abandoned-holder detection as {@link Lock}.
 *
 * @packageDocumentation
 */
import { registerReviver, type ReviveContext } from '@multiproc/transport';
import { MutexHandle, mutexInit, type MutexInit } from './internal/mutex-handle.js';

/**
 * A reentrant lock: an owner (the thread that acquired it) and a count. The owner may acquire it again
 * (the count goes up); each `release` brings it down, and the lock is free at zero. Only the owner may
 * release it ({@link LockNotHeldError} otherwise).
 *
 * Ownership is per thread, as in Python's `threading.RLock`: two async flows on the same thread (two
 * `await`ing functions on the main thread) are the same owner, so an RLock does not exclude them from each
 * other. To exclude concurrent async flows on one thread, use {@link Lock}. In a child process, the owner is
 * the thread of that process that acquired it through the proxy.
 *
 * @example
 * ```ts
 * import { RLock } from '@multiproc/sync';
 * const lock = new RLock();
 * await lock.acquire();
 * await lock.acquire(); // the owner may enter again
 * lock.release();
 * lock.release(); // free now
 * ```
 * @see https://multiproc.dev/guide/sync
 */
export class RLock extends MutexHandle {
  protected readonly reviverName = 'reviveRLock';
  protected readonly reviverUrl = import.meta.url;

  /** Creates an unlocked reentrant lock. */
  constructor();
  /** @internal */
  constructor(init: MutexInit);
  constructor(init: MutexInit = { kind: 'new' }) {
    super(true, init);
  }
}

/** Revives a RLock that crossed a thread or process boundary (called by the codec). */
function reviveRLock(data: unknown, context: ReviveContext): RLock {
  return new RLock(mutexInit(data, context, 'RLock'));
}

registerReviver(import.meta.url, 'reviveRLock', reviveRLock);
