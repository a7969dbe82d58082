/**
 * `Pool`: Python's `multiprocessing.Pool` for Node.js. A fixed number of workers (threads or child
 * processes) run tasks: `apply` one call, `map`/`starmap` a function over an iterable in chunks,
 * `imap`/`imapUnordered` lazily with backpressure, each with an `...Async` variant returning an
 * {@link AsyncResult}. Unlike Python's Pool it never hangs: a worker that dies mid-task rejects that task
 * with a {@link WorkerCrashedError}, the tasks queued behind it run elsewhere, and the worker is replaced.
 *
 * How it is fast: tasks are queued in the parent and sent in batches, as many per message as a worker can
 * finish in about two milliseconds (measured as it goes), so a flood of tiny calls costs one message per
 * batch, while slow tasks go one at a time so that every core stays busy. Maps travel in chunks.
 *
 * @packageDocumentation
 */
import type { ResourceLimits, TransferListItem } from 'node:worker_threads';
import {
  AbortError,
  CHANNELS,
  ClosedError,
  encode,
  InvalidArgumentError,
  InvalidStateError,
  TimeoutError,
  type Multiplexer,
} from '@multiproc/transport';
import {
  cpuCount,
  describeTask,
  getDefaultRuntime,
  Process,
  type Runtime,
  type Task,
  type TaskDescriptor,
} from '@multiproc/process';
import { AsyncResult } from './async-result.js';
import { PoolBrokenError, WorkerCrashedError } from './errors.js';
import { Deque } from './internal/deque.js';
import {
  KIND_APPLY,
  KIND_MAP,
  KIND_STARMAP,
  MIN_PACKED_ITEMS,
  type FromWorker,
  type TaskKind,
  type ToWorker,
  type WireResults,
  type WireTasks,
  type WorkerConfig,
} from './internal/protocol.js';
import { SpinBackoff } from './internal/spin-backoff.js';
import { poolWorkerTasks } from './worker.js';

/**
 * Options of {@link Pool}.
 *
 * @example
 * ```ts
 * import { Pool, type PoolOptions } from '@multiproc/pool';
 * const options: PoolOptions = { processes: 4, runtime: 'process', maxTasksPerChild: 100, taskTimeout: 30_000 };
 * const pool = new Pool(options);
 * ```
 */
export interface PoolOptions {
  /** How many workers (default {@link cpuCount}). */
  processes?: number;
  /** `'thread'` or `'process'` (default `getDefaultRuntime()`). */
  runtime?: Runtime;
  /** Runs once in each worker before its first task; if it throws, the pool is broken. */
  initializer?: Task;
  /** Arguments of the initializer. */
  initArgs?: unknown[];
  /** Replace a worker after it ran this many tasks (a map chunk counts as one, as in Python). */
  maxTasksPerChild?: number;
  /** Reject a task that runs longer than this many milliseconds with a TimeoutError and replace its worker. */
  taskTimeout?: number;
  /** Environment variables of the workers. */
  env?: Record<string, string | undefined>;
  /** Node.js flags of the workers. */
  execArgv?: string[];
  /** Heap and stack limits of each worker. */
  resourceLimits?: ResourceLimits;
  /**
   * Whether waiting may spin briefly instead of sleeping (default `true`; thread workers only). A worker
   * whose queue runs dry polls its port for the next tasks for 0.1 ms before it sleeps; the pool, having
   * sent a task measured to take microseconds while at most one task per worker is in flight (a caller
   * awaiting one call at a time), polls for the result on the calling thread for up to 20 µs, then from
   * `setImmediate` (the event loop keeps running) for up to 0.05 ms. One call at a time then costs a few
   * microseconds instead of two thread wake-ups. Spins that keep missing back off for a while. `false`:
   * nothing spins and every message wakes its receiver through the event loop, so the calling thread is
   * never held, even for microseconds.
   */
  spin?: boolean;
}

/**
 * Options every pool call takes as its last argument.
 *
 * @example
 * ```ts
 * import { Pool, type CallOptions } from '@multiproc/pool';
 * await using pool = new Pool();
 * const controller = new AbortController();
 * const options: CallOptions = { chunksize: 1000, signal: controller.signal, onProgress: (done, total) => console.log(`${done}/${total}`) };
 * await pool.map((n: number) => n * n, Array.from({ length: 10_000 }, (_, i) => i), options);
 * ```
 */
export interface CallOptions {
  /** Items per task for map-like calls (default: Python's, `ceil(n / (4 * workers))` for map, 1 for imap). */
  chunksize?: number;
  /** Cancels the call: queued work is dropped and the call rejects with an AbortError (cause: the reason). */
  signal?: AbortSignal;
  /**
   * Called once per finished chunk with the items done so far and the total (undefined for unsized input).
   * If it throws, the call fails with that error (its queued work is dropped) and the pool carries on.
   */
  onProgress?: (done: number, total: number | undefined) => void;
  /** ArrayBuffers (or typed arrays) in the arguments to move to the worker instead of copying. */
  transfer?: ReadonlyArray<TransferListItem | ArrayBufferView>;
}

/**
 * Options of the `...Async` calls: {@link CallOptions} plus Python's `callback` and `error_callback`.
 *
 * @example
 * ```ts
 * import { Pool } from '@multiproc/pool';
 * await using pool = new Pool(2);
 * pool.applyAsync((a: number, b: number) => a + b, [1, 2], {
 *   callback: (sum) => console.log('sum', sum),
 *   errorCallback: (error) => console.error(error),
 * });
 * ```
 */
export interface AsyncCallOptions<T> extends CallOptions {
  /** Called with the result when the call succeeds. */
  callback?: (value: T) => void;
  /** Called with the error when the call fails. */
  errorCallback?: (error: unknown) => void;
}

/**
 * Any function a pool can run: the constraint of the `F` type parameter of {@link PoolTask} and of
 * every {@link Pool} call, from which the argument and result types are inferred.
 *
 * @example
 * ```ts
 * import type { AnyFn } from '@multiproc/pool';
 * const square = (n: number): number => n * n;
 * const fn: AnyFn = square;
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFn = (...args: any[]) => unknown;
/**
 * What a pool call runs: a `defineTasks` function, a self-contained inline function, or `{ module, name }`.
 *
 * @example
 * ```ts
 * import type { PoolTask } from '@multiproc/pool';
 * const square: PoolTask<(n: number) => number> = (n) => n * n;
 * const byName: PoolTask = { module: 'file:///app/tasks.js', name: 'square' };
 * ```
 */
export type PoolTask<F extends AnyFn = AnyFn> = F | { readonly module: string; readonly name: string };
/**
 * What a pool call resolves with for a task `F`: its return value, awaited (a task that returns a
 * promise resolves the call with the promise's value).
 *
 * @example
 * ```ts
 * import type { ResultOf } from '@multiproc/pool';
 * const fetchSize = async (url: string): Promise<number> => url.length;
 * type Size = ResultOf<typeof fetchSize>; // number
 * ```
 */
export type ResultOf<F> = F extends AnyFn ? Awaited<ReturnType<F>> : unknown;
/**
 * The arguments of a task `F`, as {@link Pool.apply} and each item of {@link Pool.starmap} take them.
 *
 * @example
 * ```ts
 * import type { ArgsOf } from '@multiproc/pool';
 * const add = (a: number, b: number): number => a + b;
 * const pairs: Array<ArgsOf<typeof add>> = [[1, 2], [3, 4]]; // for pool.starmap(add, pairs)
 * ```
 */
export type ArgsOf<F> = F extends AnyFn ? Parameters<F> : unknown[];
/**
 * The first argument of a task `F`: the item type of {@link Pool.map} and {@link Pool.imap}, which
 * call the task with one item each.
 *
 * @example
 * ```ts
 * import type { FirstArgOf } from '@multiproc/pool';
 * const square = (n: number): number => n * n;
 * const items: Array<FirstArgOf<typeof square>> = [1, 2, 3]; // for pool.map(square, items)
 * ```
 */
export type FirstArgOf<F> = F extends (...args: infer P) => unknown ? (P extends [] ? unknown : P[0]) : unknown;

const TARGET_BATCH_MS = 2;
const MAX_BATCH = 4096;
const PREFETCH_BELOW_MS = 10;
const EARLY_DEATHS_BEFORE_BROKEN = 3;
/**
 * Waiting for a short task's result (see PoolOptions.spin): after sending a task measured to take less
 * than SPIN_TASK_MS to an idle thread worker, with at most one task per worker in flight, the calling
 * thread polls that worker's port for the result for up to SPIN_SYNC_MS (a round trip to a worker that is
 * polling for its next task takes a few microseconds), then from setImmediate, so that the event loop runs,
 * until POLL_MS has passed; after that the event loop's wake-up delivers it as usual.
 */
const SPIN_TASK_MS = 0.01;
const SPIN_SYNC_MS = 0.02;
const POLL_MS = 0.05;
/**
 * Tasks queued by a run of applies (submitted without waiting) after which they are sent at once, from
 * inside the apply, rather than from the microtask after the caller's loop (see Pool.#dispatchNow).
 */
const EAGER_QUEUE = 512;
/** One user call; receives the outcome of each of its tasks. */
interface Call {
  done: boolean;
  onTask(task: PendingTask, ok: boolean, value: unknown): void;
  fail(error: unknown): void;
}

/** The arguments of an apply without any, and the options of a call without any: shared, never changed. */
const NO_ARGS: unknown[] = [];
const NO_OPTIONS: CallOptions = {};

const unset = (): void => {};
let capturedResolve: (value: unknown) => void = unset;
let capturedReject: (error: unknown) => void = unset;
/** A promise executor that keeps the settling functions, so that `new Promise(capture)` needs no closure. */
function capture(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

/**
 * Rejects a promise through its resolve function: it adopts the state of an already rejected promise (two
 * microtask turns later than a direct reject). An `apply` in flight keeps only its promise's resolve
 * function, not the reject function too: 100k applies in flight are 100k fewer closures for every
 * young-generation collection to copy and promote (measured in a 100k flood: 390 -> 325 bytes promoted per
 * apply, GC pauses -20%). (`applyAsync` keeps its AsyncResult's reject, which records the state at once.)
 */
function rejectThrough(resolve: (value: unknown) => void, error: unknown): void {
  resolve(Promise.reject(error));
}

/**
 * One apply: its task and its call in one object, settled through the resolve function taken from the
 * promise with {@link capture} (applies come by the hundred thousand: every object less per apply is less
 * garbage; see {@link rejectThrough}).
 */
class ApplyTask implements PendingTask, Call {
  // What is the same for every plain apply is a getter on the prototype, not a field: 100k applies in
  // flight are 100k of these objects, so every field less is less to copy at each garbage collection.
  get kind(): typeof KIND_APPLY {
    return KIND_APPLY;
  }
  get index(): number {
    return 0;
  }
  get size(): number {
    return 1;
  }
  get call(): Call {
    return this;
  }
  get special(): boolean {
    return false;
  }
  get transfer(): TransferListItem[] | undefined {
    return undefined;
  }
  get quiet(): boolean {
    return true;
  }
  state: 'queued' | 'sent' | 'done' = 'queued';
  done = false;
  resolve: (value: unknown) => void = unset;
  /** Set only where the settling side needs its own reject (an AsyncResult's); see {@link rejectThrough}. */
  reject: ((error: unknown) => void) | undefined = undefined;
  constructor(
    readonly fnId: number,
    readonly payload: unknown[],
  ) {}

  onTask(_task: PendingTask, ok: boolean, value: unknown): void {
    this.done = true;
    if (ok) this.resolve(value);
    else this.rejectWith(value);
  }

  fail(error: unknown): void {
    this.done = true;
    this.rejectWith(error);
  }

  rejectWith(error: unknown): void {
    if (this.reject) this.reject(error);
    else rejectThrough(this.resolve, error);
  }
}

/** An apply with arguments the codec rewrites, a transfer list or an onProgress callback. */
class ApplyTaskWithOptions extends ApplyTask {
  readonly #special: boolean;
  readonly #transfer: TransferListItem[] | undefined;
  readonly #onProgress: CallOptions['onProgress'];
  constructor(fnId: number, payload: unknown[], special: boolean, transfer: TransferListItem[] | undefined, onProgress: CallOptions['onProgress']) {
    super(fnId, payload);
    this.#special = special;
    this.#transfer = transfer;
    this.#onProgress = onProgress;
  }

  override get special(): boolean {
    return this.#special;
  }

  override get transfer(): TransferListItem[] | undefined {
    return this.#transfer;
  }

  override get quiet(): boolean {
    return false;
  }

  override onTask(_task: PendingTask, ok: boolean, value: unknown): void {
    this.done = true;
    try {
      this.#onProgress?.(1, 1);
    } catch (error) {
      this.rejectWith(error);
      return;
    }
    if (ok) this.resolve(value);
    else this.rejectWith(value);
  }
}

interface PendingTask {
  readonly fnId: number;
  readonly kind: TaskKind;
  readonly payload: unknown;
  readonly transfer: TransferListItem[] | undefined;
  readonly call: Call;
  readonly index: number;
  readonly size: number;
  /** The payload holds something the codec rewrites (a shareable handle, an error). */
  readonly special: boolean;
  /**
   * Settling it runs no code of the user's (a plain apply's promise): its result may be delivered from
   * inside another call (see Pool.#dispatchNow).
   */
  readonly quiet?: boolean;
  state: 'queued' | 'sent' | 'done';
}

interface Slot {
  readonly process: Process;
  readonly connection: Multiplexer;
  readonly started: Int32Array | undefined;
  readonly outstanding: Deque<PendingTask>;
  readonly knownFns: Set<number>;
  ready: boolean;
  retiring: boolean;
  exitSent: boolean;
  sent: number;
  completed: number;
  avgTaskMs: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Whether every item is a primitive other than a symbol, which the codec need not walk: the common case
 * of pool arguments (a loop, not `every`: maps check a million items).
 */
function allPlainPrimitives(items: readonly unknown[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item !== null && (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol')) return false;
  }
  return true;
}

/** 2: every item is an int32 (and none is -0), 1: every item is a number, 0: not all are numbers. */
function numericKind(items: readonly unknown[]): 0 | 1 | 2 {
  let kind: 1 | 2 = 2;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item !== 'number') return 0;
    if (kind === 2 && ((item | 0) !== item || (item === 0 && 1 / item < 0))) kind = 1;
  }
  return kind;
}

/** Items `from` to `to` of an all-number array as a typed array (see MIN_PACKED_ITEMS). */
function pack(items: readonly unknown[], from: number, to: number, int32: boolean): Int32Array | Float64Array {
  const packed = int32 ? new Int32Array(to - from) : new Float64Array(to - from);
  for (let i = from; i < to; i++) packed[i - from] = items[i] as number;
  return packed;
}

/**
 * Writes a chunk's results, an array or numbers packed in a Float64Array by the worker (see MIN_PACKED_ITEMS),
 * into `out` from `offset` on. One loop per source type, so each stays monomorphic.
 */
function copyResults(out: unknown[], offset: number, part: unknown): void {
  if (part instanceof Float64Array) {
    for (let i = 0; i < part.length; i++) out[offset + i] = part[i];
  } else {
    const values = part as unknown[];
    for (let i = 0; i < values.length; i++) out[offset + i] = values[i];
  }
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return value !== null && value !== undefined && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && value !== undefined && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function knownLength(value: unknown): number | undefined {
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return (value as ArrayLike<unknown>).length;
  if (value instanceof Set || value instanceof Map) return value.size;
  return undefined;
}

function checkChunksize(chunksize: unknown): number | undefined {
  if (chunksize === undefined) return undefined;
  if (typeof chunksize !== 'number' || !Number.isInteger(chunksize) || chunksize < 1) {
    throw new InvalidArgumentError(`chunksize must be a positive integer, got ${String(chunksize)}`);
  }
  return chunksize;
}

function toTransferList(list: CallOptions['transfer']): TransferListItem[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw new InvalidArgumentError('transfer must be an array of ArrayBuffers or typed arrays');
  return list.map((item) => (ArrayBuffer.isView(item) ? (item.buffer as ArrayBuffer) : (item as TransferListItem)));
}

/** The transferables of `list` that `value` refers to (looked for a few levels deep). */
function transfersIn(value: unknown, list: readonly TransferListItem[], found = new Set<TransferListItem>(), depth = 0): Set<TransferListItem> {
  if (value === null || typeof value !== 'object' || depth > 4) return found;
  if (ArrayBuffer.isView(value)) {
    if (list.includes(value.buffer as ArrayBuffer)) found.add(value.buffer as ArrayBuffer);
    return found;
  }
  if (list.includes(value as TransferListItem)) {
    found.add(value as TransferListItem);
    return found;
  }
  if (Array.isArray(value)) {
    for (const item of value) transfersIn(item, list, found, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) transfersIn(item, list, found, depth + 1);
  }
  return found;
}

function signalName(exitCode: number, runtime: Runtime): NodeJS.Signals | undefined {
  if (runtime !== 'process' || exitCode >= 0) return undefined;
  const entry = Object.entries(process.getBuiltinModule('node:os').constants.signals).find(([, number]) => number === -exitCode);
  return entry?.[0] as NodeJS.Signals | undefined;
}

/**
 * A pool of workers that run tasks, as Python's `multiprocessing.Pool`.
 *
 * @example
 * ```ts
 * import { Pool } from '@multiproc/pool';
 * import tasks from './tasks.js'; // export default defineTasks(import.meta.url, { square: (n: number) => n * n })
 *
 * await using pool = new Pool(4);
 * console.log(await pool.map(tasks.square, [1, 2, 3])); // [1, 4, 9]
 * for await (const square of pool.imap(tasks.square, [4, 5, 6])) console.log(square);
 * ```
 * @see the "Pools" guide.
 */
export class Pool {
  readonly #size: number;
  readonly #runtime: Runtime;
  readonly #options: PoolOptions;
  readonly #initializer: TaskDescriptor | undefined;
  readonly #initArgs: readonly unknown[];
  readonly #slots = new Set<Slot>();
  readonly #queue = new Deque<PendingTask>();
  readonly #fnIdsByFunction = new WeakMap<object, number>();
  readonly #fnIdsByKey = new Map<string, number>();
  readonly #descriptors: TaskDescriptor[] = [];
  readonly #exitWaiters: Array<() => void> = [];
  #state: 'running' | 'closed' | 'terminated' | 'broken' = 'running';
  #brokenError: PoolBrokenError | undefined;
  #unfinished = 0;
  #pumpScheduled = false;
  #keepAlive: NodeJS.Timeout | undefined;
  #earlyDeaths = 0;
  #workerCounter = 0;
  #openIterators = 0;
  /** {@link PoolOptions.spin}. */
  readonly #spin: boolean;
  #spinning = false;
  readonly #spinBackoff = new SpinBackoff();
  #polling = false;
  #pollUntil = 0;
  /** Depth of #pump and #onResults, where user callbacks may run: no eager dispatch from inside them. */
  #busy = 0;
  /** Inside #dispatchNow: results of calls that are not {@link PendingTask.quiet} wait for a microtask. */
  #eager = false;
  /** Those results: task, ok, value, task, ok, value... */
  #deferred: unknown[] = [];

  /**
   * Starts the workers.
   *
   * @param processes - the number of workers, or {@link PoolOptions}.
   * @throws {@link "@multiproc/transport"!InvalidArgumentError | InvalidArgumentError} for a size below 1, `maxTasksPerChild` below 1, a negative
   *   `taskTimeout`, an unknown runtime, or an initializer that is not a task.
   */
  constructor(processes?: number | PoolOptions) {
    const options: PoolOptions = typeof processes === 'object' && processes !== null ? processes : processes === undefined ? {} : { processes };
    const size = options.processes ?? cpuCount();
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
      throw new InvalidArgumentError(`processes must be a positive integer, got ${String(size)}`);
    }
    if (options.maxTasksPerChild !== undefined && (!Number.isInteger(options.maxTasksPerChild) || options.maxTasksPerChild < 1)) {
      throw new InvalidArgumentError(`maxTasksPerChild must be a positive integer, got ${String(options.maxTasksPerChild)}`);
    }
    if (options.taskTimeout !== undefined && (typeof options.taskTimeout !== 'number' || !(options.taskTimeout > 0))) {
      throw new InvalidArgumentError(`taskTimeout must be a number of milliseconds > 0, got ${String(options.taskTimeout)}`);
    }
    if (options.runtime !== undefined && options.runtime !== 'thread' && options.runtime !== 'process') {
      throw new InvalidArgumentError(`runtime must be 'thread' or 'process', got ${JSON.stringify(options.runtime)}`);
    }
    if (options.spin !== undefined && typeof options.spin !== 'boolean') {
      throw new InvalidArgumentError(`spin must be a boolean, got ${String(options.spin)}`);
    }
    if (options.initArgs !== undefined && !Array.isArray(options.initArgs)) {
      throw new InvalidArgumentError('initArgs must be an array');
    }
    this.#size = size;
    this.#runtime = options.runtime ?? getDefaultRuntime();
    this.#options = options;
    this.#spin = options.spin !== false;
    this.#initializer = options.initializer === undefined ? undefined : describeTask(options.initializer, 'initializer');
    this.#initArgs = options.initArgs ?? [];
    for (let i = 0; i < size; i++) this.#spawn();
  }

  /** The number of workers. */
  get processes(): number {
    return this.#size;
  }

  /** The runtime of the workers. */
  get runtime(): Runtime {
    return this.#runtime;
  }

  /** `'running'`, `'closed'`, `'terminated'` or `'broken'`. */
  get state(): 'running' | 'closed' | 'terminated' | 'broken' {
    return this.#state;
  }

  // ---------------------------------------------------------------------------------------------
  // Public calls

  /**
   * Runs `fn(...args)` in a worker and resolves with its result, as Python's `apply`.
   *
   * @param fn - a `defineTasks` function, a self-contained inline function, or `{ module, name }`.
   * @param args - its arguments.
   * @param options - {@link CallOptions}.
   * @returns a promise of the result; rejects with the task's error (same class, message, properties and
   *   the worker's stack), a {@link WorkerCrashedError}, a TimeoutError, an AbortError or a PoolBrokenError.
   * @throws {@link "@multiproc/transport"!ClosedError | ClosedError} (`ERR_POOL_CLOSED`) after close; NotCloneableError for bad arguments.
   */
  apply<F extends AnyFn>(fn: PoolTask<F>, args?: ArgsOf<F>, options: CallOptions = NO_OPTIONS): Promise<ResultOf<F>> {
    const task = this.#prepareApply(fn, args, options);
    const promise = new Promise<ResultOf<F>>(capture);
    this.#submitApply(task, capturedResolve, capturedReject, false, options.signal);
    return promise;
  }

  /**
   * Like {@link Pool.apply}, returning an {@link AsyncResult} at once; `callback` or `errorCallback` is
   * called when it settles. Used only through callbacks, it never raises an unhandled rejection.
   */
  applyAsync<F extends AnyFn>(fn: PoolTask<F>, args?: ArgsOf<F>, options: AsyncCallOptions<ResultOf<F>> = {}): AsyncResult<ResultOf<F>> {
    const task = this.#prepareApply(fn, args, options);
    const result = new AsyncResult<ResultOf<F>>((resolve, reject) => this.#submitApply(task, resolve as (value: unknown) => void, reject, true, options.signal));
    return this.#withCallbacks(result, options);
  }

  /**
   * Calls `fn(item)` for every item, in chunks, and resolves with the results in input order, as
   * Python's `map`. The iterable is read at once (generators too).
   *
   * @param fn - the task.
   * @param iterable - the items.
   * @param options - {@link CallOptions}; `chunksize` defaults to `ceil(n / (4 * workers))`.
   * @returns a promise of the results; rejects with the first error.
   */
  map<F extends AnyFn>(fn: PoolTask<F>, iterable: Iterable<FirstArgOf<F>>, options: CallOptions = {}): Promise<Array<ResultOf<F>>> {
    return this.#mapResult(fn, iterable, options, KIND_MAP).then((value) => value as Array<ResultOf<F>>);
  }

  /** Like {@link Pool.map}, returning an {@link AsyncResult}; see {@link Pool.applyAsync} for callbacks. */
  mapAsync<F extends AnyFn>(
    fn: PoolTask<F>,
    iterable: Iterable<FirstArgOf<F>>,
    options: AsyncCallOptions<Array<ResultOf<F>>> = {},
  ): AsyncResult<Array<ResultOf<F>>> {
    return this.#withCallbacks(this.#mapResult(fn, iterable, options, KIND_MAP) as AsyncResult<Array<ResultOf<F>>>, options);
  }

  /**
   * Like {@link Pool.map}, but each item is an argument list: `fn(...item)`, as Python's `starmap`.
   */
  starmap<F extends AnyFn>(fn: PoolTask<F>, iterable: Iterable<ArgsOf<F>>, options: CallOptions = {}): Promise<Array<ResultOf<F>>> {
    return this.#mapResult(fn, iterable, options, KIND_STARMAP).then((value) => value as Array<ResultOf<F>>);
  }

  /** Like {@link Pool.starmap}, returning an {@link AsyncResult}. */
  starmapAsync<F extends AnyFn>(
    fn: PoolTask<F>,
    iterable: Iterable<ArgsOf<F>>,
    options: AsyncCallOptions<Array<ResultOf<F>>> = {},
  ): AsyncResult<Array<ResultOf<F>>> {
    return this.#withCallbacks(this.#mapResult(fn, iterable, options, KIND_STARMAP) as AsyncResult<Array<ResultOf<F>>>, options);
  }

  /**
   * Calls `fn(item)` for every item, reading the input lazily with a bounded number of items in flight
   * (backpressure), and yields the results in input order, as Python's `imap`. Accepts async iterables.
   * Breaking out of the loop cancels what is still queued.
   *
   * @param fn - the task.
   * @param iterable - the items (sync or async iterable).
   * @param options - {@link CallOptions}; `chunksize` defaults to 1.
   * @returns an async iterator of results.
   */
  imap<F extends AnyFn>(
    fn: PoolTask<F>,
    iterable: Iterable<FirstArgOf<F>> | AsyncIterable<FirstArgOf<F>>,
    options: CallOptions = {},
  ): AsyncIterableIterator<ResultOf<F>> {
    return this.#imap(fn, iterable, options, true) as AsyncIterableIterator<ResultOf<F>>;
  }

  /** Like {@link Pool.imap}, yielding results as they finish rather than in input order. */
  imapUnordered<F extends AnyFn>(
    fn: PoolTask<F>,
    iterable: Iterable<FirstArgOf<F>> | AsyncIterable<FirstArgOf<F>>,
    options: CallOptions = {},
  ): AsyncIterableIterator<ResultOf<F>> {
    return this.#imap(fn, iterable, options, false) as AsyncIterableIterator<ResultOf<F>>;
  }

  /**
   * Stops accepting work. Everything already submitted still runs; then the workers exit. Call
   * {@link Pool.join} to wait for that.
   */
  close(): void {
    if (this.#state !== 'running') return;
    this.#state = 'closed';
    this.#pump();
  }

  /**
   * Stops the workers at once. Work that has not finished rejects with a ClosedError
   * (`ERR_POOL_TERMINATED`).
   *
   * @returns a promise that resolves once every worker has exited.
   */
  terminate(): Promise<void> {
    if (this.#state !== 'terminated') {
      this.#state = 'terminated';
      const error = new ClosedError('the pool was terminated before this task finished', { code: 'ERR_POOL_TERMINATED' });
      this.#failEverything(error);
      for (const slot of this.#slots) {
        if (slot.timer) clearTimeout(slot.timer);
        slot.process.kill();
      }
    }
    return this.#allExited();
  }

  /**
   * Waits for the workers to exit, after {@link Pool.close} or {@link Pool.terminate}.
   *
   * @returns a promise that resolves when they have.
   * @throws {@link "@multiproc/transport"!InvalidStateError | InvalidStateError} (synchronously) while the pool is still running.
   */
  join(): Promise<void> {
    if (this.#state === 'running') {
      throw new InvalidStateError('join() needs the pool to be closed or terminated first: call close() (or terminate())');
    }
    return this.#allExited();
  }

  /** `await using pool = new Pool()`: close, then join (nothing queued is lost). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.join();
  }

  // ---------------------------------------------------------------------------------------------
  // Submitting

  #checkOpen(): void {
    if (this.#state === 'closed' || this.#state === 'terminated') {
      throw new ClosedError(`the pool is ${this.#state}: no new work can be submitted`, { code: 'ERR_POOL_CLOSED' });
    }
  }

  #fnId(fn: unknown): number {
    if (typeof fn === 'function' || (typeof fn === 'object' && fn !== null)) {
      const known = this.#fnIdsByFunction.get(fn as object);
      if (known !== undefined) return known;
    }
    const descriptor = describeTask(fn, 'fn');
    const key = descriptor.kind === 'ref' ? `ref:${descriptor.module}#${descriptor.name}` : `inline:${descriptor.source}`;
    let id = this.#fnIdsByKey.get(key);
    if (id === undefined) {
      id = this.#descriptors.length;
      this.#descriptors.push(descriptor);
      this.#fnIdsByKey.set(key, id);
    }
    if (typeof fn === 'function') this.#fnIdsByFunction.set(fn, id);
    return id;
  }

  /** Checks that `value` can be sent (throws NotCloneableError naming its path); returns whether it is special. */
  #validate(value: unknown, path: string): boolean {
    if (Array.isArray(value) && allPlainPrimitives(value)) return false;
    return encode(value, {
      path,
      share: { capabilities: { sharedMemory: this.#runtime === 'thread', transfer: this.#runtime === 'thread' }, serve: () => 0 },
    }).special;
  }

  #enqueue(
    fnId: number,
    kind: TaskKind,
    payload: unknown,
    special: boolean,
    call: Call,
    index: number,
    size: number,
    transfer: TransferListItem[] | undefined,
  ): PendingTask {
    const task: PendingTask = { fnId, kind, payload, special, transfer, call, index, size, state: 'queued' };
    this.#push(task);
    return task;
  }

  #push(task: PendingTask): void {
    this.#queue.push(task);
    this.#unfinished++;
    this.#schedulePump();
  }

  #bindSignal(call: Call, signal: AbortSignal | undefined, tasks: () => Iterable<PendingTask>): void {
    if (!signal) return;
    const onAbort = (): void => {
      this.#cancel(tasks());
      call.fail(new AbortError('the pool call was aborted', { cause: signal.reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const done = call.fail.bind(call);
    const onTask = call.onTask.bind(call);
    const detach = (): void => signal.removeEventListener('abort', onAbort);
    call.fail = (error) => {
      detach();
      done(error);
    };
    call.onTask = (task, ok, value) => {
      onTask(task, ok, value);
      if (call.done) detach();
    };
  }

  #rejected<T>(error: unknown): AsyncResult<T> {
    return new AsyncResult<T>((_, reject) => reject(error));
  }

  /** Checks an apply call at once (so errors throw synchronously) and returns its task, not queued yet. */
  #prepareApply(fn: PoolTask, args: unknown, options: CallOptions): ApplyTask {
    this.#checkOpen();
    const argList: unknown = args ?? NO_ARGS;
    if (!Array.isArray(argList)) throw new InvalidArgumentError(`args must be an array, got ${typeof argList}`);
    const fnId = this.#fnId(fn);
    const special = this.#validate(argList, 'args');
    const transfer = toTransferList(options.transfer);
    return special || transfer !== undefined || options.onProgress !== undefined
      ? new ApplyTaskWithOptions(fnId, argList, special, transfer, options.onProgress)
      : new ApplyTask(fnId, argList);
  }

  /**
   * Queues a prepared apply, settled by `resolve`, and by `reject` if `keepReject` (else through
   * `resolve`, see {@link rejectThrough}), or rejects it at once: broken pool, aborted.
   */
  #submitApply(task: ApplyTask, resolve: (value: unknown) => void, reject: (error: unknown) => void, keepReject: boolean, signal: AbortSignal | undefined): void {
    if (this.#brokenError) {
      reject(this.#brokenError);
      return;
    }
    if (signal?.aborted) {
      reject(new AbortError('the pool call was aborted', { cause: signal.reason }));
      return;
    }
    task.resolve = resolve;
    if (keepReject) task.reject = reject;
    this.#push(task);
    if (signal) this.#bindSignal(task, signal, () => [task]);
    else if (this.#queue.length >= EAGER_QUEUE && this.#busy === 0) this.#dispatchNow();
  }

  /**
   * Sends the queued tasks now, from inside an apply, instead of from the microtask after the caller's
   * loop, and takes in the results that have arrived (polling the ports): while a loop submits 100k
   * applies, the workers run the first ones and their promises are settled during the loop. A call settled
   * young leaves only its promise behind; a call in flight when the loop ends has survived every
   * young-generation collection of the loop, each copying its records (measured: a 100k flood 1.8M ->
   * 3.3M tasks/s, mostly less GC). Results of calls that run user code when settled (onProgress, a map's
   * chunks) are delivered from a microtask, so no callback runs inside the caller's apply.
   */
  #dispatchNow(): void {
    this.#eager = true;
    try {
      for (const slot of this.#slots) {
        let n = 0;
        while (slot.outstanding.length > 0 && n++ < 8 && slot.connection.poll());
      }
      this.#pump();
    } finally {
      this.#eager = false;
    }
  }

  readonly #runDeferred = (): void => {
    const list = this.#deferred;
    this.#deferred = [];
    for (let i = 0; i < list.length; i += 3) {
      const task = list[i] as PendingTask;
      task.call.onTask(task, list[i + 1] as boolean, list[i + 2]);
    }
  };

  #mapResult(fn: PoolTask, iterable: Iterable<unknown>, options: CallOptions, kind: TaskKind): AsyncResult<unknown[]> {
    this.#checkOpen();
    if (!isIterable(iterable)) throw new InvalidArgumentError('map needs an iterable of items (an array, a Set, a generator...)');
    const chunksizeOption = checkChunksize(options.chunksize);
    const fnId = this.#fnId(fn);
    const items = Array.isArray(iterable) ? iterable : Array.from(iterable);
    if (kind === KIND_STARMAP) {
      items.forEach((item, i) => {
        if (!Array.isArray(item)) throw new InvalidArgumentError(`starmap needs an iterable of argument arrays; item ${i} is not an array`);
      });
    }
    // All numbers (the common map over numbers): chunks travel packed, and there is nothing to validate.
    const numeric = kind === KIND_MAP ? numericKind(items) : 0;
    const special = numeric !== 0 ? false : this.#validate(items, 'items');
    const transfer = toTransferList(options.transfer);
    if (this.#brokenError) return this.#rejected(this.#brokenError);
    if (options.signal?.aborted) return this.#rejected(new AbortError('the pool call was aborted', { cause: options.signal.reason }));
    const total = items.length;
    if (total === 0) {
      return new AsyncResult<unknown[]>((resolve) => resolve([]));
    }
    const chunksize = chunksizeOption ?? Math.ceil(total / (this.#size * 4));
    const chunkCount = Math.ceil(total / chunksize);
    const tasks: PendingTask[] = [];
    return new AsyncResult<unknown[]>((resolve, reject) => {
      // The results, written in place as each chunk arrives (while the workers run the others): every value
      // is copied once. Started as a copy of the items, so that the array is packed (never holey) from the start.
      let out: unknown[] | undefined;
      let chunksDone = 0;
      let itemsDone = 0;
      const call: Call = {
        done: false,
        onTask: (task, ok, value) => {
          if (call.done) return;
          if (!ok) {
            call.done = true;
            this.#cancel(tasks);
            reject(value);
            return;
          }
          chunksDone++;
          itemsDone += task.size;
          if (chunkCount === 1 && Array.isArray(value)) {
            out = value;
          } else {
            if (out === undefined) {
              out = items.slice(0, total);
              // The caller shortened its array meanwhile: pad, so that no write below leaves a hole.
              while (out.length < total) out.push(undefined);
            }
            copyResults(out, task.index * chunksize, value);
          }
          try {
            options.onProgress?.(itemsDone, total);
          } catch (error) {
            call.done = true;
            this.#cancel(tasks);
            reject(error);
            return;
          }
          if (chunksDone === chunkCount) {
            call.done = true;
            resolve(out);
          }
        },
        fail: (error) => {
          if (call.done) return;
          call.done = true;
          reject(error);
        },
      };
      for (let c = 0; c < chunkCount; c++) {
        const from = c * chunksize;
        const to = Math.min(total, from + chunksize);
        if (numeric !== 0 && to - from >= MIN_PACKED_ITEMS) {
          // Not transferred: a task is sent again if its worker dies before starting it.
          const packed = pack(items, from, to, numeric === 2);
          tasks.push(this.#enqueue(fnId, kind, packed, false, call, c, packed.length, undefined));
          continue;
        }
        const chunk = items.slice(from, to);
        const chunkTransfer = transfer && transfer.length > 0 ? [...transfersIn(chunk, transfer)] : undefined;
        tasks.push(this.#enqueue(fnId, kind, chunk, special, call, c, chunk.length, chunkTransfer));
      }
      this.#bindSignal(call, options.signal, () => tasks);
    });
  }

  #withCallbacks<T>(result: AsyncResult<T>, options: AsyncCallOptions<T>): AsyncResult<T> {
    if (options.callback || options.errorCallback) {
      result.then(
        (value) => options.callback?.(value),
        (error: unknown) => options.errorCallback?.(error),
      );
    }
    return result;
  }

  #imap(fn: PoolTask, iterable: Iterable<unknown> | AsyncIterable<unknown>, options: CallOptions, ordered: boolean): AsyncIterableIterator<unknown> {
    this.#checkOpen();
    if (!isIterable(iterable) && !isAsyncIterable(iterable)) {
      throw new InvalidArgumentError('imap needs an iterable or async iterable of items');
    }
    const chunksize = checkChunksize(options.chunksize) ?? 1;
    const fnId = this.#fnId(fn);
    const transfer = toTransferList(options.transfer);
    return new IMapIterator(this, {
      fnId,
      source: iterable,
      total: knownLength(iterable),
      chunksize,
      ordered,
      bound: Math.max(4 * this.#size * chunksize, 1024),
      options,
      transfer,
    });
  }

  /** @internal used by IMapIterator */
  submitChunk(fnId: number, chunk: unknown[], call: Call, index: number, transfer: TransferListItem[] | undefined): PendingTask {
    if (this.#brokenError) throw this.#brokenError;
    if (this.#state === 'terminated') {
      throw new ClosedError('the pool was terminated before this task finished', { code: 'ERR_POOL_TERMINATED' });
    }
    const special = this.#validate(chunk, 'items');
    return this.#enqueue(fnId, KIND_MAP, chunk, special, call, index, chunk.length, transfer);
  }

  /** @internal An imap iterator is open: a closed pool keeps its workers until it ends. */
  iteratorOpened(): void {
    this.#openIterators++;
  }

  /** @internal */
  iteratorClosed(): void {
    this.#openIterators--;
    this.#pump();
  }

  /** @internal */
  cancelTasks(tasks: Iterable<PendingTask>): void {
    this.#cancel(tasks);
  }

  #cancel(tasks: Iterable<PendingTask>): void {
    let changed = false;
    for (const task of tasks) {
      if (task.state === 'queued') {
        task.state = 'done';
        this.#unfinished--;
        changed = true;
      }
    }
    if (changed) this.#updateKeepAlive();
  }

  // ---------------------------------------------------------------------------------------------
  // Workers

  #spawn(): void {
    const started = this.#runtime === 'thread' ? new SharedArrayBuffer(4) : undefined;
    const config: WorkerConfig = {
      initializer: this.#initializer,
      initArgs: this.#initArgs,
      started,
      flushEachResult: this.#runtime === 'process' || this.#options.taskTimeout !== undefined,
      spin: this.#spin,
    };
    const worker = new Process({
      target: poolWorkerTasks.poolWorker,
      args: [config],
      name: `PoolWorker-${++this.#workerCounter}`,
      runtime: this.#runtime,
      daemon: true,
      ...(this.#options.env !== undefined ? { env: this.#options.env } : {}),
      ...(this.#options.execArgv !== undefined ? { execArgv: this.#options.execArgv } : {}),
      ...(this.#options.resourceLimits !== undefined ? { resourceLimits: this.#options.resourceLimits } : {}),
    });
    worker.start();
    const connection = worker.connection as Multiplexer;
    const slot: Slot = {
      process: worker,
      connection,
      started: started ? new Int32Array(started) : undefined,
      outstanding: new Deque(),
      knownFns: new Set(),
      ready: false,
      retiring: false,
      exitSent: false,
      sent: 0,
      completed: 0,
      avgTaskMs: Number.NaN,
      timer: undefined,
    };
    this.#slots.add(slot);
    connection.onMessage(CHANNELS.pool, (message) => this.#onMessage(slot, message as FromWorker));
    connection.onClose(() => {
      void worker.join().then((code) => this.#onExit(slot, code ?? 1));
    });
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    switch (message[0]) {
      case 'results':
        this.#onResults(slot, message[1], message[2], message[3]);
        return;
      case 'ready':
        slot.ready = true;
        this.#earlyDeaths = 0;
        this.#pump();
        return;
      case 'initFailed':
        this.#break(new PoolBrokenError('the pool initializer threw in a worker; the pool cannot run tasks', { cause: message[1] }));
        return;
    }
  }

  #onResults(slot: Slot, first: number, results: WireResults, busyMs: number): void {
    this.#busy++;
    try {
      this.#takeResults(slot, first, results, busyMs);
    } finally {
      this.#busy--;
    }
  }

  #takeResults(slot: Slot, first: number, results: WireResults, busyMs: number): void {
    const count = results.length / 2;
    if (first !== slot.completed || count > slot.outstanding.length) {
      // Out of protocol (results out of order, or for tasks never sent): should not happen. Stop trusting
      // this worker; its exit handler settles or re-queues what it held.
      slot.process.kill();
      return;
    }
    for (let r = 0; r < results.length; r += 2) {
      const ok = results[r] as number;
      const value = results[r + 1];
      slot.completed++;
      this.#settle(slot.outstanding.shift() as PendingTask, ok === 1, value);
    }
    if (count > 0) {
      const perTask = busyMs / count;
      slot.avgTaskMs = Number.isNaN(slot.avgTaskMs) ? perTask : slot.avgTaskMs * 0.7 + perTask * 0.3;
    }
    this.#armTimeout(slot);
    const max = this.#options.maxTasksPerChild;
    if (max !== undefined && slot.completed >= max && slot.outstanding.length === 0) this.#retire(slot);
    this.#pump();
    this.#updateKeepAlive();
  }

  /**
   * How many tasks a worker may hold: enough to keep it busy for about TARGET_BATCH_MS, so a flood of
   * tiny tasks costs one message per batch; two for short tasks (the next one rides in while the current
   * one runs); one for long tasks, so that the last tasks of a map spread over every worker.
   */
  #limit(slot: Slot): number {
    if (Number.isNaN(slot.avgTaskMs)) return 1;
    if (slot.avgTaskMs >= PREFETCH_BELOW_MS) return 1;
    if (slot.avgTaskMs >= TARGET_BATCH_MS / 2) return 2;
    return Math.max(2, Math.min(MAX_BATCH, Math.floor(TARGET_BATCH_MS / Math.max(slot.avgTaskMs, 0.0005))));
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    this.#updateKeepAlive();
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    this.#busy++;
    try {
      this.#pumpNow();
    } finally {
      this.#busy--;
    }
  }

  #pumpNow(): void {
    /** A slot to spin on for a result. */
    let spinFor: Slot | undefined;
    for (const slot of this.#slots) {
      if (!slot.ready || slot.retiring) continue;
      let capacity = this.#limit(slot) - slot.outstanding.length;
      const max = this.#options.maxTasksPerChild;
      if (max !== undefined) capacity = Math.min(capacity, max - slot.sent);
      if (capacity <= 0 || this.#queue.length === 0) continue;
      const batch: WireTasks = [];
      let plain = true;
      const defines: Array<[number, TaskDescriptor]> = [];
      const sent: PendingTask[] = [];
      let transfer: TransferListItem[] | undefined;
      while (capacity > 0) {
        const task = this.#queue.shift();
        if (!task) break;
        if (task.state !== 'queued') continue;
        if (!slot.knownFns.has(task.fnId)) {
          slot.knownFns.add(task.fnId);
          defines.push([task.fnId, this.#descriptors[task.fnId] as TaskDescriptor]);
        }
        task.state = 'sent';
        batch.push(task.fnId, task.kind, task.payload);
        if (task.special) plain = false;
        sent.push(task);
        slot.outstanding.push(task);
        if (task.transfer) (transfer ??= []).push(...task.transfer);
        capacity--;
      }
      if (sent.length === 0) continue;
      slot.sent += sent.length;
      const wasIdle = slot.outstanding.length === sent.length;
      try {
        this.#post(slot, batch, defines, plain, transfer);
      } catch (error) {
        // Arguments were checked when submitted; a send can still fail if the worker just died, in
        // which case the exit handler re-queues these tasks.
        if (slot.connection.closed) continue;
        // Something in the message cannot be sent (a buffer to transfer was moved away meanwhile, say).
        // Undo what the message would have told the worker: these tasks are the newest it holds (the ones
        // sent before stay, in order) and the functions it would have defined are still unknown to it. Then
        // send the tasks one at a time, so that only the ones that cannot be sent fail.
        for (const [fnId] of defines) slot.knownFns.delete(fnId);
        for (let i = 0; i < sent.length; i++) slot.outstanding.pop();
        slot.sent -= sent.length;
        for (const task of sent) this.#sendAlone(slot, task, sent.length === 1 ? error : undefined);
        if (slot.outstanding.length === 0) continue;
      }
      if (wasIdle) {
        this.#armTimeout(slot);
        // Not here, inside the loop over the slots: a result found by spinning calls back into #pump.
        if (this.#spin && slot.avgTaskMs < SPIN_TASK_MS && slot.connection.canPoll && this.#unfinished <= this.#slots.size) spinFor = slot;
      }
    }
    if (spinFor !== undefined) this.#waitBriefly(spinFor);
    if (this.#state === 'closed' && this.#unfinished === 0 && this.#openIterators === 0) {
      for (const slot of this.#slots) this.#sendExit(slot);
    }
    this.#updateKeepAlive();
  }

  /**
   * Sends one task in a message of its own (after a batch could not be sent), or fails it with `error`
   * when that is already known; a task that cannot be sent fails alone.
   */
  #sendAlone(slot: Slot, task: PendingTask, error?: unknown): void {
    if (error === undefined && !slot.connection.closed) {
      const defines: Array<[number, TaskDescriptor]> = slot.knownFns.has(task.fnId) ? [] : [[task.fnId, this.#descriptors[task.fnId] as TaskDescriptor]];
      try {
        this.#post(slot, [task.fnId, task.kind, task.payload], defines, !task.special, task.transfer);
      } catch (sendError) {
        error = sendError;
      }
    }
    if (error === undefined || slot.connection.closed) {
      // Sent, or the worker died meanwhile: then its exit handler puts the task back in the queue.
      slot.knownFns.add(task.fnId);
      slot.outstanding.push(task);
      slot.sent++;
      return;
    }
    this.#settle(task, false, error);
  }

  /** Sends tasks (flat, see WireTasks) and the functions the worker does not know yet. */
  #post(slot: Slot, tasks: WireTasks, defines: Array<[number, TaskDescriptor]>, plain: boolean, transfer: TransferListItem[] | undefined): void {
    const message: ToWorker = ['tasks', tasks, defines];
    slot.connection.send(CHANNELS.pool, message, { path: 'task', plain, ...(transfer ? { transfer } : {}) });
  }

  /**
   * Ends a task with its outcome, unless it has ended already (cancelled, timed out), and tells its call.
   * Inside #dispatchNow a call that runs the user's code when told (not {@link PendingTask.quiet}) is told
   * from a microtask, so that no callback runs inside the caller's apply.
   */
  #settle(task: PendingTask, ok: boolean, value: unknown): void {
    if (task.state === 'done') return;
    task.state = 'done';
    this.#unfinished--;
    if ((this.#eager || this.#deferred.length > 0) && task.quiet !== true) {
      if (this.#deferred.length === 0) queueMicrotask(this.#runDeferred);
      this.#deferred.push(task, ok, value);
    } else {
      task.call.onTask(task, ok, value);
    }
  }

  #armTimeout(slot: Slot): void {
    const timeout = this.#options.taskTimeout;
    if (timeout === undefined) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    const head = slot.outstanding.peek();
    if (!head) return;
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (slot.outstanding.peek() !== head || head.state === 'done') return;
      this.#settle(head, false, new TimeoutError(`the task ran longer than taskTimeout (${timeout} ms); its worker was replaced`));
      slot.retiring = true;
      slot.process.kill();
    }, timeout);
  }

  #sendExit(slot: Slot): void {
    if (slot.exitSent || slot.connection.closed) return;
    slot.exitSent = true;
    slot.retiring = true;
    try {
      slot.connection.send(CHANNELS.pool, ['exit'] satisfies ToWorker);
    } catch {
      // already gone
    }
  }

  #retire(slot: Slot): void {
    if (slot.retiring) return;
    slot.retiring = true;
    this.#sendExit(slot);
    if (this.#state === 'running' || this.#unfinished > 0) this.#spawn();
  }

  #onExit(slot: Slot, exitCode: number): void {
    if (!this.#slots.delete(slot)) return;
    if (slot.timer) clearTimeout(slot.timer);
    const unresolved = slot.outstanding.drain();
    const expected = slot.exitSent && unresolved.length === 0;
    if (!expected && this.#state !== 'terminated') {
      if (!slot.ready && !this.#brokenError) {
        this.#earlyDeaths++;
        if (this.#earlyDeaths >= EARLY_DEATHS_BEFORE_BROKEN) {
          this.#break(
            new PoolBrokenError(
              `pool workers keep dying before they are ready (last exit code ${exitCode}); see their output on stderr`,
            ),
          );
        }
      }
      this.#recover(slot, unresolved, exitCode);
      // Replace a worker that crashed or was recycled after a task timeout (a retired one already was).
      if (!this.#brokenError && !slot.exitSent && (this.#state === 'running' || this.#unfinished > 0 || this.#openIterators > 0)) {
        this.#spawn();
      }
    }
    this.#pump();
    if (this.#slots.size === 0) {
      const waiters = this.#exitWaiters.splice(0);
      for (const waiter of waiters) waiter();
    }
  }

  /** Rejects the tasks a dead worker had started; puts the ones it had not started back in the queue. */
  #recover(slot: Slot, unresolved: PendingTask[], exitCode: number): void {
    if (unresolved.length === 0) return;
    let startedUnresolved: number;
    if (slot.started) {
      startedUnresolved = Atomics.load(slot.started, 0) - slot.completed;
    } else {
      // Child processes send each result before starting the next task: only the head can have started.
      startedUnresolved = 1;
    }
    startedUnresolved = Math.max(0, Math.min(unresolved.length, startedUnresolved));
    const exit = { exitCode, signal: signalName(exitCode, this.#runtime) };
    const how = `${slot.process.name} died with exit code ${exitCode}${exit.signal ? ` (${exit.signal})` : ''}`;
    for (let i = 0; i < startedUnresolved; i++) {
      const task = unresolved[i] as PendingTask;
      if (task.state === 'done') continue;
      const lost = i < startedUnresolved - 1;
      this.#settle(
        task,
        false,
        new WorkerCrashedError(
          lost
            ? `${how} after this task finished but before its result was delivered; it is not run again`
            : `${how} while running this task; the task is not run again and the worker was replaced`,
          exit,
        ),
      );
    }
    for (let i = unresolved.length - 1; i >= startedUnresolved; i--) {
      const task = unresolved[i] as PendingTask;
      if (task.state === 'done') continue;
      task.state = 'queued';
      this.#queue.unshift(task);
    }
  }

  #break(error: PoolBrokenError): void {
    if (this.#brokenError) return;
    this.#brokenError = error;
    if (this.#state === 'running') this.#state = 'broken';
    this.#failEverything(error);
    for (const slot of this.#slots) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.retiring = true;
      slot.process.kill();
    }
  }

  #failEverything(error: unknown): void {
    const failed = new Set<Call>();
    const fail = (task: PendingTask): void => {
      if (task.state === 'done') return;
      task.state = 'done';
      this.#unfinished--;
      if (!failed.has(task.call)) {
        failed.add(task.call);
        task.call.fail(error);
      }
    };
    for (const task of this.#queue.drain()) fail(task);
    for (const slot of this.#slots) for (const task of slot.outstanding.drain()) fail(task);
    this.#updateKeepAlive();
  }

  #allExited(): Promise<void> {
    if (this.#slots.size === 0) return Promise.resolve();
    // Someone is waiting: let the pending join keep Node alive until the workers are gone.
    const hold = setInterval(() => {}, 1 << 30);
    return new Promise<void>((resolve) => {
      this.#exitWaiters.push(() => {
        clearInterval(hold);
        resolve();
      });
    });
  }

  /** Waits for the result of a short task just sent to `slot` by polling its port (see SPIN_SYNC_MS, POLL_MS). */
  #waitBriefly(slot: Slot): void {
    if (this.#spinning || !this.#spinBackoff.shouldSpin()) return;
    // A result found here calls back into #pump, which must not spin again from inside.
    this.#spinning = true;
    try {
      const until = performance.now() + SPIN_SYNC_MS;
      const pending = slot.outstanding.length;
      do {
        if (slot.connection.poll() && slot.outstanding.length < pending) {
          this.#spinBackoff.hit();
          return;
        }
      } while (performance.now() < until && !slot.connection.closed);
      if (this.#spinBackoff.miss()) return;
    } finally {
      this.#spinning = false;
    }
    this.#pollUntil = performance.now() + POLL_MS;
    if (!this.#polling) {
      this.#polling = true;
      setImmediate(this.#pollTick);
    }
  }

  readonly #pollTick = (): void => {
    let waiting = false;
    for (const slot of this.#slots) {
      if (slot.outstanding.length === 0) continue;
      waiting = true;
      slot.connection.poll();
    }
    if (waiting && this.#unfinished > 0 && performance.now() < this.#pollUntil) setImmediate(this.#pollTick);
    else this.#polling = false;
  };

  /** Pending work keeps Node alive; an idle pool does not (its workers are daemons). */
  #updateKeepAlive(): void {
    if (this.#unfinished > 0 || this.#pumpScheduled) {
      this.#keepAlive ??= setInterval(() => {}, 1 << 30);
    } else if (this.#keepAlive) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /** @internal */
  get [Symbol.toStringTag](): string {
    return 'Pool';
  }
}

interface IMapInit {
  fnId: number;
  source: Iterable<unknown> | AsyncIterable<unknown>;
  total: number | undefined;
  chunksize: number;
  ordered: boolean;
  bound: number;
  options: CallOptions;
  transfer: TransferListItem[] | undefined;
}

/** The lazy iterator behind imap and imapUnordered. */
class IMapIterator implements AsyncIterableIterator<unknown> {
  readonly #pool: Pool;
  readonly #init: IMapInit;
  readonly #iterator: Iterator<unknown> | AsyncIterator<unknown>;
  readonly #call: Call;
  readonly #tasks = new Map<number, PendingTask>();
  /** ordered: chunk index -> values; unordered: arrival order. */
  readonly #ready = new Map<number, unknown[]>();
  readonly #arrived: unknown[][] = [];
  #buffer: unknown[] = [];
  #bufferPos = 0;
  #nextChunk = 0;
  #nextToYield = 0;
  #inFlight = 0;
  #itemsDone = 0;
  #exhausted = false;
  #filling = false;
  #finished = false;
  #error: { value: unknown } | undefined;
  #wake: (() => void) | undefined;

  constructor(pool: Pool, init: IMapInit) {
    this.#pool = pool;
    this.#init = init;
    this.#iterator = isAsyncIterable(init.source)
      ? (init.source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (init.source as Iterable<unknown>)[Symbol.iterator]();
    pool.iteratorOpened();
    this.#call = {
      done: false,
      onTask: (task, ok, value) => {
        this.#tasks.delete(task.index);
        if (this.#finished) return;
        if (!ok) {
          this.#fail(value);
          return;
        }
        this.#itemsDone += task.size;
        try {
          init.options.onProgress?.(this.#itemsDone, init.total);
        } catch (error) {
          this.#fail(error);
          return;
        }
        if (init.ordered) this.#ready.set(task.index, value as unknown[]);
        else this.#arrived.push(value as unknown[]);
        this.#notify();
      },
      fail: (error) => this.#fail(error),
    };
    const signal = init.options.signal;
    if (signal) {
      const onAbort = (): void => this.#fail(new AbortError('the pool call was aborted', { cause: signal.reason }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    void this.#fill();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }

  async next(): Promise<IteratorResult<unknown>> {
    for (;;) {
      if (this.#bufferPos < this.#buffer.length) {
        const value = this.#buffer[this.#bufferPos++];
        if (this.#bufferPos === this.#buffer.length) {
          this.#inFlight -= this.#buffer.length;
          this.#buffer = [];
          this.#bufferPos = 0;
          void this.#fill();
        }
        return { value, done: false };
      }
      if (this.#error) {
        const error = this.#error.value;
        this.#error = undefined;
        this.#finish();
        throw error;
      }
      const next = this.#init.ordered ? this.#ready.get(this.#nextToYield) : this.#arrived.shift();
      if (next !== undefined) {
        if (this.#init.ordered) {
          this.#ready.delete(this.#nextToYield);
          this.#nextToYield++;
        }
        if (next.length === 0) continue;
        this.#buffer = next;
        this.#bufferPos = 0;
        continue;
      }
      if (this.#finished || (this.#exhausted && this.#inFlight === 0)) {
        this.#finish();
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<unknown>> {
    this.#finish();
    return { value: undefined, done: true };
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #fail(error: unknown): void {
    if (this.#finished || this.#error) return;
    this.#error = { value: error };
    this.#pool.cancelTasks(this.#tasks.values());
    this.#exhausted = true;
    this.#notify();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#call.done = true;
    this.#pool.cancelTasks(this.#tasks.values());
    this.#tasks.clear();
    void this.#iterator.return?.();
    this.#pool.iteratorClosed();
    this.#notify();
  }

  async #fill(): Promise<void> {
    if (this.#filling) return;
    this.#filling = true;
    try {
      while (!this.#exhausted && !this.#finished && this.#inFlight < this.#init.bound) {
        const chunk: unknown[] = [];
        while (chunk.length < this.#init.chunksize) {
          const step = await this.#iterator.next();
          if (step.done) {
            this.#exhausted = true;
            break;
          }
          chunk.push(step.value);
        }
        if (this.#finished) return;
        if (chunk.length === 0) break;
        const transfer = this.#init.transfer && this.#init.transfer.length > 0 ? [...transfersIn(chunk, this.#init.transfer)] : undefined;
        const index = this.#nextChunk++;
        this.#inFlight += chunk.length;
        this.#tasks.set(index, this.#pool.submitChunk(this.#init.fnId, chunk, this.#call, index, transfer));
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#filling = false;
      this.#notify();
    }
  }
}
