/**
 * Helpers shared by every primitive: option checks, the identity of the calling thread (sent along with
 * proxied calls so the owner knows who holds a lock), and the proxy side of Manager-style served objects.
 */
import { threadId } from 'node:worker_threads';
import {
  InvalidArgumentError,
  UnsupportedError,
  type RemoteObjects,
  type ReviveContext,
  type ServedObject,
} from '@multiproc/transport';

/** Who is calling: the thread `threadId` of process `pid`. Sent with proxied calls. */
export interface Holder {
  readonly pid: number;
  readonly threadId: number;
}

/** The identity of the calling thread. */
export const SELF: Holder = Object.freeze({ pid: process.pid, threadId });

/** How a proxy reaches the object its owner serves. */
export interface RemoteRef {
  readonly remote: RemoteObjects;
  readonly id: number;
}

/** The descriptor data of a primitive that crossed without shared memory. */
export interface RemoteData {
  readonly kind: 'remote';
  readonly id: number;
}

/** Builds the proxy reference from a revived descriptor and ties the proxy's lifetime to it. */
export function remoteRef(data: RemoteData, context: ReviveContext, what: string): RemoteRef {
  if (!context.remote) {
    throw new UnsupportedError(`this ${what} was sent as a proxy but arrived without a connection to its owner`);
  }
  return { remote: context.remote, id: data.id };
}

/** Ties `proxy`'s lifetime to the served object `ref` (the owner lets go once it is collected). */
export function holdRemote(ref: RemoteRef, proxy: object): void {
  ref.remote.hold(ref.id, proxy);
}

/** A served object that forwards every call to the owner (a proxy passed on to another process). */
export function forwarder(ref: RemoteRef): ServedObject {
  return { call: (method, args) => ref.remote.call(ref.id, method, args) };
}

/** Calls the owner and waits for the reply without blocking. */
export function callRemote(ref: RemoteRef, method: string, args: readonly unknown[]): Promise<unknown> {
  return ref.remote.call(ref.id, method, args);
}

/** Calls the owner, blocking this thread until the reply. */
export function callRemoteSync(ref: RemoteRef, method: string, args: readonly unknown[]): unknown {
  return ref.remote.callSync(ref.id, method, args);
}

/**
 * Options of `acquire` and `acquireSync` (on `Lock`, `RLock`, `Semaphore`, `BoundedSemaphore` and
 * `Condition`), as Python's `acquire(block=True, timeout=None)`: `block` (default `true`) and `timeout` in
 * milliseconds. A timeout cannot be combined with `block: false`.
 *
 * @example
 * ```ts
 * import { Lock, type AcquireOptions } from '@multiproc/sync';
 * const lock = new Lock();
 * const patient: AcquireOptions = { timeout: 250 };
 * if (await lock.acquire(patient)) {
 *   try {
 *     // critical section
 *   } finally {
 *     lock.release();
 *   }
 * }
 * const tryOnce: AcquireOptions = { block: false };
 * console.log(lock.acquireSync(tryOnce)); // true: the lock was free
 * lock.release();
 * ```
 */
export interface AcquireOptions {
  /** Wait for the lock (default `true`); with `false`, return at once whether it was taken. */
  block?: boolean;
  /** Give up after this many milliseconds (default: never). Not allowed with `block: false`. */
  timeout?: number;
}

/** Checks acquire options and returns `[block, timeoutMs | undefined]`. */
export function parseAcquire(options: AcquireOptions | undefined, what: string): [boolean, number | undefined] {
  if (options === undefined) return [true, undefined];
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`${what}: options must be an object like { block, timeout }, got ${String(options)}`);
  }
  const block = options.block ?? true;
  if (typeof block !== 'boolean') throw new InvalidArgumentError(`${what}: block must be a boolean, got ${String(block)}`);
  const timeout = checkTimeout(options.timeout, what);
  if (!block && timeout !== undefined) {
    throw new InvalidArgumentError(`${what}: a timeout cannot be given with block: false (as in Python)`);
  }
  return [block, timeout];
}

/** Checks an optional timeout in milliseconds (`undefined` or `null`: none). */
export function checkTimeout(timeout: unknown, what: string): number | undefined {
  if (timeout === undefined || timeout === null) return undefined;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new InvalidArgumentError(`${what}: timeout must be a number of milliseconds >= 0, got ${String(timeout)}`);
  }
  return timeout === Number.POSITIVE_INFINITY ? undefined : timeout;
}

/** The absolute deadline of a timeout (`Infinity` for none). */
export function deadlineOf(timeout: number | undefined): number {
  return timeout === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeout;
}

/** Milliseconds left until `deadline` (`Infinity` for none). */
export function leftUntil(deadline: number): number {
  return deadline === Number.POSITIVE_INFINITY ? deadline : deadline - performance.now();
}

/** Checks an integer count (`n >= min`). */
export function checkCount(n: unknown, what: string, min = 0): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw new InvalidArgumentError(`${what} must be an integer >= ${min}, got ${String(n)}`);
  }
  return n;
}
