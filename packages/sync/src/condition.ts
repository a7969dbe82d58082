/**
 * `Condition`: a condition variable over a `Lock` or `RLock`, as Python's `multiprocessing.Condition`.
 *
 * Waiters are served in order with tickets in shared memory: `wait` takes the next ticket (under the lock),
 * releases the lock and parks on the *wake line*; `notify(n)` moves the wake line past the next `n` live
 * tickets and wakes the parked waiters, which re-check their ticket against it. So `notify(n)` wakes exactly
 * `n` waiters (or all there are), the longest-waiting first, and a wake-up is never lost: a waiter that has
 * not parked yet sees the moved line. A waiter that times out cancels its ticket (a bit in a ring), and
 * `notify` skips cancelled tickets, as Python's waiter deque does.
 *
 * ```
 * state = Int32Array [wake line, next ticket, 0, 0, ...cancelled-ticket ring (4096 bits)]
 * ```
 *
 * @packageDocumentation
 */
import {
  describeShareable,
  InvalidArgumentError,
  InvalidStateError,
  notify as wake,
  registerReviver,
  UnsupportedError,
  waitAsync,
  waitSync,
  type ReviveContext,
  type ServedObject,
  type ShareContext,
  type ShareDescriptor,
} from '@multiproc/transport';
import { LockNotHeldError } from './errors.js';
import { Lock } from './lock.js';
import { RLock } from './rlock.js';
import { remoteToken } from './internal/liveness.js';
import { MUTEX, type LockGuard, type LockOptions } from './internal/mutex-handle.js';
import type { Mutex } from './internal/mutex.js';
import {
  callRemote,
  callRemoteSync,
  checkCount,
  checkTimeout,
  deadlineOf,
  forwarder,
  holdRemote,
  leftUntil,
  remoteRef,
  SELF,
  type AcquireOptions,
  type Holder,
  type RemoteData,
  type RemoteRef,
} from './internal/remote.js';

const WAKE = 0;
const SEQ = 1;
const RING = 4;
const RING_BITS = 4096;
const STATE_BYTES = (RING + RING_BITS / 32) * 4;

type AnyLock = Lock | RLock;

/** @internal What a condition is built from. */
export type ConditionInit =
  | { kind: 'new'; lock: AnyLock }
  | { kind: 'shared'; state: SharedArrayBuffer; lock: AnyLock }
  | { kind: 'proxy'; ref: RemoteRef; lock: AnyLock };

/**
 * A condition variable for threads and processes, as Python's `multiprocessing.Condition(lock)`: hold its
 * lock, `wait` until another party calls `notify`, or `waitFor` a predicate. The lock defaults to a new
 * {@link RLock}. `wait` releases the lock while waiting and holds it again when it returns. Calling `wait`,
 * `notify` or `notifyAll` without holding the lock throws {@link LockNotHeldError}.
 *
 * @example
 * ```ts
 * import { Condition } from '@multiproc/sync';
 * const ready = new Condition();
 * const items: number[] = [];
 * // consumer
 * const consumer = (async () => {
 *   await ready.acquire();
 *   try {
 *     await ready.waitFor(() => items.length > 0);
 *     return items.shift();
 *   } finally {
 *     ready.release();
 *   }
 * })();
 * // producer
 * await ready.acquire();
 * items.push(42);
 * ready.notify();
 * ready.release();
 * console.log(await consumer); // 42
 * ```
 * @see https://multiproc.dev/guide/sync
 */
export class Condition {
  readonly #lock: AnyLock;
  readonly #state: Int32Array | undefined;
  readonly #ref: RemoteRef | undefined;
  #served: ServedObject | undefined;

  /**
   * @param lock - the lock to use (a {@link Lock} or {@link RLock}); default a new RLock.
   * @throws InvalidArgumentError for anything else, or for a lock that is a proxy (create the Condition in
   * the process that created the lock, and pass the Condition).
   */
  constructor(lock?: Lock | RLock);
  /** @internal */
  constructor(init: ConditionInit);
  constructor(lockOrInit?: AnyLock | ConditionInit) {
    let init: ConditionInit;
    if (lockOrInit === undefined) init = { kind: 'new', lock: new RLock() };
    else if (lockOrInit instanceof Lock || lockOrInit instanceof RLock) init = { kind: 'new', lock: lockOrInit };
    else if (lockOrInit !== null && typeof lockOrInit === 'object' && 'kind' in lockOrInit && 'lock' in lockOrInit) init = lockOrInit;
    else throw new InvalidArgumentError('Condition(lock): lock must be a Lock or an RLock from @multiproc/sync');
    this.#lock = init.lock;
    if (init.kind === 'proxy') {
      this.#ref = init.ref;
      holdRemote(init.ref, this);
      return;
    }
    if (init.lock[MUTEX] === undefined) {
      throw new InvalidArgumentError(
        'Condition(lock): this lock is a proxy of a lock owned by another process; create the Condition where the lock was created and pass the Condition instead',
      );
    }
    this.#state = init.kind === 'shared' ? new Int32Array(init.state) : new Int32Array(new SharedArrayBuffer(STATE_BYTES));
  }

  /**
   * Acquires the underlying lock (see `Lock.acquire`).
   *
   * @param options - `block` and `timeout`.
   * @returns whether the lock was acquired.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  /**
   * Acquires the underlying lock, blocking the calling thread (see `Lock.acquireSync`).
   *
   * @param options - `block` and `timeout`.
   * @returns whether the lock was acquired.
   */
  acquireSync(options?: AcquireOptions): boolean {
    return this.#lock.acquireSync(options);
  }

  /** Releases the underlying lock. */
  release(): void {
    this.#lock.release();
  }

  /**
   * Acquires the underlying lock for `using`: `using held = await condition.lock()`.
   *
   * @param options - `timeout` in milliseconds.
   * @returns a guard that releases the lock when disposed.
   */
  lock(options?: LockOptions): Promise<LockGuard> {
    return this.#lock.lock(options);
  }

  /**
   * The underlying lock.
   *
   * @returns the Lock or RLock this condition uses.
   */
  getLock(): Lock | RLock {
    return this.#lock;
  }

  /**
   * Releases the lock, waits (without blocking the event loop) until notified or the timeout, and acquires
   * the lock again before returning.
   *
   * @param timeoutMs - give up after this many milliseconds (default: never).
   * @returns `true` when notified, `false` on timeout.
   * @throws {@link LockNotHeldError} when the caller does not hold the lock.
   */
  wait(timeoutMs?: number): Promise<boolean> {
    const timeout = checkTimeout(timeoutMs, 'wait');
    if (this.#ref !== undefined) return callRemote(this.#ref, 'wait', [SELF, timeout]) as Promise<boolean>;
    const { mutex, token } = this.#local();
    return waitLocalAsync(this.#state as Int32Array, mutex, token, timeout);
  }

  /**
   * Like {@link wait}, blocking the calling thread (for worker threads and child processes).
   *
   * @param timeoutMs - give up after this many milliseconds (default: never).
   * @returns `true` when notified, `false` on timeout.
   * @throws {@link LockNotHeldError} when the caller does not hold the lock.
   */
  waitSync(timeoutMs?: number): boolean {
    const timeout = checkTimeout(timeoutMs, 'waitSync');
    if (this.#ref !== undefined) return callRemoteSync(this.#ref, 'wait', [SELF, timeout]) as boolean;
    const { mutex, token } = this.#local();
    return waitLocalSync(this.#state as Int32Array, mutex, token, timeout);
  }

  /**
   * Waits until `predicate` returns a truthy value, as Python's `wait_for`: checks it first, then after each
   * wake-up, while holding the lock.
   *
   * @param predicate - the condition to wait for (may return a promise).
   * @param timeoutMs - give up after this many milliseconds overall (default: never).
   * @returns the predicate's last result (falsy on timeout).
   * @throws {@link LockNotHeldError} when the caller does not hold the lock.
   */
  async waitFor<T>(predicate: () => T | Promise<T>, timeoutMs?: number): Promise<T> {
    const timeout = checkTimeout(timeoutMs, 'waitFor');
    const deadline = deadlineOf(timeout);
    let result = await predicate();
    while (!result) {
      const left = leftUntil(deadline);
      if (left <= 0) break;
      await this.wait(left === Number.POSITIVE_INFINITY ? undefined : left);
      result = await predicate();
    }
    return result;
  }

  /**
   * Like {@link waitFor}, blocking the calling thread.
   *
   * @param predicate - the condition to wait for.
   * @param timeoutMs - give up after this many milliseconds overall (default: never).
   * @returns the predicate's last result (falsy on timeout).
   */
  waitForSync<T>(predicate: () => T, timeoutMs?: number): T {
    const timeout = checkTimeout(timeoutMs, 'waitForSync');
    const deadline = deadlineOf(timeout);
    let result = predicate();
    while (!result) {
      const left = leftUntil(deadline);
      if (left <= 0) break;
      this.waitSync(left === Number.POSITIVE_INFINITY ? undefined : left);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters (the longest-waiting first).
   *
   * @param n - how many (default 1).
   * @throws {@link LockNotHeldError} when the caller does not hold the lock.
   */
  notify(n = 1): void {
    checkCount(n, 'notify(n): n', 0);
    if (this.#ref !== undefined) {
      callRemoteSync(this.#ref, 'notify', [SELF, n]);
      return;
    }
    const { mutex, token } = this.#local();
    notifyLocal(this.#state as Int32Array, mutex, token, n);
  }

  /**
   * Wakes every waiter.
   *
   * @throws {@link LockNotHeldError} when the caller does not hold the lock.
   */
  notifyAll(): void {
    if (this.#ref !== undefined) {
      callRemoteSync(this.#ref, 'notify', [SELF, Number.POSITIVE_INFINITY]);
      return;
    }
    const { mutex, token } = this.#local();
    notifyLocal(this.#state as Int32Array, mutex, token, Number.POSITIVE_INFINITY);
  }

  #local(): { mutex: Mutex; token: number } {
    return this.#lock[MUTEX] as { mutex: Mutex; token: number };
  }

  /** @internal Describes the condition (with its lock) for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    const base = { reviver: import.meta.url, name: 'reviveCondition' };
    if (this.#ref !== undefined) {
      this.#served ??= forwarder(this.#ref);
      return { ...base, data: { kind: 'remote', id: context.serve(this.#served), lock: this.#lock } };
    }
    const state = this.#state as Int32Array;
    if (context.capabilities.sharedMemory) return { ...base, data: { kind: 'shared', state: state.buffer, lock: this.#lock } };
    const { mutex } = this.#local();
    this.#served ??= {
      call(method, args) {
        const holder = args[0] as Holder;
        const token = remoteToken(mutex.table, holder.pid, holder.threadId);
        switch (method) {
          case 'wait':
            return waitLocalAsync(state, mutex, token, args[1] as number | undefined);
          case 'notify':
            return notifyLocal(state, mutex, token, args[1] as number);
          default:
            throw new UnsupportedError(`a condition has no method ${method}`);
        }
      },
    };
    return { ...base, data: { kind: 'remote', id: context.serve(this.#served), lock: this.#lock } };
  }
}

function checkOwned(mutex: Mutex, token: number, what: string): void {
  if (!mutex.isOwned(token)) throw new LockNotHeldError(`cannot ${what} on a Condition without holding its lock; acquire it first`);
}

function isBit(state: Int32Array, ticket: number): boolean {
  return (Atomics.load(state, RING + ((ticket & (RING_BITS - 1)) >>> 5)) & (1 << (ticket & 31))) !== 0;
}

function clearBit(state: Int32Array, ticket: number): void {
  Atomics.and(state, RING + ((ticket & (RING_BITS - 1)) >>> 5), ~(1 << (ticket & 31)));
}

function enqueue(state: Int32Array): number {
  const ticket = Atomics.add(state, SEQ, 1);
  if (((ticket - Atomics.load(state, WAKE)) | 0) >= RING_BITS) {
    Atomics.sub(state, SEQ, 1);
    throw new InvalidStateError(`a Condition supports at most ${RING_BITS} waiters at a time`);
  }
  return ticket;
}

/** A waiter that was not notified leaves: cancel its ticket, and move the line past cancelled ones. */
function cancel(state: Int32Array, ticket: number): void {
  Atomics.or(state, RING + ((ticket & (RING_BITS - 1)) >>> 5), 1 << (ticket & 31));
  let line = Atomics.load(state, WAKE);
  const seq = Atomics.load(state, SEQ);
  const start = line;
  while (line !== seq && isBit(state, line)) {
    clearBit(state, line);
    line = (line + 1) | 0;
  }
  if (line !== start) Atomics.store(state, WAKE, line);
}

function notified(state: Int32Array, ticket: number): boolean {
  return ((ticket - Atomics.load(state, WAKE)) | 0) < 0;
}

function notifyLocal(state: Int32Array, mutex: Mutex, token: number, n: number): void {
  checkOwned(mutex, token, 'notify');
  let line = Atomics.load(state, WAKE);
  const seq = Atomics.load(state, SEQ);
  let woken = 0;
  while (woken < n && line !== seq) {
    if (isBit(state, line)) clearBit(state, line);
    else woken++;
    line = (line + 1) | 0;
  }
  Atomics.store(state, WAKE, line);
  if (woken > 0) wake(state, WAKE);
}

/** Leaves a wait: re-acquire the lock, then settle the ticket. Returns whether it was notified. */
function settle(state: Int32Array, ticket: number, wasNotified: boolean): boolean {
  if (wasNotified || notified(state, ticket)) return true;
  cancel(state, ticket);
  return false;
}

async function waitLocalAsync(state: Int32Array, mutex: Mutex, token: number, timeout: number | undefined): Promise<boolean> {
  checkOwned(mutex, token, 'wait');
  const ticket = enqueue(state);
  const saved = mutex.releaseSave(token);
  let done = false;
  try {
    const deadline = deadlineOf(timeout);
    for (;;) {
      const line = Atomics.load(state, WAKE);
      if (((ticket - line) | 0) < 0) {
        done = true;
        break;
      }
      const left = leftUntil(deadline);
      if (left <= 0) break;
      await waitAsync(state, WAKE, line, left === Number.POSITIVE_INFINITY ? undefined : left);
    }
  } finally {
    try {
      await mutex.restoreAsync(token, saved);
    } finally {
      done = settle(state, ticket, done);
    }
  }
  return done;
}

function waitLocalSync(state: Int32Array, mutex: Mutex, token: number, timeout: number | undefined): boolean {
  checkOwned(mutex, token, 'wait');
  const ticket = enqueue(state);
  const saved = mutex.releaseSave(token);
  let done = false;
  try {
    const deadline = deadlineOf(timeout);
    for (;;) {
      const line = Atomics.load(state, WAKE);
      if (((ticket - line) | 0) < 0) {
        done = true;
        break;
      }
      const left = leftUntil(deadline);
      if (left <= 0) break;
      waitSync(state, WAKE, line, left === Number.POSITIVE_INFINITY ? undefined : left);
    }
  } finally {
    try {
      mutex.restoreSync(token, saved);
    } finally {
      done = settle(state, ticket, done);
    }
  }
  return done;
}

function reviveCondition(data: unknown, context: ReviveContext): Condition {
  const received = data as ({ kind: 'shared'; state: SharedArrayBuffer } | RemoteData) & { lock: AnyLock };
  if (received.kind === 'shared') return new Condition({ kind: 'shared', state: received.state, lock: received.lock });
  return new Condition({ kind: 'proxy', ref: remoteRef(received, context, 'Condition'), lock: received.lock });
}

registerReviver(import.meta.url, 'reviveCondition', reviveCondition);
