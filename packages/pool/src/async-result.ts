/**
 * `AsyncResult`: what `applyAsync`, `mapAsync` and `starmapAsync` return, as in Python. It can be
 * polled (`ready`, `successful`), waited for with a timeout (`wait`, `get`), or simply awaited, since it
 * is a thenable. An AsyncResult used only through callbacks never raises an unhandled rejection.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, InvalidStateError, TimeoutError } from '@multiproc/transport';

type State<T> = { status: 'pending' } | { status: 'fulfilled'; value: T } | { status: 'rejected'; error: unknown };

function checkTimeout(timeoutMs: number | undefined, method: string): void {
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
    throw new InvalidArgumentError(`${method}(timeoutMs): timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
  }
}

/**
 * The result of an asynchronous pool call.
 *
 * @typeParam T - the value the call produces.
 * @example
 * ```ts
 * import { Pool } from '@multiproc/pool';
 * await using pool = new Pool(2);
 * const result = pool.applyAsync((a: number, b: number) => a + b, [1, 2]);
 * console.log(result.ready()); // false (most likely)
 * console.log(await result.get(5_000)); // 3
 * console.log(result.successful()); // true
 * ```
 */
export class AsyncResult<T> implements PromiseLike<T> {
  readonly #promise: Promise<T>;
  #state: State<T> = { status: 'pending' };

  /**
   * @internal Created by the pool.
   * @param executor - receives the functions that settle it.
   */
  constructor(executor: (resolve: (value: T) => void, reject: (error: unknown) => void) => void) {
    this.#promise = new Promise<T>((resolve, reject) => {
      executor(
        (value) => {
          if (this.#state.status !== 'pending') return;
          this.#state = { status: 'fulfilled', value };
          resolve(value);
        },
        (error) => {
          if (this.#state.status !== 'pending') return;
          this.#state = { status: 'rejected', error };
          reject(error);
        },
      );
    });
    // Rejections are reported to whoever asks (get, then, errorCallback), never as unhandled.
    this.#promise.catch(() => {});
  }

  /**
   * Whether the call has finished (successfully or not).
   * @returns `true` once settled.
   */
  ready(): boolean {
    return this.#state.status !== 'pending';
  }

  /**
   * Whether the call finished without an error.
   * @returns `true` if it succeeded.
   * @throws {@link "@multiproc/transport"!InvalidStateError | InvalidStateError} when it has not finished yet (Python raises ValueError).
   */
  successful(): boolean {
    if (this.#state.status === 'pending') {
      throw new InvalidStateError('the result is not ready yet: call successful() after ready() is true');
    }
    return this.#state.status === 'fulfilled';
  }

  /**
   * Waits until the call has finished or the timeout passes.
   * @param timeoutMs - how long to wait at most; forever when omitted.
   * @returns whether the result is ready.
   */
  wait(timeoutMs?: number): Promise<boolean> {
    checkTimeout(timeoutMs, 'wait');
    if (this.#state.status !== 'pending') return Promise.resolve(true);
    const settled = this.#promise.then(
      () => true,
      () => true,
    );
    if (timeoutMs === undefined) return settled;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      void settled.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * The value, once ready: resolves with it, or rejects with the task's error.
   * @param timeoutMs - reject with a {@link "@multiproc/transport"!TimeoutError | TimeoutError} if not ready by then; the call goes on and
   *   `get` can be called again.
   * @returns a promise of the value.
   */
  get(timeoutMs?: number): Promise<T> {
    checkTimeout(timeoutMs, 'get');
    if (timeoutMs === undefined || this.#state.status !== 'pending') return this.#promise;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError(`the result was not ready within ${timeoutMs} ms`)), timeoutMs);
      this.#promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Makes the result awaitable: `await result` is `await result.get()`. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#promise.then(onFulfilled, onRejected);
  }

  /** @internal */
  get [Symbol.toStringTag](): string {
    return 'AsyncResult';
  }
}
