/**
 * `Event`: a flag that parties wait on until another sets it, as Python's `multiprocessing.Event`.
 *
 * ```
 * state = Int32Array [flag, generation, 0, 0]
 * ```
 *
 * `set` stores the flag, then bumps the generation and wakes everyone parked on it. A waiter reads the
 * generation before it checks the flag and parks while the generation holds, so a `set` between the check
 * and the park is never lost; and a waiter woken by a `set` returns `true` even if `clear` came right after,
 * as in Python.
 *
 * @packageDocumentation
 */
import {
  describeShareable,
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
import {
  callRemote,
  callRemoteSync,
  checkTimeout,
  forwarder,
  holdRemote,
  remoteRef,
  type RemoteData,
  type RemoteRef,
} from './internal/remote.js';

const FLAG = 0;
const GENERATION = 1;

/** @internal What an event is built from. */
export type EventInit = { kind: 'shared'; state: SharedArrayBuffer } | { kind: 'proxy'; ref: RemoteRef };

/**
 * An event flag for threads and processes, as Python's `multiprocessing.Event`: `set` it, `clear` it, check
 * it with `isSet`, or `wait` until it is set. `wait` never blocks the event loop; `waitSync` blocks (for
 * workers).
 *
 * @example
 * ```ts
 * import { Event } from '@multiproc/sync';
 * const started = new Event();
 * setTimeout(() => started.set(), 10);
 * console.log(await started.wait(1_000)); // true
 * console.log(started.isSet()); // true
 * ```
 * @see https://multiproc.dev/guide/sync
 */
export class Event {
  readonly #state: Int32Array | undefined;
  readonly #ref: RemoteRef | undefined;
  #served: ServedObject | undefined;

  /** Creates an event that is not set. */
  constructor();
  /** @internal */
  constructor(init: EventInit);
  constructor(init?: EventInit) {
    if (init?.kind === 'proxy') {
      this.#ref = init.ref;
      holdRemote(init.ref, this);
    } else {
      this.#state = new Int32Array(init?.kind === 'shared' ? init.state : new SharedArrayBuffer(16));
    }
  }

  /**
   * Whether the flag is set.
   *
   * @returns the flag.
   */
  isSet(): boolean {
    if (this.#state === undefined) return callRemoteSync(this.#ref as RemoteRef, 'isSet', []) as boolean;
    return Atomics.load(this.#state, FLAG) === 1;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    if (this.#state === undefined) {
      remoteVoid(this.#ref as RemoteRef, 'set');
      return;
    }
    setLocal(this.#state);
  }

  /** Clears the flag: later waiters wait until the next `set`. */
  clear(): void {
    if (this.#state === undefined) {
      remoteVoid(this.#ref as RemoteRef, 'clear');
      return;
    }
    Atomics.store(this.#state, FLAG, 0);
  }

  /**
   * Waits (without blocking the event loop) until the flag is set.
   *
   * @param timeoutMs - give up after this many milliseconds (default: never).
   * @returns `true` when the flag was set, `false` on timeout.
   * @throws InvalidArgumentError for a negative timeout.
   */
  wait(timeoutMs?: number): Promise<boolean> {
    const timeout = checkTimeout(timeoutMs, 'wait');
    if (this.#state === undefined) return callRemote(this.#ref as RemoteRef, 'wait', [timeout]) as Promise<boolean>;
    return waitLocalAsync(this.#state, timeout);
  }

  /**
   * Like {@link wait}, blocking the calling thread (for worker threads and child processes).
   *
   * @param timeoutMs - give up after this many milliseconds (default: never).
   * @returns `true` when the flag was set, `false` on timeout.
   */
  waitSync(timeoutMs?: number): boolean {
    const timeout = checkTimeout(timeoutMs, 'waitSync');
    if (this.#state === undefined) return callRemoteSync(this.#ref as RemoteRef, 'wait', [timeout]) as boolean;
    const state = this.#state;
    const generation = Atomics.load(state, GENERATION);
    if (Atomics.load(state, FLAG) === 1) return true;
    waitSync(state, GENERATION, generation, timeout);
    return Atomics.load(state, GENERATION) !== generation || Atomics.load(state, FLAG) === 1;
  }

  /** @internal Describes the event for a trip to another thread or process. */
  [describeShareable](context: ShareContext): ShareDescriptor {
    const base = { reviver: import.meta.url, name: 'reviveEvent' };
    if (this.#ref !== undefined) {
      this.#served ??= forwarder(this.#ref);
      return { ...base, data: { kind: 'remote', id: context.serve(this.#served) } satisfies RemoteData };
    }
    const state = this.#state as Int32Array;
    if (context.capabilities.sharedMemory) return { ...base, data: { kind: 'shared', state: state.buffer } };
    this.#served ??= {
      call(method, args) {
        switch (method) {
          case 'isSet':
            return Atomics.load(state, FLAG) === 1;
          case 'set':
            return setLocal(state);
          case 'clear':
            return void Atomics.store(state, FLAG, 0);
          case 'wait':
            return waitLocalAsync(state, args[0] as number | undefined);
          default:
            throw new UnsupportedError(`an event has no method ${method}`);
        }
      },
    };
    return { ...base, data: { kind: 'remote', id: context.serve(this.#served) } satisfies RemoteData };
  }
}

function remoteVoid(ref: RemoteRef, method: string): void {
  try {
    callRemoteSync(ref, method, []);
  } catch (error) {
    if (!UnsupportedError.isInstance(error)) throw error;
    void callRemote(ref, method, []).catch(() => {});
  }
}

function setLocal(state: Int32Array): void {
  Atomics.store(state, FLAG, 1);
  Atomics.add(state, GENERATION, 1);
  notify(state, GENERATION);
}

async function waitLocalAsync(state: Int32Array, timeout: number | undefined): Promise<boolean> {
  const generation = Atomics.load(state, GENERATION);
  if (Atomics.load(state, FLAG) === 1) return true;
  await waitAsync(state, GENERATION, generation, timeout);
  return Atomics.load(state, GENERATION) !== generation || Atomics.load(state, FLAG) === 1;
}

function reviveEvent(data: unknown, context: ReviveContext): Event {
  const received = data as { kind: 'shared'; state: SharedArrayBuffer } | RemoteData;
  if (received.kind === 'shared') return new Event(received);
  return new Event({ kind: 'proxy', ref: remoteRef(received, context, 'Event') });
}

registerReviver(import.meta.url, 'reviveEvent', reviveEvent);
