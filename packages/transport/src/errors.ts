/**
 * The error hierarchy shared by every multiproc package. {@link MultiprocError} is the one base class:
 * it carries a Node-style `code`, always keeps the underlying error as `cause`, and offers an
 * `isInstance` check that still works when two copies of a package are installed (it looks for a
 * `Symbol.for` marker and the class name instead of relying on `instanceof`). Each failure has its own
 * subclass; packages register theirs with {@link registerErrorClass} so an error that crosses a thread or
 * process boundary is revived as the same class on the other side.
 *
 * @packageDocumentation
 */

const ERROR_MARKER: unique symbol = Symbol.for('multiproc.error') as never;

/**
 * Options accepted by every multiproc error constructor.
 *
 * @example
 * ```ts
 * import { TimeoutError, type MultiprocErrorOptions } from '@multiproc/transport';
 * const options: MultiprocErrorOptions = { cause: new Error('the worker did not answer') };
 * const error = new TimeoutError('task timed out after 5000 ms', options);
 * console.log(error.cause); // Error: the worker did not answer
 * ```
 */
export interface MultiprocErrorOptions {
  /** The underlying error, kept as `cause`. */
  cause?: unknown;
}

/**
 * The base class of every error thrown by multiproc. Every subclass has a stable `code`
 * (`ERR_...`), and `isInstance` works across duplicate installs of the package.
 *
 * @example
 * ```ts
 * import { MultiprocError, ClosedError } from '@multiproc/transport';
 * try {
 *   throw new ClosedError('the queue is closed');
 * } catch (error) {
 *   if (MultiprocError.isInstance(error)) console.log(error.code); // 'ERR_CLOSED' (narrowed to MultiprocError)
 * }
 * ```
 */
export class MultiprocError extends Error {
  /** The Node-style error code, e.g. `ERR_CLOSED`. */
  readonly code: string;

  /**
   * @param message - what went wrong and what to do about it.
   * @param code - the error code; subclasses pass their own.
   * @param options - `cause`: the underlying error.
   */
  constructor(message: string, code = 'ERR_MULTIPROC', options: MultiprocErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    Object.defineProperty(this, 'name', {
      value: new.target.name,
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }

  /**
   * Whether `value` is an instance of this class (or of a subclass), also when it was created by
   * another copy of the package or revived from another thread or process.
   *
   * @param value - anything.
   * @returns `true` when `value` is a multiproc error of this class.
   * @example
   * ```ts
   * import { TimeoutError } from '@multiproc/transport';
   * TimeoutError.isInstance(new TimeoutError('too slow')); // true
   * ```
   */
  static isInstance<T extends MultiprocError>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    if (value === null || typeof value !== 'object' || (value as Record<symbol, unknown>)[ERROR_MARKER] !== true) {
      return false;
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const wanted = this.name;
    if (wanted === 'MultiprocError') return true;
    for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
      if ((proto as { constructor?: { name?: string } }).constructor?.name === wanted) return true;
    }
    return (value as Error).name === wanted;
  }
}

/**
 * Thrown when something is used after it was closed: sending on a closed transport, putting on a
 * closed queue, calling a closed pool. The message says which object and what to do.
 *
 * @example
 * ```ts
 * import { ClosedError } from '@multiproc/transport';
 * const error = new ClosedError('cannot send: the transport is closed');
 * console.log(error.code); // 'ERR_CLOSED'
 * ```
 */
export class ClosedError extends MultiprocError {
  /**
   * @param message - what was closed.
   * @param options - `cause` and an optional more specific `code`.
   */
  constructor(message: string, options: MultiprocErrorOptions & { code?: string } = {}) {
    super(message, options.code ?? 'ERR_CLOSED', options);
  }
}

/**
 * Thrown at the sender when a value cannot cross a thread or process boundary (a function that is not
 * a task reference, a symbol, a WeakMap...). `path` names the bad value, e.g. `args[1].callback`.
 *
 * @example
 * ```ts
 * import { encode, NotCloneableError } from '@multiproc/transport';
 * try {
 *   encode([1, { callback: () => 1 }], { path: 'args' });
 * } catch (error) {
 *   if (NotCloneableError.isInstance(error)) console.log((error as NotCloneableError).path); // 'args[1].callback'
 * }
 * ```
 */
export class NotCloneableError extends MultiprocError {
  /** Where the bad value sits inside what was sent, e.g. `args[1].callback`. */
  readonly path: string;
  /**
   * @param path - where the bad value is.
   * @param what - what kind of value it is.
   * @param options - `cause`.
   */
  constructor(path: string, what: string, options: MultiprocErrorOptions = {}) {
    super(
      `${path} is ${what}, which cannot be sent to another thread or process. ` +
        'Send plain data (structured-cloneable values), a task reference from defineTasks(), or a multiproc shareable handle.',
      'ERR_NOT_CLONEABLE',
      options,
    );
    this.path = path;
  }
}

/**
 * Thrown (or used to reject) when an operation with a timeout did not finish in time.
 *
 * @example
 * ```ts
 * import { TimeoutError } from '@multiproc/transport';
 * const error = new TimeoutError('the result was not ready within 100 ms');
 * console.log(error.code); // 'ERR_TIMEOUT'
 * ```
 */
export class TimeoutError extends MultiprocError {
  /**
   * @param message - what timed out, and after how long.
   * @param options - `cause`.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_TIMEOUT', options);
  }
}

/**
 * Thrown at once for bad input: a negative size, an unknown option value, a wrong type.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError } from '@multiproc/transport';
 * const error = new InvalidArgumentError('size must be a positive integer, got -1');
 * console.log(error.code); // 'ERR_INVALID_ARGUMENT'
 * ```
 */
export class InvalidArgumentError extends MultiprocError {
  /**
   * @param message - what was wrong with the input and what is accepted.
   * @param options - `cause`.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_INVALID_ARGUMENT', options);
  }
}

/**
 * Thrown when an object is used in a way its current state does not allow: starting a process twice,
 * setting `daemon` after start, joining a process that was never started.
 *
 * @example
 * ```ts
 * import { InvalidStateError } from '@multiproc/transport';
 * const error = new InvalidStateError('cannot start a process twice');
 * console.log(error.code); // 'ERR_INVALID_STATE'
 * ```
 */
export class InvalidStateError extends MultiprocError {
  /**
   * @param message - what state the object is in and what is allowed.
   * @param options - `cause`.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_INVALID_STATE', options);
  }
}

/**
 * Thrown when a feature is not available where it was asked for: shared memory over a transport
 * that has none, TypeScript task modules on a worker thread of a Node.js without type stripping.
 *
 * @example
 * ```ts
 * import { UnsupportedError } from '@multiproc/transport';
 * const error = new UnsupportedError('view needs shared memory; use get() and set()');
 * console.log(error.code); // 'ERR_UNSUPPORTED'
 * ```
 */
export class UnsupportedError extends MultiprocError {
  /**
   * @param message - what is unsupported, and the alternative.
   * @param options - `cause`.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_UNSUPPORTED', options);
  }
}

/**
 * Thrown when the other side of a transport sends something that does not follow the multiproc wire
 * protocol (a different spec version, a malformed frame).
 *
 * @example
 * ```ts
 * import { ProtocolError } from '@multiproc/transport';
 * const error = new ProtocolError('unexpected frame');
 * console.log(error.code); // 'ERR_PROTOCOL'
 * ```
 */
export class ProtocolError extends MultiprocError {
  /**
   * @param message - what was malformed.
   * @param options - `cause`.
   */
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'ERR_PROTOCOL', options);
  }
}

/**
 * Rejects work that was cancelled through an `AbortSignal`; `cause` is `signal.reason`.
 *
 * @example
 * ```ts
 * import { AbortError } from '@multiproc/transport';
 * const controller = new AbortController();
 * controller.abort(new Error('user pressed stop'));
 * const error = new AbortError('the map was aborted', { cause: controller.signal.reason });
 * console.log(error.code); // 'ABORT_ERR'
 * ```
 */
export class AbortError extends MultiprocError {
  /**
   * @param message - what was aborted.
   * @param options - `cause`: the signal's reason.
   */
  constructor(message = 'The operation was aborted', options: MultiprocErrorOptions = {}) {
    super(message, 'ABORT_ERR', options);
  }
}

Object.defineProperty(MultiprocError.prototype, ERROR_MARKER, { value: true, enumerable: false });

type ErrorClass = new (...args: never[]) => Error;
const REGISTRY = Symbol.for('multiproc.errorClasses');
// Shared through globalThis so that two copies of this package see one registry.
const registry: Map<string, ErrorClass> = ((globalThis as { [REGISTRY]?: Map<string, ErrorClass> })[REGISTRY] ??= new Map());

/**
 * Registers an error class so that an instance of it crossing a thread or process boundary is revived
 * as that class (matched by `name`). Every multiproc package registers its own errors; register yours
 * to get the same for custom errors thrown by tasks.
 *
 * @param errorClass - the class; its `name` is the key.
 * @returns the same class, so it can wrap a declaration.
 * @example
 * ```ts
 * import { registerErrorClass } from '@multiproc/transport';
 * class OutOfStockError extends Error {
 *   override name = 'OutOfStockError';
 * }
 * registerErrorClass(OutOfStockError);
 * ```
 */
export function registerErrorClass<T extends new (...args: never[]) => Error>(errorClass: T): T {
  registry.set(errorClass.name, errorClass);
  return errorClass;
}

/** @internal Looks up a registered error class by name. */
export function lookupErrorClass(name: string): ErrorClass | undefined {
  return registry.get(name);
}

for (const errorClass of [
  MultiprocError,
  ClosedError,
  NotCloneableError,
  TimeoutError,
  InvalidArgumentError,
  InvalidStateError,
  UnsupportedError,
  ProtocolError,
  AbortError,
]) {
  registerErrorClass(errorClass);
}
