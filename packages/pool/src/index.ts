/**
 * `@multiproc/pool`: Python's `multiprocessing.Pool` for Node.js.
 *
 * @packageDocumentation
 */
export { Pool } from './pool.js';
export type { AnyFn, ArgsOf, AsyncCallOptions, CallOptions, FirstArgOf, PoolOptions, PoolTask, ResultOf } from './pool.js';
export { AsyncResult } from './async-result.js';
export { PoolBrokenError, WorkerCrashedError } from './errors.js';
export type { WorkerExit } from './errors.js';
