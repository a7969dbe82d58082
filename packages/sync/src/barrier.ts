/**
 * `Barrier`: a fixed number of parties wait until all have arrived, then go on together, as Python's
 * `multiprocessing.Barrier(parties, action, timeout)`.
 *
 * ```
 * state = Int32Array [generation << 16 | arrived, epoch, broken, broken-generations ring, parties, 0, 0, 0]
 * ```
 *
 * One compare-and-swap on the first word both counts an arrival and pins its generation, so a party of the
 * next round can never be counted in the current one: while the last arriver runs the `action` the count
 * stays at `parties` and newcomers wait for the next generation. Ending a generation (passing or breaking)
 * bumps the *epoch*, the futex word everyone parks on, so no wake-up is lost. Whether a generation ended
 * broken is remembered in a 32-generation ring, so a slow waiter of an old generation still learns how its
 * round ended.
 *
 * @packageDocumentation
 */
import {
  describeShareable,
  InvalidArgumentError,
  notify,
  registerReviver,
  UnsupportedError,
  waitAsync,
  waitSync,
  type ReviveContext,
  type ServedObject,
  type ShareContext,
  type ShareDescriptor,
} from '@multiproc/transport';
import { BrokenBarrierError } from './errors.js';
import {
  callRemote,
  callRemoteSync,
  checkTimeout,
  deadlineOf,
  forwarder,
  holdRemote,
  leftUntil,
  remoteRef,
  type RemoteData,
  type RemoteRef,
} from './internal/remote.js';

const STATE = 0;
const EPOCH = 1;
const BROKEN = 2;
const RING = 3;
const PARTIES = 4;
const COUNT_MASK = 0xffff;
const GEN_MASK = 0x7fff;
const MAX_PARTIES = 0xfffe;

/**
 * Options of a {@link Barrier}, as Python's `Barrier(parties, action=None, timeout=None)`: an `action` run
 * once per round by the last party to arrive, and the default `timeout` of `wait` in milliseconds.
 *
 * @example
 * ```ts
 * import { Barrier, type BarrierOptions } from '@multiproc/sync';
 * const options: BarrierOptions = {
 *   action: () => console.log('all parties arrived'), // self-contained: it may run in a worker
 *   timeout: 5_000,
 * };
 * const barrier = new Barrier(3, options);
 * const indices = await Promise.all([barrier.wait(), barrier.wait(), barrier.wait()]);
 * console.log(indices.sort()); // [0, 1, 2]
 * ```
 */
export interface BarrierOptions {
  /**
   * Run by one of the parties (the last to arrive) when all have arrived, before any is released, as in
   * Python. If it throws, the barrier breaks. Between threads, the barrier travels with it: a task reference
   * (from `defineTasks`) or a self-contained inline function (sent as source; it cannot capture variables).
   * In a child process, the action runs in the owner of the barrier.
   */
  action?: () => unknown;
  /** The default timeout of `wait`, in milliseconds (default: none). */
  timeout?: number;
}

/** @internal What a barrier is built from. */
export type BarrierInit =
  | { kind: 'new'; parties: number; action: (() => unknown) | undefined; timeout: number | undefined }
  | { kind: 'shared'; state: SharedArrayBuffer; action: (() => unknown) | undefined; timeout: number | undefined }
  | { kind: 'proxy'; ref: RemoteRef; parties: number };

/**
 * A barrier for a fixed number of parties (threads or processes), as Python's `multiprocessing.Barrier`.
 * Each party calls `wait()`; when the last arrives, the `action` runs (in that party), then all are released
 * and `wait` returns each one's arrival index, `0` to `parties - 1`. The barrier can be reused at once for
 * the next round. If a wait times out, `abort()` is called, or the action throws, the barrier breaks: every
 * waiter, and every later `wait` until `reset()`, gets {@link BrokenBarrierError}.
 *
 * @example
 * ```ts
 * import { Barrier } from '@multiproc/sync';
 * const barrier = new Barrier(2, { timeout: 5_000 });
 * const [a, b] = await Promise.all([barrier.wait(), barrier.wait()]);
 * console.log([a, b].sort()); // [0, 1]
 * ```
 * @see https://multiproc.dev/guide/sync
 */
export class Barrier {
  readonly #state: Int32Array | undefined;
  readonly #ref: RemoteRef | undefined;
  readonly #parties: number;
  readonly #action: (() => unknown) | undefined;
  readonly #timeout: number | undefined;
  #served: ServedObject | undefined;

  /**
   * @param parties - how many parties must arrive, an integer >= 1.
   * @param options - `action` and the default `timeout`.
   * @throws InvalidArgumentError for a bad count, a non-function action or a negative timeout.
   */
  constructor(parties: number, options?: BarrierOptions);
  /** @internal */
  constructor(init: BarrierInit);
  constructor(partiesOrInit: number | BarrierInit, options: BarrierOptions = {}) {
    const init: BarrierInit =
      typeof partiesOrInit === 'object' && partiesOrInit !== null
        ? partiesOrInit
        : { kind: 'new', parties: partiesOrInit, action: options.action, timeout: checkTimeout(options.timeout, 'Barrier') };
    if (init.kind === 'proxy') {
      this.#ref = init.ref;
      this.#parties = init.parties;
      this.#action = undefined;
      this.#timeout = undefined;
      holdRemote(init.ref, this);
      return;
    }
    if (init.action !== undefined && typeof init.action !== 'function') {
      throw new InvalidArgumentError(`Barrier: action must be a function, got ${typeof init.action}`);
    }
    this.#action = init.action;
    this.#timeout = init.timeout;
    if (init.kind === 'shared') {
      this.#state = new Int32Array(init.state);
      this.#parties = Atomics.load(this.#state, PARTIES);
    } else {
      const parties = init.parties;
      if (typeof parties !== 'number' || !Number.isInteger(parties) || parties < 1 || parties > MAX_PARTIES) {
        throw new InvalidArgumentError(`Barrier: parties must be an integer from 1 to ${MAX_PARTIES}, got ${String(parties)}`);
      }
      this.#parties = parties;
      this.#state = new Int32Array(new SharedArrayBuffer(32));
      this.#state[PARTIES] = parties;
    }
  }

  /** How many parties the barrier waits for. */
  get parties(): number {
    return this.#parties;
  }

  /** How many parties are waiting now (Python's `n_waiting`). */
  get nWaiting(): number {
    if (this.#state === undefined) return callRemoteSync(this.#ref as RemoteRef, 'nWaiting', []) as number;
    const count = Atomics.load(this.#state, STATE) & COUNT_MASK;
    // While the action runs, every party has arrived but none has been released yet.
    return count >= this.#parties ? this.#parties - 1 : count;
  }

  /** Whether the barrier is broken (until `reset()`). */
  get broken(): boolean {
    if (this.#state === undefined) return callRemoteSync(this.#ref as RemoteRef, 'broken', []) as boolean;
    return Atomics.load(this.#state, BROKEN) === 1;
  }

  /**
   * Waits (without blocking the event loop) until all parties have arrived.
   *
   * @param timeoutMs - overrides the barrier's default timeout for this wait.
   * @returns this party's arrival index, `0` to `parties - 1` (the last to arrive gets `parties - 1`).
   * @throws {@link BrokenBarrierError} when the barrier is or becomes broken (timeout, abort, reset, failing action).
   */
  wait(timeoutMs?: number): Promise<number> {
    const timeout = timeoutMs === undefined ? this.#timeout : checkTimeout(timeoutMs, 'wait');
    if (this.#state === undefined) return callRemote(this.#ref as RemoteRef, 'wait', [timeout]) as Promise<number>;
    return waitLocalAsync(this.#state, this.#parties, this.#action, timeout);
  }

  /**
   * Like {@link wait}, blocking the calling thread (for worker threads and child processes). If the action
   * returns a promise (a task reference always does), the barrier does not wait for it.
   *
   * @param timeoutMs - overrides the barrier's default timeout for this wait.
   * @returns this party's arrival index.
   * @throws {@link BrokenBarrierError} when the barrier is or becomes broken.
   */
  waitSync(timeoutMs?: number): number {
    const timeout = timeoutMs === undefined ? this.#timeout : checkTimeout(timeoutMs, 'waitSync');
    if (this.#state === undefined) return callRemoteSync(this.#ref as RemoteRef, 'wait', [timeout]) as number;
    return waitLocalSync(this.#state, this.#parties, this.#action, timeout);
  }

  /** Breaks the barrier: every waiter and every later `wait` (until `reset()`) gets {@link BrokenBarrierError}. */
  abort(): void {
    if (this.#state === undefined) {
      callRemoteSync(this.#ref as RemoteRef, 'abort', []);
      return;
    }
    breakGeneration(this.#state, -1);
  }

  /** Returns the barrier to its initial state; parties waiting now get {@link BrokenBarrierError}. */
  reset(): void {
    if (this.#state === undefined) {
      callRemoteSync(this.#ref as RemoteRef, 'reset', []);
      return;
    }
    resetLocal(this.#state);
  }

  /** @internal Describes the barrier for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    const base = { reviver: import.meta.url, name: 'reviveBarrier' };
    if (this.#ref !== undefined) {
      this.#served ??= forwarder(this.#ref);
      return { ...base, data: { kind: 'remote', id: context.serve(this.#served), parties: this.#parties } };
    }
    const state = this.#state as Int32Array;
    if (context.capabilities.sharedMemory) {
      return { ...base, data: { kind: 'shared', state: state.buffer, action: describeAction(this.#action), timeout: this.#timeout } };
    }
    const parties = this.#parties;
    const action = this.#action;
    this.#served ??= {
      call(method, args) {
        switch (method) {
          case 'wait':
            return waitLocalAsync(state, parties, action, args[0] as number | undefined);
          case 'nWaiting': {
            const count = Atomics.load(state, STATE) & COUNT_MASK;
            return count >= parties ? parties - 1 : count;
          }
          case 'broken':
            return Atomics.load(state, BROKEN) === 1;
          case 'abort':
            return void breakGeneration(state, -1);
          case 'reset':
            return resetLocal(state);
          default:
            throw new UnsupportedError(`a barrier has no method ${method}`);
        }
      },
    };
    return { ...base, data: { kind: 'remote', id: context.serve(this.#served), parties } };
  }
}

/** A task reference travels as itself (the codec revives it); any other function as its source. */
function describeAction(action: (() => unknown) | undefined): unknown {
  if (action === undefined) return undefined;
  if (typeof (action as unknown as Record<symbol, unknown>)[describeShareable] === 'function') return { ref: action };
  return { source: action.toString() };
}

function reviveAction(described: unknown): (() => unknown) | undefined {
  if (described === undefined || described === null) return undefined;
  const { ref, source } = described as { ref?: () => unknown; source?: string };
  if (ref !== undefined) return ref;
  // A self-contained inline function, compiled once here (as the pool does for inline tasks).
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(`return (${source as string});`)() as () => unknown;
}

function generationOf(word: number): number {
  return (word >>> 16) & GEN_MASK;
}

function ringBit(generation: number): number {
  return 1 << (generation & 31);
}

function endedBroken(state: Int32Array, generation: number): boolean {
  return (Atomics.load(state, RING) & ringBit(generation)) !== 0;
}

/**
 * Ends generation `generation` (or the current one, for -1) as broken and marks the barrier broken; the
 * parties of that generation are released with BrokenBarrierError. Returns false when that generation had
 * already ended (it passed meanwhile: nothing is broken).
 */
function breakGeneration(state: Int32Array, generation: number): boolean {
  if (generation === -1) Atomics.store(state, BROKEN, 1);
  let word = Atomics.load(state, STATE);
  for (;;) {
    const current = generationOf(word);
    if (generation !== -1 && current !== generation) return false;
    const next = (current + 1) & GEN_MASK;
    Atomics.or(state, RING, ringBit(current));
    Atomics.and(state, RING, ~ringBit(next));
    const seen = Atomics.compareExchange(state, STATE, word, next << 16);
    if (seen === word) break;
    word = seen;
  }
  Atomics.store(state, BROKEN, 1);
  Atomics.add(state, EPOCH, 1);
  notify(state, EPOCH);
  return true;
}

function resetLocal(state: Int32Array): void {
  let word = Atomics.load(state, STATE);
  for (;;) {
    const current = generationOf(word);
    if ((word & COUNT_MASK) === 0) break;
    const next = (current + 1) & GEN_MASK;
    Atomics.or(state, RING, ringBit(current));
    Atomics.and(state, RING, ~ringBit(next));
    const seen = Atomics.compareExchange(state, STATE, word, next << 16);
    if (seen === word) break;
    word = seen;
  }
  Atomics.store(state, BROKEN, 0);
  Atomics.add(state, EPOCH, 1);
  notify(state, EPOCH);
}

function brokenError(): BrokenBarrierError {
  return new BrokenBarrierError('the barrier is broken (a wait timed out, abort() or reset() was called, or the action failed)');
}

type Arrival = { index: number; generation: number } | { epoch: number };

/** One attempt to arrive: the arrival, or the epoch to wait on while the previous round drains. */
function arrive(state: Int32Array, parties: number): Arrival {
  for (;;) {
    if (Atomics.load(state, BROKEN) === 1) throw brokenError();
    const epoch = Atomics.load(state, EPOCH);
    const word = Atomics.load(state, STATE);
    const count = word & COUNT_MASK;
    if (count >= parties) return { epoch };
    if (Atomics.compareExchange(state, STATE, word, word + 1) === word) return { index: count, generation: generationOf(word) };
  }
}

/** The last arriver, after the action: release everyone. Fails if the generation broke meanwhile. */
function pass(state: Int32Array, parties: number, generation: number): void {
  const full = (generation << 16) | parties;
  const next = (generation + 1) & GEN_MASK;
  Atomics.and(state, RING, ~ringBit(next));
  if (Atomics.compareExchange(state, STATE, full, next << 16) !== full) throw brokenError();
  Atomics.add(state, EPOCH, 1);
  notify(state, EPOCH);
}

/** Whether generation `generation` is over: returns the outcome, or undefined while it is not. */
function outcome(state: Int32Array, generation: number): 'passed' | 'broken' | undefined {
  if (generationOf(Atomics.load(state, STATE)) === generation) return undefined;
  return endedBroken(state, generation) ? 'broken' : 'passed';
}

async function waitLocalAsync(
  state: Int32Array,
  parties: number,
  action: (() => unknown) | undefined,
  timeout: number | undefined,
): Promise<number> {
  const deadline = deadlineOf(timeout);
  let arrival = arrive(state, parties);
  while ('epoch' in arrival) {
    const left = leftUntil(deadline);
    if (left <= 0) {
      breakGeneration(state, -1);
      throw brokenError();
    }
    await waitAsync(state, EPOCH, arrival.epoch, Math.min(left, 100));
    arrival = arrive(state, parties);
  }
  const { index, generation } = arrival;
  if (index === parties - 1) {
    try {
      await action?.();
    } catch (error) {
      breakGeneration(state, generation);
      throw new BrokenBarrierError('the barrier action threw', { cause: error });
    }
    pass(state, parties, generation);
    return index;
  }
  for (;;) {
    const epoch = Atomics.load(state, EPOCH);
    const result = outcome(state, generation);
    if (result === 'passed') return index;
    if (result === 'broken') throw brokenError();
    const left = leftUntil(deadline);
    if (left <= 0 || Atomics.load(state, BROKEN) === 1) {
      // Timed out, or the barrier was aborted while this round filled: end the round as broken.
      if (breakGeneration(state, generation)) throw brokenError();
      continue;
    }
    await waitAsync(state, EPOCH, epoch, left === Number.POSITIVE_INFINITY ? undefined : left);
  }
}

function waitLocalSync(state: Int32Array, parties: number, action: (() => unknown) | undefined, timeout: number | undefined): number {
  const deadline = deadlineOf(timeout);
  let arrival = arrive(state, parties);
  while ('epoch' in arrival) {
    const left = leftUntil(deadline);
    if (left <= 0) {
      breakGeneration(state, -1);
      throw brokenError();
    }
    waitSync(state, EPOCH, arrival.epoch, Math.min(left, 100));
    arrival = arrive(state, parties);
  }
  const { index, generation } = arrival;
  if (index === parties - 1) {
    try {
      const result = action?.();
      if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
        // waitSync cannot await it: let it run, and report a failure on stderr rather than lose it.
        (result as Promise<unknown>).then(undefined, (error: unknown) => {
          process.emitWarning(`a Barrier action (not awaited by waitSync) failed: ${String(error)}`);
        });
      }
    } catch (error) {
      breakGeneration(state, generation);
      throw new BrokenBarrierError('the barrier action threw', { cause: error });
    }
    pass(state, parties, generation);
    return index;
  }
  for (;;) {
    const epoch = Atomics.load(state, EPOCH);
    const result = outcome(state, generation);
    if (result === 'passed') return index;
    if (result === 'broken') throw brokenError();
    const left = leftUntil(deadline);
    if (left <= 0 || Atomics.load(state, BROKEN) === 1) {
      // Timed out, or the barrier was aborted while this round filled: end the round as broken.
      if (breakGeneration(state, generation)) throw brokenError();
      continue;
    }
    waitSync(state, EPOCH, epoch, left === Number.POSITIVE_INFINITY ? undefined : left);
  }
}

function reviveBarrier(data: unknown, context: ReviveContext): Barrier {
  const received = data as
    | { kind: 'shared'; state: SharedArrayBuffer; action: unknown; timeout: number | undefined }
    | (RemoteData & { parties: number });
  if (received.kind === 'shared') {
    return new Barrier({ kind: 'shared', state: received.state, action: reviveAction(received.action), timeout: received.timeout });
  }
  return new Barrier({ kind: 'proxy', ref: remoteRef(received, context, 'Barrier'), parties: received.parties });
}

registerReviver(import.meta.url, 'reviveBarrier', reviveBarrier);
