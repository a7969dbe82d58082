/**
 * `Semaphore`: a counter that `acquire` decrements (waiting while it is zero) and `release` increments, as
 * Python's `multiprocessing.Semaphore`. Between threads it lives in shared memory (a compare-and-swap on the
 * counter, waiters counted and parked futex-style on it); a child process gets a proxy served by the owner.
 * A semaphore has no owner, so (as in Python) a holder that dies is not detected: use a {@link Lock} for
 * mutual exclusion that must survive crashes.
 *
 * @packageDocumentation
 */
import {
  describeShareable,
  InvalidArgumentError,
  notify,
  registerReviver,
  UnsupportedError,
  waitAsync,
  waitSync,
  type ReviveContext,
  type ServedObject,
  type ShareContext,
  type ShareDescriptor,
} from '@multiproc/transport';
import { OverReleaseError } from './errors.js';
import {
  callRemote,
  callRemoteSync,
  checkCount,
  deadlineOf,
  forwarder,
  holdRemote,
  leftUntil,
  parseAcquire,
  remoteRef,
  type AcquireOptions,
  type RemoteData,
  type RemoteRef,
} from './internal/remote.js';

const VALUE = 0;
const WAITERS = 1;
const BOUND = 2;

/** @internal What a semaphore is built from. */
export type SemaphoreInit =
  | { kind: 'new'; value: number; bounded: boolean }
  | { kind: 'shared'; state: SharedArrayBuffer }
  | { kind: 'proxy'; ref: RemoteRef };

/**
 * A counting semaphore for threads and processes, as Python's `multiprocessing.Semaphore(value)`.
 * `acquire` waits while the counter is zero, then decrements it; `release(n)` adds `n` and wakes that many
 * waiters. Async methods never block the event loop; `acquireSync` blocks (for workers).
 *
 * @example
 * ```ts
 * import { Semaphore } from '@multiproc/sync';
 * const slots = new Semaphore(2); // at most two at a time
 * await slots.acquire();
 * try {
 *   // use one of the two slots
 * } finally {
 *   slots.release();
 * }
 * ```
 * @see https://multiproc.dev/guide/sync
 */
export class Semaphore {
  readonly #state: Int32Array | undefined;
  readonly #ref: RemoteRef | undefined;
  #served: ServedObject | undefined;
  /** @internal */
  protected readonly reviverName: string = 'reviveSemaphore';
  /** @internal */
  protected readonly reviverUrl: string = import.meta.url;

  /**
   * @param value - the initial counter (default 1), an integer >= 0.
   * @throws InvalidArgumentError for a negative or non-integer value.
   */
  constructor(value?: number);
  /** @internal */
  constructor(init: SemaphoreInit);
  constructor(value: number | SemaphoreInit = 1) {
    const init: SemaphoreInit = typeof value === 'object' ? value : { kind: 'new', value, bounded: false };
    if (init.kind === 'proxy') {
      this.#ref = init.ref;
      holdRemote(init.ref, this);
    } else if (init.kind === 'shared') {
      this.#state = new Int32Array(init.state);
    } else {
      if (typeof init.value !== 'number' || !Number.isInteger(init.value) || init.value < 0 || init.value > 0x7fffffff) {
        throw new InvalidArgumentError(`the initial value of a semaphore must be an integer >= 0, got ${String(init.value)}`);
      }
      this.#state = new Int32Array(new SharedArrayBuffer(16));
      this.#state[VALUE] = init.value;
      this.#state[BOUND] = init.bounded ? init.value : -1;
    }
  }

  /**
   * Decrements the counter, waiting (without blocking the event loop) while it is zero.
   *
   * @param options - `block` (default `true`) and `timeout` in milliseconds (default: none).
   * @returns `true` once decremented; `false` when `block` is `false` and the counter is zero, or on timeout.
   * @throws InvalidArgumentError for a negative timeout, or a timeout with `block: false`.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const [block, timeout] = parseAcquire(options, 'acquire');
    if (this.#state === undefined) return callRemote(this.#ref as RemoteRef, 'acquire', [block, timeout]) as Promise<boolean>;
    return acquireAsync(this.#state, block, timeout);
  }

  /**
   * Like {@link acquire}, blocking the calling thread (for worker threads and child processes).
   *
   * @param options - `block` (default `true`) and `timeout` in milliseconds (default: none).
   * @returns whether the counter was decremented.
   */
  acquireSync(options?: AcquireOptions): boolean {
    const [block, timeout] = parseAcquire(options, 'acquireSync');
    if (this.#state === undefined) return callRemoteSync(this.#ref as RemoteRef, 'acquire', [block, timeout]) as boolean;
    return acquireSync(this.#state, block, timeout);
  }

  /**
   * Adds `n` to the counter and wakes up to `n` waiters.
   *
   * @param n - how much to add (default 1), an integer >= 1.
   * @throws {@link OverReleaseError} for a {@link BoundedSemaphore} whose counter would pass its initial value.
   */
  release(n = 1): void {
    checkCount(n, 'release(n): n', 1);
    if (this.#state === undefined) {
      const ref = this.#ref as RemoteRef;
      try {
        callRemoteSync(ref, 'release', [n]);
      } catch (error) {
        if (!UnsupportedError.isInstance(error)) throw error;
        void callRemote(ref, 'release', [n]).catch(() => {});
      }
      return;
    }
    release(this.#state, n);
  }

  /**
   * The current counter, as Python's `get_value()` (a snapshot).
   *
   * @returns the counter.
   */
  getValue(): number {
    if (this.#state === undefined) return callRemoteSync(this.#ref as RemoteRef, 'getValue', []) as number;
    return Atomics.load(this.#state, VALUE);
  }

  /** @internal Describes the semaphore for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    const base = { reviver: this.reviverUrl, name: this.reviverName };
    if (this.#ref !== undefined) {
      this.#served ??= forwarder(this.#ref);
      return { ...base, data: { kind: 'remote', id: context.serve(this.#served) } satisfies RemoteData };
    }
    const state = this.#state as Int32Array;
    if (context.capabilities.sharedMemory) return { ...base, data: { kind: 'shared', state: state.buffer } };
    this.#served ??= {
      call(method, args) {
        switch (method) {
          case 'acquire':
            return acquireAsync(state, args[0] as boolean, args[1] as number | undefined);
          case 'release':
            return release(state, args[0] as number);
          case 'getValue':
            return Atomics.load(state, VALUE);
          default:
            throw new UnsupportedError(`a semaphore has no method ${method}`);
        }
      },
    };
    return { ...base, data: { kind: 'remote', id: context.serve(this.#served) } satisfies RemoteData };
  }
}

function tryTake(state: Int32Array): boolean {
  let value = Atomics.load(state, VALUE);
  while (value > 0) {
    const seen = Atomics.compareExchange(state, VALUE, value, value - 1);
    if (seen === value) return true;
    value = seen;
  }
  return false;
}

function passOn(state: Int32Array): void {
  if (Atomics.load(state, VALUE) > 0 && Atomics.load(state, WAITERS) > 1) notify(state, VALUE, 1);
}

function acquireSync(state: Int32Array, block: boolean, timeout: number | undefined): boolean {
  if (tryTake(state)) return true;
  if (!block) return false;
  const deadline = deadlineOf(timeout);
  Atomics.add(state, WAITERS, 1);
  try {
    for (;;) {
      if (tryTake(state)) return true;
      const left = leftUntil(deadline);
      if (left <= 0) {
        passOn(state);
        return false;
      }
      waitSync(state, VALUE, 0, left === Number.POSITIVE_INFINITY ? undefined : left);
    }
  } finally {
    Atomics.sub(state, WAITERS, 1);
  }
}

async function acquireAsync(state: Int32Array, block: boolean, timeout: number | undefined): Promise<boolean> {
  if (tryTake(state)) return true;
  if (!block) return false;
  const deadline = deadlineOf(timeout);
  Atomics.add(state, WAITERS, 1);
  try {
    for (;;) {
      if (tryTake(state)) return true;
      const left = leftUntil(deadline);
      if (left <= 0) {
        passOn(state);
        return false;
      }
      await waitAsync(state, VALUE, 0, left === Number.POSITIVE_INFINITY ? undefined : left);
    }
  } finally {
    Atomics.sub(state, WAITERS, 1);
  }
}

function release(state: Int32Array, n: number): void {
  const bound = Atomics.load(state, BOUND);
  if (bound >= 0) {
    let value = Atomics.load(state, VALUE);
    for (;;) {
      if (value + n > bound) {
        throw new OverReleaseError(`the BoundedSemaphore was released too many times (its value would pass ${bound})`);
      }
      const seen = Atomics.compareExchange(state, VALUE, value, value + n);
      if (seen === value) break;
      value = seen;
    }
  } else {
    Atomics.add(state, VALUE, n);
  }
  if (Atomics.load(state, WAITERS) > 0) notify(state, VALUE, n);
}

/** @internal Builds the init of a revived semaphore. */
export function semaphoreInit(data: unknown, context: ReviveContext): SemaphoreInit {
  const received = data as { kind: 'shared'; state: SharedArrayBuffer } | RemoteData;
  if (received.kind === 'shared') return received;
  return { kind: 'proxy', ref: remoteRef(received, context, 'Semaphore') };
}

registerReviver(import.meta.url, 'reviveSemaphore', (data, context) => new Semaphore(semaphoreInit(data, context)));
