/**
 * `@multiproc/channel`: Python's multiprocessing queues and pipes for Node.js. `Queue`, `SimpleQueue`,
 * `JoinableQueue` and `Pipe`/`Connection` work across worker threads (on shared memory) and child
 * processes (served by the owning process), and pass to processes, pool tasks and through each other.
 *
 * @packageDocumentation
 */
export { Queue } from './queue.js';
export type { GetOptions, PutOptions } from './queue.js';
export { SimpleQueue } from './simple-queue.js';
export { JoinableQueue } from './joinable-queue.js';
export { Pipe } from './pipe.js';
export { Connection } from './connection.js';
export { EmptyError, EOFError, FullError } from './errors.js';
export { ClosedError } from '@multiproc/transport';
