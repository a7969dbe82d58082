/**
 * Futex-style waiting on shared memory, the building block of every multiproc primitive that lives in
 * a SharedArrayBuffer (queues, locks, events, barriers). Waiting spins briefly first — a wake through the
 * kernel costs tens of microseconds, a short spin well under one — and only then parks the thread
 * (`Atomics.wait`) or the async caller (`Atomics.waitAsync`). A pending `Atomics.waitAsync` does not keep
 * Node.js alive on its own, so {@link waitAsync} holds one ref'd handle while any async waiter exists.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from './errors.js';

/**
 * How a wait ended: woken (`'ok'`), the value already differed (`'not-equal'`), or the timeout passed
 * (`'timed-out'`). The same strings `Atomics.wait` returns.
 *
 * @example
 * ```ts
 * import { waitAsync, type WaitResult } from '@multiproc/transport';
 * const flag = new Int32Array(new SharedArrayBuffer(4));
 * const result: WaitResult = await waitAsync(flag, 0, 0, 50);
 * if (result === 'timed-out') console.log('nobody set the flag within 50 ms');
 * ```
 */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/**
 * How many times {@link waitSync} and {@link waitAsync} re-read the value before parking the thread.
 * Enough for a few hundred nanoseconds, so a hand-off between busy threads skips the park entirely.
 *
 * @example
 * ```ts
 * import { SPIN_ITERATIONS } from '@multiproc/transport';
 * // A custom wait loop that spins as long as the built-in waits before it parks:
 * const flag = new Int32Array(new SharedArrayBuffer(4));
 * for (let i = 0; i < SPIN_ITERATIONS && Atomics.load(flag, 0) === 0; i++);
 * ```
 */
export const SPIN_ITERATIONS = 128;

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return Number.POSITIVE_INFINITY;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new InvalidArgumentError(`timeout must be a number of milliseconds >= 0, got ${String(timeoutMs)}`);
  }
  return timeoutMs;
}

function spin(view: Int32Array, index: number, expected: number): boolean {
  for (let i = 0; i < SPIN_ITERATIONS; i++) {
    if (Atomics.load(view, index) !== expected) return true;
  }
  return false;
}

/**
 * Blocks the calling thread while `view[index] === expected`, spinning briefly before parking, until
 * another thread calls {@link notify} on it or the timeout passes. Only where blocking is allowed:
 * worker threads, and the main thread of a child process; the main thread of a browser cannot.
 *
 * @param view - an Int32Array over a SharedArrayBuffer.
 * @param index - the element to watch.
 * @param expected - the value to wait on while it holds.
 * @param timeoutMs - give up after this many milliseconds (default: never).
 * @returns how the wait ended.
 * @throws {@link InvalidArgumentError} for a negative timeout.
 * @example
 * ```ts
 * import { waitSync, notify } from '@multiproc/transport';
 * const flag = new Int32Array(new SharedArrayBuffer(4));
 * // in a worker: waitSync(flag, 0, 0) blocks until another thread does
 * Atomics.store(flag, 0, 1);
 * notify(flag, 0);
 * console.log(waitSync(flag, 0, 0, 10)); // 'not-equal': the value is 1 already
 * ```
 */
export function waitSync(view: Int32Array, index: number, expected: number, timeoutMs?: number): WaitResult {
  const timeout = checkTimeout(timeoutMs);
  if (Atomics.load(view, index) !== expected) return 'not-equal';
  if (spin(view, index, expected)) return 'ok';
  return Atomics.wait(view, index, expected, timeout);
}

let held = 0;
let keepAlive: NodeJS.Timeout | undefined;

function letGo(): void {
  if (--held === 0 && keepAlive !== undefined) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/**
 * Keeps Node.js alive until `pending` settles, and returns it unchanged. For what the event loop does not
 * count on its own: a pending `Atomics.waitAsync` (a thread blocked on a lock or an event elsewhere must
 * not let this one exit under its waiter), or a message to another process that must arrive before this one
 * ends. One ref'd timer serves all of them; it is cleared when the last one settles. ({@link waitAsync}
 * uses it already.)
 *
 * @param pending - the promise to wait for; its outcome is not changed (a rejection still reaches whoever
 *   handles `pending`).
 * @returns `pending` itself.
 * @throws {@link InvalidArgumentError} when `pending` is not a promise (or another thenable).
 * @example
 * ```ts
 * import { keepAliveUntil } from '@multiproc/transport';
 * const flag = new Int32Array(new SharedArrayBuffer(4));
 * const wait = Atomics.waitAsync(flag, 0, 0, 1_000);
 * // Without keepAliveUntil, Node.js could exit here with the wait still pending.
 * const result = wait.async ? await keepAliveUntil(wait.value) : wait.value;
 * console.log(result); // 'timed-out' after a second, as nobody notifies
 * ```
 */
export function keepAliveUntil<T>(pending: Promise<T>): Promise<T> {
  if (typeof (pending as { then?: unknown } | null)?.then !== 'function') {
    throw new InvalidArgumentError(`keepAliveUntil needs a promise, got ${pending === null ? 'null' : typeof pending}`);
  }
  if (held++ === 0) keepAlive = setInterval(() => {}, 1 << 30);
  pending.then(letGo, letGo);
  return pending;
}

/**
 * Waits without blocking while `view[index] === expected`, until {@link notify} or the timeout. The
 * pending wait keeps Node.js alive (unlike a bare `Atomics.waitAsync`), as any awaited operation should.
 *
 * @param view - an Int32Array over a SharedArrayBuffer.
 * @param index - the element to watch.
 * @param expected - the value to wait on while it holds.
 * @param timeoutMs - give up after this many milliseconds (default: never).
 * @returns a promise of how the wait ended.
 * @throws {@link InvalidArgumentError} for a negative timeout.
 * @example
 * ```ts
 * import { waitAsync, notify } from '@multiproc/transport';
 * const flag = new Int32Array(new SharedArrayBuffer(4));
 * const woken = waitAsync(flag, 0, 0, 1_000);
 * Atomics.store(flag, 0, 1);
 * notify(flag, 0);
 * console.log(await woken); // 'ok'
 * ```
 */
export function waitAsync(view: Int32Array, index: number, expected: number, timeoutMs?: number): Promise<WaitResult> {
  const timeout = checkTimeout(timeoutMs);
  if (Atomics.load(view, index) !== expected) return Promise.resolve('not-equal');
  if (spin(view, index, expected)) return Promise.resolve('ok');
  const result = Atomics.waitAsync(view, index, expected, timeout);
  if (!result.async) return Promise.resolve(result.value);
  return keepAliveUntil(result.value);
}

/**
 * Wakes up to `count` threads (or async waiters) waiting on `view[index]`.
 *
 * @param view - an Int32Array over a SharedArrayBuffer.
 * @param index - the element.
 * @param count - how many to wake (default: all).
 * @returns how many were woken.
 * @example
 * ```ts
 * import { notify } from '@multiproc/transport';
 * const flag = new Int32Array(new SharedArrayBuffer(4));
 * Atomics.store(flag, 0, 1);
 * notify(flag, 0, 1); // 0 when nobody waits
 * ```
 */
export function notify(view: Int32Array, index: number, count = Number.POSITIVE_INFINITY): number {
  return Atomics.notify(view, index, count);
}

/**
 * Whether this thread may block with `Atomics.wait` (false on the main thread of a browser; true in
 * Node.js worker threads and child processes, and on Node's main thread, where it freezes the event loop).
 *
 * @returns `true` when {@link waitSync} can be used here.
 * @example
 * ```ts
 * import { canBlock } from '@multiproc/transport';
 * if (canBlock()) console.log('acquireSync() is available here');
 * ```
 */
export function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}
