/**
 * The errors of `@multiproc/channel`: a queue that has nothing to give ({@link EmptyError}), a bounded
 * queue with no room ({@link FullError}), and a pipe whose other end closed once everything it sent was
 * read ({@link EOFError}). Using a queue or pipe after `close()` throws the transport package's
 * `ClosedError`, re-exported here. Each class is registered, so it keeps its class when it crosses a
 * thread or process boundary.
 *
 * @packageDocumentation
 */
import { MultiprocError, registerErrorClass, type MultiprocErrorOptions } from '@multiproc/transport';

/**
 * `get` found the queue empty: `getNowait()`, `get({ block: false })`, or a `get` whose timeout passed
 * with nothing arriving. Python raises `queue.Empty` in the same places.
 *
 * @example
 * ```ts
 * import { Queue, EmptyError } from '@multiproc/channel';
 * const queue = new Queue<number>();
 * try {
 *   queue.getNowait();
 * } catch (error) {
 *   console.log(EmptyError.isInstance(error)); // true
 * }
 * queue.close();
 * ```
 * @see https://multiproc.dev/guide/channel
 */
export class EmptyError extends MultiprocError {
  /**
   * @param message - what was empty and for how long it was waited on.
   * @param options - `cause`.
   */
  constructor(message = 'the queue is empty', options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_QUEUE_EMPTY', options);
  }
}

/**
 * `put` found a bounded queue full: `putNowait()`, `put(item, { block: false })`, or a `put` whose
 * timeout passed before room was made. Python raises `queue.Full` in the same places.
 *
 * @example
 * ```ts
 * import { Queue, FullError } from '@multiproc/channel';
 * const queue = new Queue<number>(1);
 * queue.putNowait(1);
 * try {
 *   queue.putNowait(2);
 * } catch (error) {
 *   console.log(FullError.isInstance(error)); // true
 * }
 * queue.close();
 * ```
 * @see https://multiproc.dev/guide/channel
 */
export class FullError extends MultiprocError {
  /**
   * @param message - which queue was full and for how long it was waited on.
   * @param options - `cause`.
   */
  constructor(message = 'the queue is full', options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_QUEUE_FULL', options);
  }
}

/**
 * `recv` on a pipe whose other end is closed and whose messages have all been read. As Python's
 * `EOFError` from `Connection.recv()`.
 *
 * @example
 * ```ts
 * import { Pipe, EOFError } from '@multiproc/channel';
 * const [a, b] = Pipe<string>();
 * a.send('last words');
 * a.close();
 * console.log(await b.recv()); // 'last words'
 * await b.recv().catch((error) => console.log(EOFError.isInstance(error))); // true
 * b.close();
 * ```
 * @see https://multiproc.dev/guide/channel
 */
export class EOFError extends MultiprocError {
  /**
   * @param message - which pipe ended.
   * @param options - `cause`.
   */
  constructor(message = 'the other end of the pipe is closed and nothing is left to read', options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_EOF', options);
  }
}

registerErrorClass(EmptyError);
registerErrorClass(FullError);
registerErrorClass(EOFError);
