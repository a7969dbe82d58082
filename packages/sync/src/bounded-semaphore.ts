/**
 * `BoundedSemaphore`: a {@link Semaphore} that refuses to be released past its initial value, as Python's
 * `multiprocessing.BoundedSemaphore` (a release without a matching acquire is usually a bug).
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, registerReviver } from '@multiproc/transport';
import { Semaphore, semaphoreInit, type SemaphoreInit } from './semaphore.js';

/**
 * A semaphore whose counter may never exceed its initial value: a `release` that would pass it throws
 * {@link OverReleaseError} (Python raises `ValueError`). Everything else is {@link Semaphore}.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from '@multiproc/sync';
 * const connections = new BoundedSemaphore(3);
 * if (await connections.acquire({ timeout: 1_000 })) {
 *   try {
 *     // use a connection
 *   } finally {
 *     connections.release();
 *   }
 * }
 * ```
 * @see https://multiproc.dev/guide/sync
 */
export class BoundedSemaphore extends Semaphore {
  /** @internal */
  protected override readonly reviverName: string = 'reviveBoundedSemaphore';
  /** @internal */
  protected override readonly reviverUrl: string = import.meta.url;

  /**
   * @param value - the initial counter and its bound (default 1), an integer >= 0.
   * @throws InvalidArgumentError for a negative or non-integer value.
   */
  constructor(value?: number);
  /** @internal */
  constructor(init: SemaphoreInit);
  constructor(value: number | SemaphoreInit = 1) {
    if (value === null) throw new InvalidArgumentError('the initial value of a semaphore must be an integer >= 0, got null');
    super(typeof value === 'object' ? value : { kind: 'new', value, bounded: true });
  }
}

registerReviver(import.meta.url, 'reviveBoundedSemaphore', (data, context) => new BoundedSemaphore(semaphoreInit(data, context)));
