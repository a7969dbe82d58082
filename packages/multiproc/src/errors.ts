/**
 * The one error of the umbrella package: {@link ContextAlreadySetError}, thrown by a second
 * `setStartMethod` that is not forced (Python raises `RuntimeError('context has already been set')`).
 *
 * @packageDocumentation
 */
import { InvalidStateError, registerErrorClass, type MultiprocErrorOptions } from '@multiproc/transport';

/**
 * Thrown by `setStartMethod` when the start method was already set and `force` is not given, as Python's
 * `set_start_method` raises `RuntimeError('context has already been set')`. It is an
 * {@link InvalidStateError} (so `InvalidStateError.isInstance` is true for it) with its own code,
 * `ERR_CONTEXT_ALREADY_SET`.
 *
 * @example
 * ```ts
 * import { ContextAlreadySetError, setStartMethod } from 'multiproc';
 * setStartMethod('process');
 * try {
 *   setStartMethod('thread');
 * } catch (error) {
 *   if (ContextAlreadySetError.isInstance(error)) console.log((error as ContextAlreadySetError).code); // 'ERR_CONTEXT_ALREADY_SET'
 * }
 * setStartMethod('thread', { force: true }); // forcing always works
 * ```
 * @see the "Coming from Python" guide.
 */
export class ContextAlreadySetError extends InvalidStateError {
  /** Always `ERR_CONTEXT_ALREADY_SET`. */
  override readonly code: string = 'ERR_CONTEXT_ALREADY_SET';

  /**
   * @param message - which start method is set, and how to change it anyway.
   * @param options - `cause`.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, options);
  }
}
registerErrorClass(ContextAlreadySetError);
