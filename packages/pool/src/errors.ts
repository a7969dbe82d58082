/**
 * The errors of `@multiproc/pool`: a worker that died mid-task ({@link WorkerCrashedError}) and a pool
 * whose initializer failed ({@link PoolBrokenError}). A call on a closed pool throws the transport
 * package's `ClosedError` with code `ERR_POOL_CLOSED`; work cut short by `terminate()` rejects with
 * code `ERR_POOL_TERMINATED`.
 *
 * @packageDocumentation
 */
import { MultiprocError, registerErrorClass, type MultiprocErrorOptions } from '@multiproc/transport';

/**
 * How a worker died, as carried by {@link WorkerCrashedError}.
 *
 * @example
 * ```ts
 * import { WorkerCrashedError, type WorkerExit } from '@multiproc/pool';
 * const exit: WorkerExit = { exitCode: -9, signal: 'SIGKILL' };
 * const error = new WorkerCrashedError('PoolWorker-1 was killed', exit);
 * ```
 */
export interface WorkerExit {
  /** Python's exit code of the worker: n for process.exit(n), 1 for an uncaught error, -N for signal N. */
  readonly exitCode: number;
  /** The signal that ended a child-process worker (`'SIGKILL'`...), if a signal did. */
  readonly signal: NodeJS.Signals | undefined;
}

/**
 * The worker running a task died before finishing it (process.exit, an uncaught error in a timer,
 * out of memory, a signal). The task is not retried (it might not be safe to run twice); the worker
 * is replaced and the pool goes on. Python's Pool hangs forever in this situation.
 *
 * @example
 * ```ts
 * import { Pool, WorkerCrashedError } from '@multiproc/pool';
 * await using pool = new Pool(2);
 * try {
 *   await pool.apply(() => process.exit(3));
 * } catch (error) {
 *   if (WorkerCrashedError.isInstance(error)) console.log((error as WorkerCrashedError).exitCode); // 3
 * }
 * ```
 */
export class WorkerCrashedError extends MultiprocError {
  /** The worker's exit code (Python's rules). */
  readonly exitCode: number;
  /** The signal that ended a child-process worker, if any. */
  readonly signal: NodeJS.Signals | undefined;

  /**
   * @param message - what happened.
   * @param exit - the worker's exit code and signal.
   * @param options - `cause`.
   */
  constructor(message: string, exit: WorkerExit, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_WORKER_CRASHED', options);
    this.exitCode = exit.exitCode;
    this.signal = exit.signal;
  }
}

/**
 * The pool cannot run anything: its initializer threw in a worker (as Python's `BrokenProcessPool`), or
 * workers kept dying before they were ready. Every pending and later call rejects with it; `cause` is
 * the initializer's error.
 *
 * @example
 * ```ts
 * import { Pool, PoolBrokenError } from '@multiproc/pool';
 * const pool = new Pool({ processes: 1, initializer: () => { throw new Error('no database'); } });
 * await pool.apply((n: number) => n, [1]).catch((error) => {
 *   console.log(PoolBrokenError.isInstance(error), (error as Error).cause); // true, Error: no database
 * });
 * await pool.terminate();
 * ```
 */
export class PoolBrokenError extends MultiprocError {
  /**
   * @param message - why the pool is broken.
   * @param options - `cause`: the initializer's error.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_POOL_BROKEN', options);
  }
}

registerErrorClass(WorkerCrashedError);
registerErrorClass(PoolBrokenError);
