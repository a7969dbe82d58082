/**
 * `@multiproc/sync`: Python's `multiprocessing` synchronization primitives for Node.js — `Lock`, `RLock`,
 * `Semaphore`, `BoundedSemaphore`, `Condition`, `Event` and `Barrier` — shared between worker threads
 * through SharedArrayBuffers and Atomics, and served to child processes by their owner as proxies with the
 * same API (synchronous members included).
 *
 * @packageDocumentation
 */
export { Lock } from './lock.js';
export type { AcquireOptions, LockGuard, LockOptions } from './lock.js';
export { RLock } from './rlock.js';
export { Semaphore } from './semaphore.js';
export { BoundedSemaphore } from './bounded-semaphore.js';
export { Condition } from './condition.js';
export { Event } from './event.js';
export { Barrier } from './barrier.js';
export type { BarrierOptions } from './barrier.js';
export { AbandonedLockError, BrokenBarrierError, LockNotHeldError, OverReleaseError } from './errors.js';
