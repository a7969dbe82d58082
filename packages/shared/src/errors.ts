/**
 * The errors of `@multiproc/shared`, registered with `registerErrorClass` so that they keep their class
 * across thread and process boundaries. Bad typecodes, sizes and elements throw the transport's
 * `InvalidArgumentError`; memory that is not shared (a proxy in a child process) throws `UnsupportedError`.
 *
 * @packageDocumentation
 */
import { MultiprocError, registerErrorClass, type MultiprocErrorOptions } from '@multiproc/transport';

/**
 * Thrown by `new SharedMemory({ name, create: true })` when a block of that name exists already (Python
 * raises `FileExistsError`).
 *
 * @example
 * ```ts
 * import { SharedMemory, SharedMemoryExistsError } from '@multiproc/shared';
 * const first = new SharedMemory({ name: 'frames', create: true, size: 64 });
 * try {
 *   new SharedMemory({ name: 'frames', create: true, size: 64 });
 * } catch (error) {
 *   console.log(SharedMemoryExistsError.isInstance(error)); // true
 * }
 * first.unlink();
 * ```
 */
export class SharedMemoryExistsError extends MultiprocError {
  /** The name that is taken. */
  readonly memoryName: string;
  /**
   * @param name - the name that is taken.
   * @param options - `cause`.
   */
  constructor(name: string, options: MultiprocErrorOptions = {}) {
    super(`a shared memory block named ${JSON.stringify(name)} exists already; attach to it (create: false) or pick another name`, 'ERR_SHARED_MEMORY_EXISTS', options);
    this.memoryName = name;
  }
}

/**
 * Thrown by `new SharedMemory({ name })` when no block of that name is known to this thread (Python raises
 * `FileNotFoundError`). Names are known in the thread that created the block, in threads started after it,
 * in threads that received the block (or a ShareableList on it) and, once announced, in running threads;
 * `SharedMemory.attach(name)` waits for that announcement.
 *
 * @example
 * ```ts
 * import { SharedMemory, SharedMemoryNotFoundError } from '@multiproc/shared';
 * try {
 *   new SharedMemory({ name: 'no-such-block' });
 * } catch (error) {
 *   console.log(SharedMemoryNotFoundError.isInstance(error)); // true
 * }
 * ```
 */
export class SharedMemoryNotFoundError extends MultiprocError {
  /** The name that was not found. */
  readonly memoryName: string;
  /**
   * @param name - the name looked up.
   * @param options - `cause`.
   */
  constructor(name: string, options: MultiprocErrorOptions = {}) {
    super(
      `no shared memory block named ${JSON.stringify(name)} is known here; create it first, pass the SharedMemory object itself to the worker, or use await SharedMemory.attach(name)`,
      'ERR_SHARED_MEMORY_NOT_FOUND',
      options,
    );
    this.memoryName = name;
  }
}

for (const errorClass of [SharedMemoryExistsError, SharedMemoryNotFoundError]) registerErrorClass(errorClass);
