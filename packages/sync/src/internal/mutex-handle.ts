/**
 * The code `Lock` and `RLock` share: the local handle over shared memory, the proxy over a served object,
 * the shareable-handle protocol and the `using` guard. Each subclass names its own reviver (registered in
 * its own module, whose URL the descriptor carries).
 */
import {
  describeShareable,
  TimeoutError,
  UnsupportedError,
  type ReviveContext,
  type ServedObject,
  type ShareContext,
  type ShareDescriptor,
} from '@multiproc/transport';
import { adoptTable, localTable, remoteToken, threadToken, watchThreads } from './liveness.js';
import { Mutex, MUTEX_BYTES } from './mutex.js';
import {
  callRemote,
  callRemoteSync,
  checkTimeout,
  forwarder,
  holdRemote,
  parseAcquire,
  remoteRef,
  SELF,
  type AcquireOptions,
  type Holder,
  type RemoteData,
  type RemoteRef,
} from './remote.js';

/** The descriptor data of a lock shared through memory. */
export interface SharedMutexData {
  readonly kind: 'shared';
  readonly state: SharedArrayBuffer;
  readonly table: SharedArrayBuffer;
}

/** What a lock is built from: fresh, shared memory received, or a proxy. */
export type MutexInit = { kind: 'new' } | SharedMutexData | { kind: 'proxy'; ref: RemoteRef };

/** Internal access to a local mutex (for Condition). */
export const MUTEX: unique symbol = Symbol('multiproc.sync.mutex') as never;

/** Where a lock's mutex lives: here (with this thread's token) or behind a proxy. */
export interface LocalMutex {
  readonly mutex: Mutex;
  readonly token: number;
}

/**
 * A guard returned by `lock()` and `lockSync()` of a `Lock` or `RLock`: releases the lock when disposed
 * (`using held = await lock.lock()`), or by calling `release()`; releasing twice is a no-op.
 *
 * @example
 * ```ts
 * import { Lock, type LockGuard } from '@multiproc/sync';
 * const lock = new Lock();
 * {
 *   using held = await lock.lock(); // released at the end of the block, even on a throw
 *   // critical section
 * }
 * const guard: LockGuard = await lock.lock();
 * try {
 *   // critical section
 * } finally {
 *   guard.release();
 * }
 * guard.release(); // a second release is a no-op
 * ```
 */
export interface LockGuard extends Disposable {
  /** Releases the lock (once). */
  release(): void;
}

/**
 * Options of `lock()` and `lockSync()` of a `Lock` or `RLock`: `timeout` in milliseconds, after which the
 * call throws a `TimeoutError` instead of returning `false` as `acquire` does.
 *
 * @example
 * ```ts
 * import { Lock, type LockOptions } from '@multiproc/sync';
 * const lock = new Lock();
 * const options: LockOptions = { timeout: 1_000 };
 * {
 *   using held = await lock.lock(options); // throws TimeoutError if not acquired within a second
 *   // critical section
 * }
 * ```
 */
export interface LockOptions {
  /** Give up after this many milliseconds with a TimeoutError (default: wait as long as it takes). */
  timeout?: number;
}

/** Builds the served object of a mutex (owner side of a proxy). */
export function serveMutex(mutex: Mutex): ServedObject {
  return {
    call(method, args) {
      const holder = args[0] as Holder;
      const token = remoteToken(mutex.table, holder.pid, holder.threadId);
      switch (method) {
        case 'acquire':
          return mutex.acquireAsync(token, args[1] as boolean, args[2] as number | undefined);
        case 'release':
          return mutex.release(token);
        case 'locked':
          return mutex.locked();
        case 'isOwned':
          return mutex.isOwned(token);
        default:
          throw new UnsupportedError(`a lock has no method ${method}`);
      }
    },
  };
}

/** The shared base of Lock and RLock. */
export abstract class MutexHandle {
  readonly #mutex: Mutex | undefined;
  #token = 0;
  readonly #ref: RemoteRef | undefined;
  #served: ServedObject | undefined;

  /** The reviver export name of the subclass. */
  protected abstract readonly reviverName: string;
  /** The reviver module URL of the subclass. */
  protected abstract readonly reviverUrl: string;

  protected constructor(recursive: boolean, init: MutexInit) {
    watchThreads();
    if (init.kind === 'proxy') {
      this.#ref = init.ref;
      holdRemote(init.ref, this);
    } else if (init.kind === 'shared') {
      this.#mutex = new Mutex(init.state, adoptTable(init.table), recursive);
      this.#token = threadToken(this.#mutex.table);
    } else {
      this.#mutex = new Mutex(new SharedArrayBuffer(MUTEX_BYTES), localTable(), recursive);
      this.#token = threadToken(this.#mutex.table);
    }
  }

  /**
   * Acquires the lock without blocking the event loop, as Python's `acquire(block, timeout)`.
   *
   * @param options - `block` (default `true`) and `timeout` in milliseconds (default: none).
   * @returns `true` once acquired; `false` if `block` is `false` and the lock is taken, or the timeout passed.
   * @throws {@link AbandonedLockError} when the holder died holding it (the lock is then free: acquire again).
   * @throws InvalidArgumentError for a negative timeout, or a timeout with `block: false`.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    // Fast path, kept small so that the JIT inlines it into the caller's loop: a free lock, no options.
    const mutex = this.#mutex;
    if (options === undefined && mutex !== undefined) return mutex.acquireAsyncFast(this.#token);
    return this.#acquireOptions(options);
  }

  #acquireOptions(options: AcquireOptions | undefined): Promise<boolean> {
    const [block, timeout] = parseAcquire(options, 'acquire');
    const mutex = this.#mutex;
    if (mutex !== undefined) return mutex.acquireAsync(this.#token, block, timeout);
    return callRemote(this.#ref as RemoteRef, 'acquire', [SELF, block, timeout]) as Promise<boolean>;
  }

  /**
   * Acquires the lock, blocking the calling thread (for worker threads and child processes; on the main
   * thread it freezes the event loop). Same semantics as {@link acquire}.
   *
   * @param options - `block` (default `true`) and `timeout` in milliseconds (default: none).
   * @returns whether the lock was acquired.
   * @throws {@link AbandonedLockError} when the holder died holding it (the lock is then free).
   */
  acquireSync(options?: AcquireOptions): boolean {
    const mutex = this.#mutex;
    if (mutex !== undefined) {
      if (options === undefined) return mutex.acquireSyncFast(this.#token);
      const [block, timeout] = parseAcquire(options, 'acquireSync');
      return mutex.acquireSync(this.#token, block, timeout);
    }
    const [block, timeout] = parseAcquire(options, 'acquireSync');
    return callRemoteSync(this.#ref as RemoteRef, 'acquire', [SELF, block, timeout]) as boolean;
  }

  /**
   * Releases the lock.
   *
   * @throws {@link LockNotHeldError} for a Lock that is not locked, or an RLock this thread does not hold.
   */
  release(): void {
    const mutex = this.#mutex;
    if (mutex !== undefined) mutex.release(this.#token);
    else this.#releaseRemote();
  }

  #releaseRemote(): void {
    const ref = this.#ref as RemoteRef;
    try {
      callRemoteSync(ref, 'release', [SELF]);
    } catch (error) {
      if (!UnsupportedError.isInstance(error)) throw error;
      // This thread cannot block: release asynchronously (in order with the async calls of this connection).
      void callRemote(ref, 'release', [SELF]).catch(() => {});
    }
  }

  /**
   * Whether the lock is held by anyone alive (a snapshot: it may change right after).
   *
   * @returns `true` when held.
   */
  locked(): boolean {
    if (this.#mutex !== undefined) return this.#mutex.locked();
    return callRemoteSync(this.#ref as RemoteRef, 'locked', [SELF]) as boolean;
  }

  /**
   * Acquires the lock and returns a guard that releases it when disposed: `using held = await lock.lock()`.
   *
   * @param options - `timeout` in milliseconds (default: none).
   * @returns the guard.
   * @throws TimeoutError when the timeout passed first.
   * @throws {@link AbandonedLockError} when the holder died holding it.
   */
  async lock(options: LockOptions = {}): Promise<LockGuard> {
    const timeout = checkTimeout(options.timeout, 'lock');
    const acquired = await this.acquire(timeout === undefined ? undefined : { timeout });
    if (!acquired) throw new TimeoutError(`the lock was not acquired within ${String(timeout)} ms`);
    return this.#guard();
  }

  /**
   * Like {@link lock}, blocking the calling thread: `using held = lock.lockSync()`.
   *
   * @param options - `timeout` in milliseconds (default: none).
   * @returns the guard.
   * @throws TimeoutError when the timeout passed first.
   */
  lockSync(options: LockOptions = {}): LockGuard {
    const timeout = checkTimeout(options.timeout, 'lockSync');
    const acquired = this.acquireSync(timeout === undefined ? undefined : { timeout });
    if (!acquired) throw new TimeoutError(`the lock was not acquired within ${String(timeout)} ms`);
    return this.#guard();
  }

  #guard(): LockGuard {
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.release();
    };
    return { release, [Symbol.dispose]: release };
  }

  /** @internal The local mutex and this thread's token, or undefined for a proxy. */
  get [MUTEX](): LocalMutex | undefined {
    return this.#mutex === undefined ? undefined : { mutex: this.#mutex, token: this.#token };
  }

  /** @internal The proxy reference, or undefined for a local lock. */
  get remoteRef(): RemoteRef | undefined {
    return this.#ref;
  }

  /** @internal Describes the lock for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    const base = { reviver: this.reviverUrl, name: this.reviverName };
    if (this.#ref !== undefined) {
      this.#served ??= forwarder(this.#ref);
      return { ...base, data: { kind: 'remote', id: context.serve(this.#served) } satisfies RemoteData };
    }
    const mutex = this.#mutex as Mutex;
    if (context.capabilities.sharedMemory) {
      const data: SharedMutexData = { kind: 'shared', state: mutex.state.buffer as SharedArrayBuffer, table: mutex.table.buffer };
      return { ...base, data };
    }
    this.#served ??= serveMutex(mutex);
    return { ...base, data: { kind: 'remote', id: context.serve(this.#served) } satisfies RemoteData };
  }
}

/** Turns revived descriptor data into a {@link MutexInit}. */
export function mutexInit(data: unknown, context: ReviveContext, what: string): MutexInit {
  const received = data as SharedMutexData | RemoteData;
  if (received.kind === 'shared') return received;
  return { kind: 'proxy', ref: remoteRef(received, context, what) };
}
