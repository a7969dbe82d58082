/**
 * Python's context API: {@link getContext} returns the multiprocessing API with `Process` and `Pool` bound
 * to one runtime (Python's start method); {@link setStartMethod} sets the default runtime once, through
 * `@multiproc/process`'s `setDefaultRuntime`; {@link getStartMethod} reads it. Runtimes play the part of
 * Python's start methods: `'thread'` (worker threads, the default) and `'process'` (child processes made
 * with `child_process.fork`, like Python's `spawn`). Queues, pipes, locks and shared values need no binding:
 * they are the same classes in every context and adapt to whatever they are passed to (shared memory for
 * threads, served proxies for child processes).
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from '@multiproc/transport';
import { JoinableQueue, Pipe, Queue, SimpleQueue } from '@multiproc/channel';
import { Pool, type PoolOptions } from '@multiproc/pool';
import {
  activeChildren,
  cpuCount,
  currentProcess,
  getDefaultRuntime,
  parentProcess,
  Process,
  setDefaultRuntime,
  type ProcessOptions,
  type Runtime,
  type Task,
} from '@multiproc/process';
import { RawArray, RawValue, SharedArray, Value } from '@multiproc/shared';
import { Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore } from '@multiproc/sync';
import { ContextAlreadySetError } from './errors.js';

/**
 * The multiprocessing API of one runtime, as Python's context objects (`multiprocessing.get_context('spawn')`).
 * `Process` and `Pool` start their workers on {@link Context.runtime}; everything else is the very class the
 * package exports (`ctx.Queue === Queue`), since queues, locks and shared values work with either runtime.
 *
 * @example
 * ```ts
 * import { getContext, type Context } from 'multiproc';
 * import tasks from './tasks.js'; // defineTasks(import.meta.url, { square: (n: number) => n * n })
 *
 * const ctx: Context = getContext('process');
 * await using pool = new ctx.Pool(2); // two child processes
 * console.log(await pool.map(tasks.square, [1, 2, 3])); // [1, 4, 9]
 * ```
 * @see the "Coming from Python" guide.
 */
export interface Context {
  /** The runtime `Process` and `Pool` of this context use. */
  readonly runtime: Runtime;
  /**
   * This context's runtime, as Python's `ctx.get_start_method()`.
   *
   * @returns {@link Context.runtime}.
   */
  getStartMethod(): Runtime;
  /**
   * `Process` bound to this context's runtime: `new ctx.Process({ target })` runs on it. Passing another
   * `runtime` in the options throws an `InvalidArgumentError`.
   */
  readonly Process: typeof Process;
  /**
   * `Pool` bound to this context's runtime: `new ctx.Pool(4)` starts four workers on it. Passing another
   * `runtime` in the options throws an `InvalidArgumentError`.
   */
  readonly Pool: typeof Pool;
  /** `Queue`, as exported: it adapts to the runtime it is passed to. */
  readonly Queue: typeof Queue;
  /** `SimpleQueue`, as exported. */
  readonly SimpleQueue: typeof SimpleQueue;
  /** `JoinableQueue`, as exported. */
  readonly JoinableQueue: typeof JoinableQueue;
  /** `Pipe`, as exported. */
  readonly Pipe: typeof Pipe;
  /** `Lock`, as exported. */
  readonly Lock: typeof Lock;
  /** `RLock`, as exported. */
  readonly RLock: typeof RLock;
  /** `Semaphore`, as exported. */
  readonly Semaphore: typeof Semaphore;
  /** `BoundedSemaphore`, as exported. */
  readonly BoundedSemaphore: typeof BoundedSemaphore;
  /** `Condition`, as exported. */
  readonly Condition: typeof Condition;
  /** `Event`, as exported. */
  readonly Event: typeof Event;
  /** `Barrier`, as exported. */
  readonly Barrier: typeof Barrier;
  /** `Value`, as exported. */
  readonly Value: typeof Value;
  /** `SharedArray` (Python's `ctx.Array`), as exported. */
  readonly SharedArray: typeof SharedArray;
  /** `RawValue`, as exported. */
  readonly RawValue: typeof RawValue;
  /** `RawArray`, as exported. */
  readonly RawArray: typeof RawArray;
  /** `cpuCount`, as exported. */
  readonly cpuCount: typeof cpuCount;
  /** `currentProcess`, as exported. */
  readonly currentProcess: typeof currentProcess;
  /** `parentProcess`, as exported. */
  readonly parentProcess: typeof parentProcess;
  /** `activeChildren`, as exported. */
  readonly activeChildren: typeof activeChildren;
}

/**
 * Options of {@link setStartMethod}.
 *
 * @example
 * ```ts
 * import { setStartMethod, type SetStartMethodOptions } from 'multiproc';
 * const options: SetStartMethodOptions = { force: true };
 * setStartMethod('process', options); // replaces any earlier choice
 * ```
 */
export interface SetStartMethodOptions {
  /** Set it even if it was set before (Python's `force=True`). Default `false`. */
  force?: boolean;
}

/**
 * Options of {@link getStartMethod}.
 *
 * @example
 * ```ts
 * import { getStartMethod, type GetStartMethodOptions } from 'multiproc';
 * const options: GetStartMethodOptions = { allowNone: true };
 * console.log(getStartMethod(options)); // null until setStartMethod was called
 * ```
 */
export interface GetStartMethodOptions {
  /** Return `null` when {@link setStartMethod} was never called, instead of the default (Python's `allow_none`). */
  allowNone?: boolean;
}

const RUNTIMES: readonly Runtime[] = Object.freeze(['thread', 'process'] as const);
// Shared through globalThis, as the process package keeps the default runtime, so that two copies of this
// package agree on whether the start method was set.
const SET = Symbol.for('multiproc.startMethodSet');
type Holder = { [SET]?: boolean };
const contexts = new Map<Runtime, Context>();

function checkRuntime(value: unknown, what: string): Runtime {
  if (value !== 'thread' && value !== 'process') {
    throw new InvalidArgumentError(`${what} must be 'thread' or 'process', got ${JSON.stringify(value)}`);
  }
  return value;
}

function bindRuntime(given: Runtime | undefined, runtime: Runtime, what: 'Process' | 'Pool'): Runtime {
  if (given !== undefined && given !== runtime) {
    throw new InvalidArgumentError(
      `this context's ${what} runs on '${runtime}', but the options ask for runtime '${String(given)}'. ` +
        `Use getContext('${String(given)}').${what}, or the package's ${what}, to choose the runtime per call.`,
    );
  }
  return runtime;
}

function makeContext(runtime: Runtime): Context {
  class ContextProcess<T extends Task = Task> extends Process<T> {
    constructor(options: ProcessOptions<T>) {
      // A missing or non-object options argument goes through as is: the base class reports it.
      super(
        options === null || typeof options !== 'object'
          ? options
          : { ...options, runtime: bindRuntime(options.runtime, runtime, 'Process') },
      );
    }
  }
  class ContextPool extends Pool {
    constructor(processes?: number | PoolOptions) {
      const options: PoolOptions =
        typeof processes === 'object' && processes !== null ? processes : processes === undefined ? {} : { processes };
      super({ ...options, runtime: bindRuntime(options.runtime, runtime, 'Pool') });
    }
  }
  // Named as the classes they stand for, so stack traces and logs read `Process`, `Pool`.
  Object.defineProperty(ContextProcess, 'name', { value: 'Process' });
  Object.defineProperty(ContextPool, 'name', { value: 'Pool' });
  return Object.freeze({
    runtime,
    getStartMethod: () => runtime,
    Process: ContextProcess,
    Pool: ContextPool,
    Queue,
    SimpleQueue,
    JoinableQueue,
    Pipe,
    Lock,
    RLock,
    Semaphore,
    BoundedSemaphore,
    Condition,
    Event,
    Barrier,
    Value,
    SharedArray,
    RawValue,
    RawArray,
    cpuCount,
    currentProcess,
    parentProcess,
    activeChildren,
  }) satisfies Context;
}

/**
 * The multiprocessing API bound to a runtime, as Python's `multiprocessing.get_context(method)`. Without an
 * argument, the context of the current default ({@link getStartMethod}). The same runtime always gives the
 * same object. Use it to mix runtimes in one program without touching the default.
 *
 * @param runtime - `'thread'` (worker threads) or `'process'` (child processes); default: {@link getStartMethod}.
 * @returns the {@link Context}: `ctx.Process` and `ctx.Pool` run on `runtime`, the rest is shared.
 * @throws {@link InvalidArgumentError} for any other runtime (Python raises `ValueError`).
 * @example
 * ```ts
 * import { getContext } from 'multiproc';
 * import tasks from './tasks.js'; // defineTasks(import.meta.url, { produce(queue) { ... } })
 *
 * const ctx = getContext('process');
 * const queue = new ctx.Queue<string>();
 * const child = new ctx.Process({ target: tasks.produce, args: [queue] }); // a child process
 * child.start();
 * console.log(await queue.get());
 * await child.join();
 * queue.close();
 * ```
 * @see the "Coming from Python" guide.
 */
export function getContext(runtime?: Runtime): Context {
  const chosen = runtime === undefined ? getDefaultRuntime() : checkRuntime(runtime, 'getContext(runtime): runtime');
  let context = contexts.get(chosen);
  if (context === undefined) {
    context = makeContext(chosen);
    contexts.set(chosen, context);
  }
  return context;
}

/**
 * Sets the runtime that `Process`, `Pool` and {@link getContext}`()` use when none is given, as Python's
 * `multiprocessing.set_start_method(method, force=False)`. Call it once, early (guarded by
 * `isMainProcess()` in an entry script that also defines tasks): a second call throws unless `force` is set.
 * It sets the default through `@multiproc/process`'s `setDefaultRuntime`. `setStartMethod(null, { force: true })`
 * goes back to the initial state (default `'thread'`, not set), as Python's `set_start_method(None, force=True)`.
 *
 * @param runtime - `'thread'` or `'process'`; `null` to unset.
 * @param options - {@link SetStartMethodOptions}: `force`.
 * @throws {@link ContextAlreadySetError} when it was set before and `force` is not `true`.
 * @throws {@link InvalidArgumentError} for an unknown runtime.
 * @example
 * ```ts
 * import { isMainProcess, Pool, setStartMethod } from 'multiproc';
 * import tasks from './tasks.js';
 *
 * if (isMainProcess()) {
 *   setStartMethod('process'); // every Process and Pool below runs in child processes
 *   await using pool = new Pool(2);
 *   console.log(pool.runtime, await pool.map(tasks.square, [1, 2, 3])); // 'process' [1, 4, 9]
 * }
 * ```
 * @see the "Coming from Python" guide.
 */
export function setStartMethod(runtime: Runtime | null, options: SetStartMethodOptions = {}): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`setStartMethod(runtime, options): options must be an object such as { force: true }`);
  }
  if (options.force !== undefined && typeof options.force !== 'boolean') {
    throw new InvalidArgumentError(`setStartMethod(runtime, options): force must be a boolean, got ${typeof options.force}`);
  }
  const chosen = runtime === null ? null : checkRuntime(runtime, 'setStartMethod(runtime): runtime');
  const holder = globalThis as Holder;
  if (holder[SET] === true && options.force !== true) {
    throw new ContextAlreadySetError(
      `the start method was already set to '${getDefaultRuntime()}'; it can be set once. ` +
        `Pass { force: true } to change it anyway, or use getContext('${chosen ?? 'thread'}') for the work that needs that runtime.`,
    );
  }
  if (chosen === null) {
    setDefaultRuntime('thread');
    holder[SET] = false;
    return;
  }
  setDefaultRuntime(chosen);
  holder[SET] = true;
}

/**
 * The runtime `Process` and `Pool` use when none is given, as Python's `multiprocessing.get_start_method()`.
 * Unlike Python's, reading it does not fix it: {@link setStartMethod} can still be called afterwards.
 *
 * @param options - {@link GetStartMethodOptions}: `allowNone` to get `null` while it was never set.
 * @returns `'thread'` or `'process'` (or `null`, with `allowNone`, before {@link setStartMethod}).
 * @example
 * ```ts
 * import { getStartMethod, setStartMethod } from 'multiproc';
 * console.log(getStartMethod()); // 'thread', the default
 * setStartMethod('process');
 * console.log(getStartMethod()); // 'process'
 * ```
 */
export function getStartMethod(options: GetStartMethodOptions & { allowNone: true }): Runtime | null;
export function getStartMethod(options?: GetStartMethodOptions): Runtime;
export function getStartMethod(options: GetStartMethodOptions = {}): Runtime | null {
  if (options.allowNone === true && (globalThis as Holder)[SET] !== true) return null;
  return getDefaultRuntime();
}

/**
 * The runtimes this platform supports, as Python's `multiprocessing.get_all_start_methods()`; the first
 * is the default.
 *
 * @returns `['thread', 'process']`.
 * @example
 * ```ts
 * import { getAllStartMethods, getContext } from 'multiproc';
 * for (const runtime of getAllStartMethods()) console.log(runtime, getContext(runtime).runtime);
 * ```
 */
export function getAllStartMethods(): Runtime[] {
  return [...RUNTIMES];
}
