/**
 * `Queue`: Python's `multiprocessing.Queue` for Node.js, a FIFO that any number of threads and processes
 * put into and get from. In the process that creates it, and in its worker threads, a queue lives in
 * shared memory (a ring of records in a SharedArrayBuffer, guarded by Atomics); a child process that
 * receives it gets a proxy whose calls the owning process serves, with the same API. Pass a queue as an
 * argument to a `Process` or a pool task, or put it into another queue, and it keeps working there.
 *
 * @packageDocumentation
 */
import { describeShareable, registerReviver, type ReviveContext, type Shareable, type ShareContext, type ShareDescriptor } from '@multiproc/transport';
import {
  LocalQueueBackend,
  registerQueueKind,
  remember,
  reviveQueueHandle,
  takePendingBackend,
  type QueueBackend,
  type QueueData,
} from './internal/backend.js';
import { NO_WAIT_OPTIONS } from './internal/local.js';
import { Ring } from './internal/ring.js';

/**
 * Options of {@link Queue.put} and {@link Queue.putSync}, as Python's `put(item, block, timeout)`.
 *
 * @example
 * ```ts
 * import { Queue, type PutOptions } from '@multiproc/channel';
 * const queue = new Queue<number>(1);
 * const once: PutOptions = { timeout: 100 };
 * await queue.put(1, once);
 * await queue.put(2, once).catch((error) => console.log(error.code)); // 'ERR_QUEUE_FULL' after 100 ms
 * ```
 */
export interface PutOptions {
  /** Wait while a bounded queue is full (default `true`); `false` throws {@link FullError} at once. */
  block?: boolean;
  /** Wait at most this many milliseconds, then throw {@link FullError} (default: no limit). */
  timeout?: number;
}

/**
 * Options of {@link Queue.get} and {@link Queue.getSync}, as Python's `get(block, timeout)`.
 *
 * @example
 * ```ts
 * import { Queue, type GetOptions } from '@multiproc/channel';
 * const queue = new Queue<string>();
 * const noWait: GetOptions = { block: false };
 * await queue.get(noWait).catch((error) => console.log(error.code)); // 'ERR_QUEUE_EMPTY'
 * ```
 */
export interface GetOptions {
  /** Wait while the queue is empty (default `true`); `false` throws {@link EmptyError} at once. */
  block?: boolean;
  /** Wait at most this many milliseconds, then throw {@link EmptyError} (default: no limit). */
  timeout?: number;
}

/** @internal */
export const QUEUE_BACKEND = Symbol('multiproc.queue.backend');

/**
 * A first-in first-out queue shared between threads and processes, as Python's `multiprocessing.Queue`.
 *
 * Items are copied (structured clone), except shareable handles (another Queue, a Pipe end, a Lock...),
 * which arrive as live handles. Order is kept per producer; with many producers and consumers nothing is
 * lost or duplicated. `close()` is global (unlike Python, where it only closes this process's end): later
 * puts throw `ClosedError`, gets drain what is left and then throw `ClosedError`, `for await` ends.
 *
 * Differences from Python: a put that cannot be cloned throws at once (Python's feeder thread drops it
 * later), and the queue keeps its right size; a consumer blocked on a closed, drained queue is released
 * with `ClosedError` instead of hanging.
 *
 * @typeParam T - the item type.
 * @example
 * ```ts
 * import { Queue } from '@multiproc/channel';
 * const queue = new Queue<{ id: number }>(100);
 * await queue.put({ id: 1 });
 * console.log(await queue.get()); // { id: 1 }
 * queue.close();
 * ```
 * @see https://multiproc.dev/guide/channel
 */
export class Queue<T = unknown> implements Shareable, AsyncIterable<T> {
  /** @internal */
  protected static readonly kind: string = 'queue';
  /** @internal */
  readonly [QUEUE_BACKEND]: QueueBackend;

  /**
   * @param maxsize - the most items the queue holds; `put` waits while it is full. 0 or less (the
   *   default) is unbounded.
   * @throws {@link "@multiproc/transport"!InvalidArgumentError | InvalidArgumentError} for a `maxsize` that is not an integer.
   */
  constructor(maxsize = 0) {
    const kind = (new.target as unknown as { kind: string }).kind;
    this[QUEUE_BACKEND] =
      takePendingBackend(this) ?? new LocalQueueBackend(Ring.create(Ring.checkMaxsize(maxsize)), true, kind === 'joinable', this);
    remember(this[QUEUE_BACKEND].ringId, this);
  }

  /**
   * The `maxsize` the queue was created with (0: unbounded).
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue(8);
   * console.log(queue.maxsize); // 8
   * queue.close();
   * ```
   */
  get maxsize(): number {
    return this[QUEUE_BACKEND].maxsize();
  }

  /**
   * Puts an item, waiting while a bounded queue is full.
   *
   * @param item - any structured-cloneable value or shareable handle.
   * @param options - `block` and `timeout`.
   * @returns a promise that resolves once the item is in the queue.
   * @throws (rejects with) `NotCloneableError` at once for an item that cannot be sent, `FullError`
   *   when full and not waiting or after the timeout, `ClosedError` once closed.
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<string>(1);
   * await queue.put('a');
   * await queue.put('b', { timeout: 10 }).catch((error) => console.log(error.code)); // 'ERR_QUEUE_FULL'
   * queue.close();
   * ```
   */
  put(item: T, options: PutOptions = NO_WAIT_OPTIONS): Promise<void> {
    return this[QUEUE_BACKEND].put(item, options);
  }

  /**
   * Puts an item, blocking the calling thread while a bounded queue is full. For worker threads and
   * child processes (on the main thread it freezes the event loop while it waits).
   *
   * @param item - the item.
   * @param options - `block` and `timeout`.
   * @throws `NotCloneableError`, `FullError`, `ClosedError` as {@link Queue.put}.
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<number>();
   * queue.putSync(1);
   * console.log(queue.getSync()); // 1
   * queue.close();
   * ```
   */
  putSync(item: T, options: PutOptions = NO_WAIT_OPTIONS): void {
    this[QUEUE_BACKEND].putSync(item, options);
  }

  /**
   * Puts an item without waiting: `putSync(item, { block: false })`.
   *
   * @param item - the item.
   * @throws `FullError` when the queue is full; `NotCloneableError`, `ClosedError`.
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<number>(1);
   * queue.putNowait(1);
   * queue.close();
   * ```
   */
  putNowait(item: T): void {
    this[QUEUE_BACKEND].putSync(item, { block: false });
  }

  /**
   * Takes the next item, waiting while the queue is empty.
   *
   * @param options - `block` and `timeout`.
   * @returns a promise of the item.
   * @throws (rejects with) `EmptyError` when empty and not waiting or after the timeout,
   *   `ClosedError` once the queue is closed and drained.
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<number>();
   * setTimeout(() => void queue.put(42), 10);
   * console.log(await queue.get({ timeout: 5_000 })); // 42
   * queue.close();
   * ```
   */
  get(options: GetOptions = NO_WAIT_OPTIONS): Promise<T> {
    return this[QUEUE_BACKEND].get(options) as Promise<T>;
  }

  /**
   * Takes the next item, blocking the calling thread while the queue is empty. For worker threads and
   * child processes.
   *
   * @param options - `block` and `timeout`.
   * @returns the item.
   * @throws `EmptyError`, `ClosedError` as {@link Queue.get}.
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<number>();
   * queue.putSync(7);
   * console.log(queue.getSync({ timeout: 1_000 })); // 7
   * queue.close();
   * ```
   */
  getSync(options: GetOptions = NO_WAIT_OPTIONS): T {
    return this[QUEUE_BACKEND].getSync(options) as T;
  }

  /**
   * Takes the next item without waiting: `getSync({ block: false })`.
   *
   * @returns the item.
   * @throws `EmptyError` when the queue is empty; `ClosedError` once closed and drained.
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<number>();
   * queue.putNowait(3);
   * console.log(queue.getNowait()); // 3
   * queue.close();
   * ```
   */
  getNowait(): T {
    return this[QUEUE_BACKEND].getSync({ block: false }) as T;
  }

  /**
   * How many items are in the queue now (a snapshot: other threads may change it at once). Python's
   * `qsize()` raises NotImplementedError on macOS; this one works everywhere.
   *
   * @returns the number of items.
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * console.log(queue.qsize()); // 1
   * queue.close();
   * ```
   */
  qsize(): number {
    return this[QUEUE_BACKEND].qsize();
  }

  /**
   * Whether the queue is empty now (a snapshot).
   * @returns `true` when `qsize() === 0`.
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue();
   * console.log(queue.empty()); // true
   * queue.close();
   * ```
   */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /**
   * Whether a bounded queue is full now (a snapshot). Always `false` for an unbounded queue.
   * @returns `true` when `qsize() >= maxsize`.
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<number>(1);
   * queue.putNowait(1);
   * console.log(queue.full()); // true
   * queue.close();
   * ```
   */
  full(): boolean {
    const maxsize = this.maxsize;
    return maxsize > 0 && this.qsize() >= maxsize;
  }

  /**
   * Whether the queue was closed (by any holder, in any thread or process).
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue();
   * queue.close();
   * console.log(queue.closed); // true
   * ```
   */
  get closed(): boolean {
    return this[QUEUE_BACKEND].closed();
  }

  /**
   * Closes the queue for everyone: later puts throw `ClosedError`; gets drain what is left, then
   * throw `ClosedError`; consumers blocked in `get` are released; `for await` loops end. Idempotent.
   * Python's `close()` only closes the calling process's end; here it is global.
   *
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<number>();
   * await queue.put(1);
   * queue.close();
   * console.log(await queue.get()); // 1: what was put before close is delivered
   * ```
   */
  close(): void {
    this[QUEUE_BACKEND].close();
  }

  /**
   * Iterates the items as they arrive, until the queue is closed and drained.
   *
   * @example
   * ```ts
   * import { Queue } from '@multiproc/channel';
   * const queue = new Queue<number>();
   * await queue.put(1);
   * await queue.put(2);
   * queue.close();
   * for await (const item of queue) console.log(item); // 1, 2
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    // A plain iterator rather than an async generator: when an item is ready, `next()` takes it at once
    // and costs one promise, not the generator's queue of them.
    // Once the queue is closed and drained it stays so: every later `next()` is done too.
    const backend = this[QUEUE_BACKEND];
    let returned = false;
    return {
      next: (): Promise<IteratorResult<T>> =>
        returned ? Promise.resolve({ value: undefined, done: true }) : (backend.next() as Promise<IteratorResult<T>>),
      return: (): Promise<IteratorResult<T>> => {
        returned = true;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /**
   * @internal Describes the queue for a trip to another thread (shared memory) or process (a proxy).
   */
  [describeShareable](context: ShareContext): ShareDescriptor {
    const kind = (this.constructor as unknown as { kind: string }).kind;
    return { reviver: import.meta.url, name: 'reviveQueue', data: { kind, ...this[QUEUE_BACKEND].describe(context) } };
  }
}

/**
 * @internal Revives a queue that crossed a boundary (registered as the reviver of every queue class).
 */
export function reviveQueue(data: unknown, context: ReviveContext): unknown {
  return reviveQueueHandle(data as QueueData & { kind: string }, context.remote);
}

registerQueueKind('queue', Queue);
registerReviver(import.meta.url, 'reviveQueue', reviveQueue);
