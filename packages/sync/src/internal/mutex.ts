/**
 * The futex-style mutex behind `Lock` and `RLock`, parameterised by the holder token so that the same code
 * serves the local thread and, in the owner process, proxies acting for threads of other processes.
 *
 * ```
 * state = Int32Array [owner token (0: free), parked waiters, recursion count, 0]
 * ```
 *
 * Acquire: compare-and-swap 0 -> token; otherwise count yourself as a waiter, spin briefly and park on the
 * owner word while it holds the value seen (so a release in between is never missed), in slices of
 * {@link SLICE_MS}; after a slice, check that the holder is alive. Release: store 0 and wake one waiter, only
 * if someone is parked. A waiter that gives up passes a wake-up it may have consumed on to the next one.
 */
import { notify, waitAsync, waitSync } from '@multiproc/transport';
import { AbandonedLockError, LockNotHeldError } from '../errors.js';
import { describeHolder, isAlive, SLICE_MS, type LivenessTable } from './liveness.js';
import { deadlineOf, leftUntil } from './remote.js';

const OWNER = 0;
const WAITERS = 1;
const COUNT = 2;

/** Bytes of a mutex's shared state. */
export const MUTEX_BYTES = 16;

/** A mutex over shared memory. `recursive` makes it an RLock (owner plus count). */
export class Mutex {
  readonly state: Int32Array;
  readonly table: LivenessTable;
  readonly recursive: boolean;

  constructor(buffer: SharedArrayBuffer, table: LivenessTable, recursive: boolean) {
    this.state = new Int32Array(buffer);
    this.table = table;
    this.recursive = recursive;
  }

  /**
   * One attempt. Returns whether the lock was taken. With `checkHolder`, a dead holder is detected: the lock
   * is taken back from it, released, and {@link AbandonedLockError} thrown.
   */
  tryAcquire(token: number, checkHolder: boolean): boolean {
    const state = this.state;
    const current = Atomics.compareExchange(state, OWNER, 0, token);
    if (current === 0) {
      if (this.recursive) Atomics.store(state, COUNT, 1);
      return true;
    }
    if (this.recursive && current === token) {
      Atomics.add(state, COUNT, 1);
      return true;
    }
    if (checkHolder) this.checkHolder(current);
    return false;
  }

  /** Throws {@link AbandonedLockError} (after releasing the lock) when `holder` is dead. */
  checkHolder(holder: number): void {
    if (holder === 0 || isAlive(this.table, holder)) return;
    const state = this.state;
    if (Atomics.compareExchange(state, OWNER, holder, 0) !== holder) return;
    Atomics.store(state, COUNT, 0);
    if (Atomics.load(state, WAITERS) > 0) notify(state, OWNER);
    throw new AbandonedLockError(describeHolder(this.table, holder));
  }

  acquireSync(token: number, block: boolean, timeout: number | undefined): boolean {
    if (this.tryAcquire(token, !block)) return true;
    if (!block) return false;
    const state = this.state;
    const deadline = deadlineOf(timeout);
    Atomics.add(state, WAITERS, 1);
    try {
      for (;;) {
        const current = Atomics.load(state, OWNER);
        if (current === 0 || (this.recursive && current === token)) {
          if (this.tryAcquire(token, false)) return true;
          continue;
        }
        const left = leftUntil(deadline);
        if (left <= 0) {
          this.#passOn();
          return false;
        }
        if (waitSync(state, OWNER, current, Math.min(left, SLICE_MS)) === 'timed-out') this.checkHolder(current);
      }
    } finally {
      Atomics.sub(state, WAITERS, 1);
    }
  }

  async acquireAsync(token: number, block: boolean, timeout: number | undefined): Promise<boolean> {
    if (this.tryAcquire(token, !block)) return true;
    if (!block) return false;
    const state = this.state;
    const deadline = deadlineOf(timeout);
    Atomics.add(state, WAITERS, 1);
    try {
      for (;;) {
        const current = Atomics.load(state, OWNER);
        if (current === 0 || (this.recursive && current === token)) {
          if (this.tryAcquire(token, false)) return true;
          continue;
        }
        const left = leftUntil(deadline);
        if (left <= 0) {
          this.#passOn();
          return false;
        }
        if ((await waitAsync(state, OWNER, current, Math.min(left, SLICE_MS))) === 'timed-out') this.checkHolder(current);
      }
    } finally {
      Atomics.sub(state, WAITERS, 1);
    }
  }

  /** A waiter leaves without the lock: if the lock is free and others wait, wake one of them. */
  #passOn(): void {
    const state = this.state;
    if (Atomics.load(state, OWNER) === 0 && Atomics.load(state, WAITERS) > 1) notify(state, OWNER, 1);
  }

  /** Releases for `token` (a Lock may be released by anyone, as in Python; an RLock only by its owner). */
  release(token: number): void {
    const state = this.state;
    if (this.recursive) {
      if (Atomics.load(state, OWNER) !== token) {
        throw new LockNotHeldError('cannot release an RLock that this thread does not hold (an RLock is owned by the thread that acquired it)');
      }
      const count = Atomics.load(state, COUNT) - 1;
      if (count > 0) {
        Atomics.store(state, COUNT, count);
        return;
      }
      Atomics.store(state, COUNT, 0);
      Atomics.store(state, OWNER, 0);
    } else if (Atomics.exchange(state, OWNER, 0) === 0) {
      throw new LockNotHeldError('cannot release a Lock that is not locked');
    }
    if (Atomics.load(state, WAITERS) > 0) notify(state, OWNER, 1);
  }

  /** Whether the lock is held (by anyone alive). */
  locked(): boolean {
    const holder = Atomics.load(this.state, OWNER);
    return holder !== 0 && isAlive(this.table, holder);
  }

  /** Whether `token` holds the lock (RLock), or anyone does (Lock, as Python's `_is_owned`). */
  isOwned(token: number): boolean {
    const holder = Atomics.load(this.state, OWNER);
    return this.recursive ? holder === token : holder !== 0;
  }

  /** The recursion count of an RLock (0 when free). */
  count(): number {
    return Atomics.load(this.state, COUNT);
  }

  /** Releases completely (for Condition.wait) and returns what to restore. */
  releaseSave(token: number): number {
    const state = this.state;
    const count = this.recursive ? Atomics.load(state, COUNT) : 1;
    if (this.recursive) Atomics.store(state, COUNT, 1);
    this.release(token);
    return count;
  }

  /** Acquires again after {@link releaseSave}. */
  restoreSync(token: number, count: number): void {
    this.acquireSync(token, true, undefined);
    if (this.recursive) Atomics.store(this.state, COUNT, count);
  }

  /** Acquires again after {@link releaseSave}, without blocking. */
  async restoreAsync(token: number, count: number): Promise<void> {
    await this.acquireAsync(token, true, undefined);
    if (this.recursive) Atomics.store(this.state, COUNT, count);
  }
}
