/**
 * `JoinableQueue`: a {@link Queue} that also counts unfinished tasks, as Python's
 * `multiprocessing.JoinableQueue`. Every put adds one; a consumer calls `taskDone()` for each item it
 * has finished; `join()` waits until the count is back to zero. The count lives in the queue's shared
 * memory, so it is right across threads and processes.
 *
 * @packageDocumentation
 */
import { registerQueueKind } from './internal/backend.js';
import { Queue, QUEUE_BACKEND } from './queue.js';

/**
 * A {@link Queue} with `taskDone()` and `join()`, as Python's `multiprocessing.JoinableQueue`.
 *
 * @typeParam T - the item type.
 * @example
 * ```ts
 * import { JoinableQueue } from '@multiproc/channel';
 * const jobs = new JoinableQueue<number>();
 * await jobs.put(1);
 * await jobs.put(2);
 * const worker = (async () => {
 *   for (let i = 0; i < 2; i++) {
 *     await jobs.get();
 *     jobs.taskDone();
 *   }
 * })();
 * await jobs.join(); // resolves once both items are done
 * await worker;
 * jobs.close();
 * ```
 * @see https://multiproc.dev/guide/channel
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /** @internal */
  protected static override readonly kind: string = 'joinable';

  /**
   * Marks one item taken from the queue as finished.
   *
   * @throws `InvalidStateError` when called more times than items were put (Python's ValueError).
   * @example
   * ```ts
   * import { JoinableQueue } from '@multiproc/channel';
   * const queue = new JoinableQueue<string>();
   * await queue.put('job');
   * await queue.get();
   * queue.taskDone();
   * queue.close();
   * ```
   */
  taskDone(): void {
    this[QUEUE_BACKEND].taskDone();
  }

  /**
   * Waits until every item put has been marked done with {@link JoinableQueue.taskDone}.
   *
   * @returns a promise that resolves when the count of unfinished items is zero.
   * @example
   * ```ts
   * import { JoinableQueue } from '@multiproc/channel';
   * const queue = new JoinableQueue();
   * await queue.join(); // nothing was put: resolves at once
   * queue.close();
   * ```
   */
  join(): Promise<void> {
    return this[QUEUE_BACKEND].join();
  }

  /**
   * Like {@link JoinableQueue.join}, blocking the calling thread. For worker threads and child processes.
   *
   * @example
   * ```ts
   * import { JoinableQueue } from '@multiproc/channel';
   * const queue = new JoinableQueue();
   * queue.joinSync();
   * queue.close();
   * ```
   */
  joinSync(): void {
    this[QUEUE_BACKEND].joinSync();
  }
}

registerQueueKind('joinable', JoinableQueue);
