/**
 * `SimpleQueue`: the reduced queue of Python's `multiprocessing.SimpleQueue` (put, get, empty, close),
 * with the same shared-memory ring and process proxies as {@link Queue}. It is unbounded.
 *
 * @packageDocumentation
 */
import { describeShareable, registerReviver, type Shareable, type ShareContext, type ShareDescriptor } from '@multiproc/transport';
import {
  LocalQueueBackend,
  registerQueueKind,
  remember,
  takePendingBackend,
  type QueueBackend,
} from './internal/backend.js';
import { Ring } from './internal/ring.js';
import { reviveQueue } from './queue.js';

/**
 * An unbounded FIFO between threads and processes with only `put`, `get`, `empty` and `close`, as
 * Python's `multiprocessing.SimpleQueue`. Passes to processes, pool tasks and through queues like
 * {@link Queue}.
 *
 * @typeParam T - the item type.
 * @example
 * ```ts
 * import { SimpleQueue } from '@multiproc/channel';
 * const queue = new SimpleQueue<string>();
 * await queue.put('hello');
 * console.log(await queue.get()); // 'hello'
 * queue.close();
 * ```
 * @see https://multiproc.dev/guide/channel
 */
export class SimpleQueue<T = unknown> implements Shareable {
  readonly #backend: QueueBackend;

  /** Creates an empty, unbounded queue. */
  constructor() {
    this.#backend = takePendingBackend(this) ?? new LocalQueueBackend(Ring.create(0), true, false, this);
    remember(this.#backend.ringId, this);
  }

  /**
   * Puts an item.
   * @param item - any structured-cloneable value or shareable handle.
   * @returns a promise that resolves once the item is in.
   * @throws (rejects with) `NotCloneableError` at once, `ClosedError` once closed.
   * @example
   * ```ts
   * import { SimpleQueue } from '@multiproc/channel';
   * const queue = new SimpleQueue<number>();
   * await queue.put(1);
   * queue.close();
   * ```
   */
  put(item: T): Promise<void> {
    return this.#backend.put(item, {});
  }

  /**
   * Puts an item from code that cannot await (never blocks: the queue is unbounded).
   * @param item - the item.
   * @throws `NotCloneableError`, `ClosedError`.
   * @example
   * ```ts
   * import { SimpleQueue } from '@multiproc/channel';
   * const queue = new SimpleQueue<number>();
   * queue.putSync(1);
   * queue.close();
   * ```
   */
  putSync(item: T): void {
    this.#backend.putSync(item, {});
  }

  /**
   * Takes the next item, waiting while the queue is empty.
   * @returns a promise of the item.
   * @throws (rejects with) `ClosedError` once the queue is closed and drained.
   * @example
   * ```ts
   * import { SimpleQueue } from '@multiproc/channel';
   * const queue = new SimpleQueue<number>();
   * await queue.put(5);
   * console.log(await queue.get()); // 5
   * queue.close();
   * ```
   */
  get(): Promise<T> {
    return this.#backend.get({}) as Promise<T>;
  }

  /**
   * Takes the next item, blocking the calling thread while the queue is empty (worker threads, child
   * processes).
   * @returns the item.
   * @throws `ClosedError` once the queue is closed and drained.
   * @example
   * ```ts
   * import { SimpleQueue } from '@multiproc/channel';
   * const queue = new SimpleQueue<number>();
   * queue.putSync(5);
   * console.log(queue.getSync()); // 5
   * queue.close();
   * ```
   */
  getSync(): T {
    return this.#backend.getSync({}) as T;
  }

  /**
   * Whether the queue is empty now (a snapshot).
   * @returns `true` when no item is waiting.
   * @example
   * ```ts
   * import { SimpleQueue } from '@multiproc/channel';
   * const queue = new SimpleQueue();
   * console.log(queue.empty()); // true
   * queue.close();
   * ```
   */
  empty(): boolean {
    return this.#backend.qsize() === 0;
  }

  /**
   * Closes the queue for everyone, as {@link Queue.close}.
   * @example
   * ```ts
   * import { SimpleQueue } from '@multiproc/channel';
   * const queue = new SimpleQueue();
   * queue.close();
   * ```
   */
  close(): void {
    this.#backend.close();
  }

  /** @internal Describes the queue for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    return { reviver: import.meta.url, name: 'reviveQueue', data: { kind: 'simple', ...this.#backend.describe(context) } };
  }
}

registerQueueKind('simple', SimpleQueue);
registerReviver(import.meta.url, 'reviveQueue', reviveQueue);
