/**
 * The errors of `@multiproc/process`. Misuse of a Process (start twice, join before start, use after
 * close) throws the transport package's {@link "@multiproc/transport"!InvalidStateError | InvalidStateError}; a process that could not be started at
 * all throws a {@link ProcessError} carrying the underlying error as `cause`.
 *
 * @packageDocumentation
 */
import { MultiprocError, registerErrorClass, type MultiprocErrorOptions } from '@multiproc/transport';

/**
 * A process (worker thread or child process) could not be started or failed outside of its target:
 * the bootstrap could not load, the runtime refused the options, the target could not be resolved.
 *
 * @example
 * ```ts
 * import { ProcessError } from '@multiproc/process';
 * const error = new ProcessError('could not start Process-1', { cause: new Error('EAGAIN') });
 * console.log(error.code); // 'ERR_PROCESS'
 * ```
 */
export class ProcessError extends MultiprocError {
  /**
   * @param message - what failed.
   * @param options - `cause`: the underlying error.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_PROCESS', options);
  }
}
registerErrorClass(ProcessError);
