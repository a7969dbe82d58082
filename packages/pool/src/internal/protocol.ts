/**
 * The pool protocol, spoken over the `CHANNELS.pool` channel of each worker's multiplexer. Tasks travel
 * in batches (several per message while a worker is busy) and results come back in batches too. A task
 * is `[fnId, kind, payload]`; functions are described once per worker (`define`) and then named by
 * number, so an inline function's source crosses only once. Tasks carry no id: a worker runs its tasks in
 * the order it receives them and answers in that order, and each results message says where in that order
 * its first result is, so the parent matches results to tasks by position and checks the count.
 */
import type { TaskDescriptor } from '@multiproc/process';

/** apply: payload is the argument array. */
export const KIND_APPLY = 0;
/** map chunk: payload is an array of items, each called as fn(item). */
export const KIND_MAP = 1;
/** starmap chunk: payload is an array of argument arrays, each called as fn(...args). */
export const KIND_STARMAP = 2;
export type TaskKind = typeof KIND_APPLY | typeof KIND_MAP | typeof KIND_STARMAP;

/** Tasks travel flat, three slots each: `[fnId, kind, payload, fnId, kind, payload, ...]`. */
export type WireTasks = unknown[];

/** Parent -> worker. */
export type ToWorker =
  | ['define', fnId: number, descriptor: TaskDescriptor]
  | ['tasks', tasks: WireTasks, defines: Array<[number, TaskDescriptor]>]
  | ['exit'];

/**
 * A map chunk of at least this many items that are all numbers travels as an Int32Array (all int32, none -0)
 * or a Float64Array instead of an array; a chunk's results that are all numbers come back as a Float64Array
 * (its buffer moved, not copied):
 * the bytes are copied (or moved) at once instead of structured clone walking the array element by element.
 * Float64 holds every number exactly (NaN, -0, Infinity, 2 ** 53 + 2, 1e300), so the receiver's unpacking
 * gives back the same values. Only map/starmap payloads and results are packed (an apply's value is never
 * unpacked), so a typed array a task returns from `apply` arrives as the typed array it is.
 */
export const MIN_PACKED_ITEMS = 64;

/** Results travel flat, two slots each: `[ok, value, ...]` (ok = 1 with the value, 0 with the error). */
export type WireResults = unknown[];

/**
 * Worker -> parent. `first` is how many results the worker had sent before this message's first one (its
 * position among all the tasks the worker received); `busyMs` is the time spent running the tasks of the
 * batch (for batch sizing).
 */
export type FromWorker = ['results', first: number, results: WireResults, busyMs: number] | ['ready'] | ['initFailed', error: unknown];

/** What the worker loop is started with. */
export interface WorkerConfig {
  readonly initializer: TaskDescriptor | undefined;
  readonly initArgs: readonly unknown[];
  /** Threads only: a counter of started tasks the parent reads if the worker dies. */
  readonly started: SharedArrayBuffer | undefined;
  /** Send each result at once (child processes, where the parent cannot see the started counter). */
  readonly flushEachResult: boolean;
  /** Poll for the next tasks briefly when the queue runs dry (PoolOptions.spin). */
  readonly spin: boolean;
}
