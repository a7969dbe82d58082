/**
 * The futex-style mutex behind `Lock` and `RLock`, parameterised by the holder token so that the same code
 * serves the local thread and, in the owner process, proxies acting for threads of other processes.
 *
 * ```
 * state = Int32Array [owner token (0: free), parked waiters, extra depth (RLock), hungry waiters, wake count, 0, 0, 0]
 * ```
 *
 * Acquire: compare-and-swap 0 -> token. An RLock acquired again by its owner counts the extra depth in
 * `state[2]`, which only the owner touches (a free lock always has 0 there), so the first acquire and the
 * last release are one atomic operation on the owner word each, as for a Lock. When the lock is taken the
 * acquirer spins briefly (re-reading the owner word, and trying again when it turns 0), then parks on the
 * wake count (an event count: read after the waiter counted itself in and before it looks at the lock once
 * more, so a release in between is never missed), in slices of {@link SLICE_MS}; after a slice it checks
 * that the holder is alive. Whoever wakes a waiter bumps the wake count; plain acquires and releases never
 * touch it, so a holder that loops does not make parked waiters return (and steal the lock in its gaps).
 *
 * The waiter count holds only the waiters that are parked or about to park (not the spinning ones): a
 * waiter adds itself just before it parks; whoever wakes it (`Atomics.notify` reports how many it woke)
 * takes it off again, and a waiter that returns for any other reason (timed out, or the owner word had
 * changed already) takes itself off. So a release calls `Atomics.notify` only while someone is parked and
 * not yet woken: a holder that re-acquires the lock many times while a woken waiter is on its way does not
 * pay for a notify on every release. A waiter that gives up passes a wake-up it may have consumed on to
 * the next one.
 *
 * Holder preference (bounded): a release from async code (the releasing thread's last acquire was async)
 * with waiters parked does not wake one at once, but in a microtask, and only if the lock is still free
 * then: a loop that takes the lock straight back keeps it, instead of paying a wake-up and a hand-over
 * every few microseconds (with two workers incrementing a counter under the lock, that cut throughput by
 * more than half). Once such a re-take is seen, the thread's releases skip the wake-up until no waiter is
 * left or it has to wait itself; and when a waiter does take the lock from it, it parks at once instead of
 * spinning to snatch the lock back (the two would then hand it over on every iteration). The bound: a
 * waiter's first park lasts {@link HUNGRY_MS}; after it, the waiter counts itself in `state[3]` (hungry),
 * and while any waiter is hungry every release wakes at once. Releases after a blocking acquire always wake
 * at once.
 */
import { keepAliveUntil } from '@multiproc/transport';
import { AbandonedLockError, LockNotHeldError } from '../errors.js';
import { describeHolder, isAlive, SLICE_MS, type LivenessTable } from './liveness.js';
import { deadlineOf, leftUntil } from './remote.js';

const OWNER = 0;
const WAITERS = 1;
const DEPTH = 2;
const HUNGRY = 3;
/** The word waiters park on: bumped by whoever wakes one (an event count), never by a plain acquire or release. */
const WAKE = 4;

type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** The owner word while a waiter takes a lock back from a dead holder (never a holder token). */
const RESETTING = -1;

/**
 * How many times an acquirer re-reads a taken lock before it parks (about 0.1-0.2 us when the holder leaves
 * the lock's memory alone): a short critical section ends within it, and parking and being woken costs tens
 * of microseconds. Kept short because a spinner's reads slow down a holder that takes the lock again and
 * again (every read pulls the lock's cache line over); such a holder is better left to run while the
 * waiter parks.
 */
const SPIN = 64;

/**
 * How long (ms) a parked waiter lets a holder that releases from async code and takes the lock again keep
 * it, before it asks for a prompt wake-up (the `HUNGRY` word): the bound of the lock's unfairness.
 */
const HUNGRY_MS = 1;

/** How many times a release retries a wake-up that found nobody parked while the lock stayed free. */
const WAKE_TRIES = 64;

/** Bytes of a mutex's shared state. */
export const MUTEX_BYTES = 32;

/** The promise of every acquire that succeeded at once (settled, shared: nothing to allocate). */
const ACQUIRED: Promise<boolean> = Promise.resolve(true);
const NOT_ACQUIRED: Promise<boolean> = Promise.resolve(false);


/** A mutex over shared memory. `recursive` makes it an RLock (owner plus depth). */
export class Mutex {
  readonly state: Int32Array;
  readonly table: LivenessTable;
  readonly recursive: boolean;
  /** Whether this thread's last acquire was async (its release may then defer the wake-up to a microtask). */
  #asyncHolder = false;
  /** Whether a deferred wake-up check is queued on this thread. */
  #wakeQueued = false;
  /** The token of the release that queued the check. */
  #releasedBy = 0;
  /** Whether this thread was seen taking the lock straight back while a waiter was parked (see release). */
  #retaking = false;
  /**
   * The deferred wake-up: wakes a parked waiter if the lock is still free once the releaser's code yields;
   * if the releaser has taken it back already, notes that it loops (its next releases skip the wake-up).
   */
  readonly #wakeCheck = (): void => {
    this.#wakeQueued = false;
    const owner = Atomics.load(this.state, OWNER);
    if (owner === 0) this.#wake();
    else if (owner === this.#releasedBy) this.#retaking = true;
  };

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
    if (current === 0) return true;
    if (current === token && this.recursive) {
      // Only the owner reads or writes the depth; the owner word orders it between owners.
      state[DEPTH] = (state[DEPTH] as number) + 1;
      return true;
    }
    if (checkHolder) this.checkHolder(current);
    return false;
  }

  /** Spins briefly while the lock is taken, trying again whenever it is seen free. */
  #spin(token: number): boolean {
    const state = this.state;
    for (let i = 0; i < SPIN; i++) {
      if (Atomics.load(state, OWNER) === 0 && Atomics.compareExchange(state, OWNER, 0, token) === 0) return true;
    }
    return false;
  }

  /** Throws {@link AbandonedLockError} (after releasing the lock) when `holder` is dead. */
  checkHolder(holder: number): void {
    if (holder === 0 || holder === RESETTING || isAlive(this.table, holder)) return;
    const state = this.state;
    if (Atomics.compareExchange(state, OWNER, holder, RESETTING) !== holder) return;
    state[DEPTH] = 0;
    Atomics.store(state, OWNER, 0);
    this.#wake();
    throw new AbandonedLockError(describeHolder(this.table, holder));
  }

  /**
   * The contended part of an acquire, shared by the blocking and the async path: each step yields the wake
   * count to park on (the value seen) and for how long, and is resumed with the wait's result; it returns whether the lock was
   * taken. The waiter counts itself hungry after its first park (see {@link HUNGRY_MS}) and stops counting
   * itself however it leaves (acquired, timed out, or an {@link AbandonedLockError} thrown).
   */
  *#contend(token: number, timeout: number | undefined): Generator<[seq: number, ms: number], boolean, WaitResult> {
    const state = this.state;
    const deadline = deadlineOf(timeout);
    let hungry = false;
    try {
      for (;;) {
        const current = Atomics.load(state, OWNER);
        if (current === 0 || (current === token && this.recursive)) {
          if (this.tryAcquire(token, false)) return true;
          continue;
        }
        const left = leftUntil(deadline);
        if (left <= 0) {
          this.#passOn();
          return false;
        }
        Atomics.add(state, WAITERS, 1);
        // Park on the wake-up word, not the owner word: a holder that releases and takes the lock back again
        // and again changes the owner word all the time, which would make the wait return at once (and the
        // waiter steal the lock in the holder's gap, the two threads then handing it back and forth). Read
        // the word after counting in, then look at the lock once more: a release in between either left the
        // lock free (seen here) or saw the count and will bump the word (the wait then returns at once).
        const seq = Atomics.load(state, WAKE);
        const now = Atomics.load(state, OWNER);
        if (now === 0 || (now === token && this.recursive)) {
          Atomics.sub(state, WAITERS, 1);
          continue;
        }
        const result = yield [seq, Math.min(left, hungry ? SLICE_MS : HUNGRY_MS)];
        if (result !== 'ok') Atomics.sub(state, WAITERS, 1);
        if (result === 'timed-out') {
          if (!hungry) {
            hungry = true;
            Atomics.add(state, HUNGRY, 1);
          }
          this.checkHolder(current);
        }
        if (this.#spin(token)) return true;
      }
    } finally {
      if (hungry) Atomics.sub(state, HUNGRY, 1);
    }
  }

  /** A blocking acquire without options; a free lock is one compare-and-swap. */
  acquireSyncFast(token: number): boolean {
    if (Atomics.compareExchange(this.state, OWNER, 0, token) === 0) {
      this.#asyncHolder = false;
      this.#retaking = false;
      return true;
    }
    return this.acquireSync(token, true, undefined);
  }

  acquireSync(token: number, block: boolean, timeout: number | undefined): boolean {
    this.#asyncHolder = false;
    this.#retaking = false; // only an async holder keeps the lock over its releases
    if (this.tryAcquire(token, !block)) return true;
    if (!block) return false;
    if (this.#spin(token)) return true;
    const steps = this.#contend(token, timeout);
    for (let step = steps.next(); ; ) {
      if (step.done) return step.value;
      const [seq, ms] = step.value;
      step = steps.next(Atomics.wait(this.state, WAKE, seq, ms));
    }
  }

  /**
   * Acquires without blocking the event loop. Settles at once (with a shared settled promise, no wait and
   * no allocation) when the lock is free or taken within the spin; parks only after that.
   */
  acquireAsyncFast(token: number): Promise<boolean> {
    // Small on purpose (inlined into the caller's loop): a free lock is one compare-and-swap.
    if (Atomics.compareExchange(this.state, OWNER, 0, token) === 0) {
      this.#asyncHolder = true;
      return ACQUIRED;
    }
    return this.acquireAsync(token, true, undefined);
  }

  /** {@link acquireAsyncFast} with options; the whole path (spin, then park). */
  acquireAsync(token: number, block: boolean, timeout: number | undefined): Promise<boolean> {
    this.#asyncHolder = true;
    try {
      if (this.tryAcquire(token, !block)) return ACQUIRED;
      if (!block) return NOT_ACQUIRED;
      // A looping holder that lost the lock to a waiter (it was keeping it over its releases) parks at once
      // rather than spinning to snatch it back in the new holder's first gap: the two would then hand the lock
      // back and forth on every iteration. It asks for it again after its first park (HUNGRY_MS).
      const wasRetaking = this.#retaking;
      this.#retaking = false;
      if (!wasRetaking && this.#spin(token)) return ACQUIRED;
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#parkAsync(token, timeout);
  }

  async #parkAsync(token: number, timeout: number | undefined): Promise<boolean> {
    const steps = this.#contend(token, timeout);
    for (let step = steps.next(); ; ) {
      if (step.done) return step.value;
      const [seq, ms] = step.value;
      const wait = Atomics.waitAsync(this.state, WAKE, seq, ms);
      // A pending Atomics.waitAsync does not keep Node.js alive on its own.
      const result: WaitResult = wait.async ? await keepAliveUntil(wait.value) : wait.value;
      step = steps.next(result);
    }
  }

  /**
   * Wakes one parked waiter, if any. It takes the waiter off the count first (so that releases made while
   * this wake-up is on its way, which can take a while, do not wake anyone else), then wakes it. If nobody
   * was woken (the waiter counted itself but had not parked yet), the count is put back; then, if the lock
   * is free, the wake-up is tried again: the waiter may have parked in between on a holder that has
   * released since and did not see the count. (If the lock is held, its holder's release sees the count.)
   * The retries are bounded; a waiter missed by all of them still wakes after its slice.
   */
  #wake(): void {
    const state = this.state;
    for (let tries = 0; tries < WAKE_TRIES; ) {
      const waiters = Atomics.load(state, WAITERS);
      if (waiters <= 0) return;
      if (Atomics.compareExchange(state, WAITERS, waiters, waiters - 1) !== waiters) continue;
      Atomics.add(state, WAKE, 1);
      if (Atomics.notify(state, WAKE, 1) > 0) return;
      Atomics.add(state, WAITERS, 1);
      if (Atomics.load(state, OWNER) !== 0) return;
      tries++;
    }
  }

  /** A waiter leaves without the lock: if the lock is free and others are parked, wake one of them. */
  #passOn(): void {
    if (Atomics.load(this.state, OWNER) === 0) this.#wake();
  }

  /** Releases for `token` (a Lock may be released by anyone, as in Python; an RLock only by its owner). */
  release(token: number): void {
    // Small on purpose (inlined into the caller's loop): the common release is one atomic exchange or
    // compare-and-swap of the owner word and one read of the waiter count.
    const state = this.state;
    if (this.recursive) {
      // Depth 0 (the common case): the owner word goes token -> 0 in one step, or this thread is not the owner.
      if ((state[DEPTH] as number) !== 0 || Atomics.compareExchange(state, OWNER, token, 0) !== token) {
        this.#releaseDeep(token);
        return;
      }
    } else if (Atomics.exchange(state, OWNER, 0) === 0) {
      throw new LockNotHeldError('cannot release a Lock that is not locked');
    }
    // Seq-cst: the write above comes before this read, so a waiter counted after it saw the lock free.
    this.#released(token);
  }

  /** An RLock release that is not the plain last one: a nested level, or a thread that does not own it. */
  #releaseDeep(token: number): void {
    const state = this.state;
    // Only the owner reads or writes the depth; a non-owner may see any value there, so check the owner first.
    if (Atomics.load(state, OWNER) !== token) {
      throw new LockNotHeldError('cannot release an RLock that this thread does not hold (an RLock is owned by the thread that acquired it)');
    }
    const depth = state[DEPTH] as number;
    if (depth > 0) {
      state[DEPTH] = depth - 1;
      return;
    }
    Atomics.store(state, OWNER, 0);
    this.#released(token);
  }

  /** After the owner word went to 0: wake a parked waiter if there is one and the holder preference allows. */
  #released(token: number): void {
    if (Atomics.load(this.state, WAITERS) > 0) {
      // A looping async holder keeps the lock while no waiter is hungry (see #afterRelease): nothing to do.
      if (!this.#retaking || Atomics.load(this.state, HUNGRY) !== 0) this.#afterRelease(token);
    } else if (this.#retaking) {
      this.#retaking = false;
    }
  }

  /** After a release with waiters parked: wake one, now or (holder preference) once this code yields. */
  #afterRelease(token: number): void {
    // Released from async code, unless a waiter has waited HUNGRY_MS: wake only if the lock is still free
    // when this code yields (a loop that takes it again at once keeps it, instead of paying a wake-up and a
    // hand-over each time; the waiter's first park is HUNGRY_MS long, then it asks for a prompt wake-up).
    if (this.#asyncHolder && Atomics.load(this.state, HUNGRY) === 0) {
      if (!this.#retaking && !this.#wakeQueued) {
        this.#wakeQueued = true;
        this.#releasedBy = token;
        queueMicrotask(this.#wakeCheck);
      }
    } else {
      this.#retaking = false;
      this.#wake();
    }
  }

  /** Whether the lock is held (by anyone alive). */
  locked(): boolean {
    const holder = Atomics.load(this.state, OWNER);
    return holder !== 0 && (holder === RESETTING || isAlive(this.table, holder));
  }

  /** Whether `token` holds the lock (RLock), or anyone does (Lock, as Python's `_is_owned`). */
  isOwned(token: number): boolean {
    const holder = Atomics.load(this.state, OWNER);
    return this.recursive ? holder === token : holder !== 0;
  }

  /** Releases completely (for Condition.wait) and returns what to restore. */
  releaseSave(token: number): number {
    const state = this.state;
    let depth = 1;
    if (this.recursive && Atomics.load(state, OWNER) === token) {
      depth = (state[DEPTH] as number) + 1;
      state[DEPTH] = 0;
    }
    this.release(token);
    return depth;
  }

  /** Acquires again after {@link releaseSave}. */
  restoreSync(token: number, depth: number): void {
    this.acquireSync(token, true, undefined);
    if (this.recursive) this.state[DEPTH] = depth - 1;
  }

  /** Acquires again after {@link releaseSave}, without blocking. */
  async restoreAsync(token: number, depth: number): Promise<void> {
    await this.acquireAsync(token, true, undefined);
    if (this.recursive) this.state[DEPTH] = depth - 1;
  }
}
