/**
 * `Lock`: a non-recursive mutual-exclusion lock shared between threads and processes, as Python's
 * `multiprocessing.Lock`. Between worker threads it lives in a SharedArrayBuffer (futex-style: a
 * compare-and-swap when free, a brief spin then a park when taken); a child process gets a proxy served by
 * the owner. Robust: a holder that dies holding it is detected and the next acquirer is told with
 * {@link AbandonedLockError}.
 *
 * @packageDocumentation
 */
import { registerReviver, type ReviveContext } from '@multiproc/transport';
import { MutexHandle, mutexInit, type MutexInit } from './internal/mutex-handle.js';

export type { LockGuard, LockOptions } from './internal/mutex-handle.js';
export type { AcquireOptions } from './internal/remote.js';

/**
 * A mutual-exclusion lock for threads and processes, as Python's `multiprocessing.Lock`: `acquire` (async,
 * never blocks the event loop), `acquireSync` (blocks, for workers), `release`, `locked`, and `lock()` for
 * `using`. Pass it to a `Process` or a pool task as an argument, or send it through a `Queue`: every copy
 * is the same lock. Not recursive: a second acquire by the same thread waits (use {@link RLock} for that).
 * Like Python's, a Lock may be released by a thread other than the one that acquired it. Because the holder
 * is recorded (its thread and process), a holder that dies while holding the lock is detected: the lock is
 * released and the next acquirer gets {@link AbandonedLockError}, where Python would deadlock.
 *
 * On worker threads the lock lives in shared memory (millions of uncontended operations a second); in a
 * child process it is a proxy whose calls go to the owner (tens of microseconds each).
 *
 * @example
 * ```ts
 * import { Lock } from '@multiproc/sync';
 * const lock = new Lock();
 * {
 *   using held = await lock.lock();
 *   // critical section
 * }
 * if (await lock.acquire({ timeout: 100 })) {
 *   try {
 *     // critical section
 *   } finally {
 *     lock.release();
 *   }
 * }
 * ```
 * @see https://multiproc.dev/guide/sync
 */
export class Lock extends MutexHandle {
  protected readonly reviverName = 'reviveLock';
  protected readonly reviverUrl = import.meta.url;

  /** Creates an unlocked lock. */
  constructor();
  /** @internal */
  constructor(init: MutexInit);
  constructor(init: MutexInit = { kind: 'new' }) {
    super(false, init);
  }
}

/** Revives a Lock that crossed a thread or process boundary (called by the codec). */
function reviveLock(data: unknown, context: ReviveContext): Lock {
  return new Lock(mutexInit(data, context, 'Lock'));
}

registerReviver(import.meta.url, 'reviveLock', reviveLock);
