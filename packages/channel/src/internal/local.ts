/**
 * The operations of a queue or pipe direction over a {@link Ring} in this process: packing, the fast
 * non-blocking attempt, and the blocking loops (sync with `waitSync`, async with `waitAsync`) with
 * timeouts, waiter counts and abort. Async calls on one instance that must wait are chained, so they
 * complete in call order (FIFO for a producer that does not await each put).
 */
import { ClosedError, InvalidArgumentError, notify, waitAsync, waitSync } from '@multiproc/transport';
import { EmptyError, FullError } from '../errors.js';
import {
  CLOSED,
  FLAG_CLOSED,
  FULL,
  GET_WAITERS,
  ITEMS,
  Kind,
  MISMATCH,
  OK,
  PUT_WAITERS,
  Ring,
  SPACE,
  TOO_LARGE,
  UNFINISHED,
} from './ring.js';
import { decodeSmall, decodeSmallAt, keepPacked, pack, reviveSide, reviveSideAsync, unpack, unpackAsync, type Packed } from './serialize.js';
import { SideHub } from './side.js';

/** Options of a blocking operation. */
export interface WaitOptions {
  block?: boolean | undefined;
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** The options of a call that passes none: shared (never changed), so a call allocates no options object. */
export const NO_WAIT_OPTIONS: Readonly<Record<never, never>> = Object.freeze({});

/** How a core reports its states, so that queues and pipes can word their errors. */
export interface CoreErrors {
  /** The ring is closed (for a put), or closed and drained (for a get). */
  closedOnPut(): Error;
  closedOnGet(): Error;
  empty(timeout: number | undefined): Error;
  full(timeout: number | undefined): Error;
}

export const QUEUE_ERRORS: CoreErrors = {
  closedOnPut: () => new ClosedError('cannot put: the queue is closed', { code: 'ERR_QUEUE_CLOSED' }),
  closedOnGet: () => new ClosedError('the queue is closed and empty', { code: 'ERR_QUEUE_CLOSED' }),
  empty: (timeout) => new EmptyError(timeout === undefined ? 'the queue is empty' : `the queue stayed empty for ${timeout} ms`),
  full: (timeout) => new FullError(timeout === undefined ? 'the queue is full' : `the queue stayed full for ${timeout} ms`),
};

const hubs = new Map<string, SideHub>();
const hubRefs = new Map<string, number>();
const finalizer = new FinalizationRegistry<string>((id) => releaseHub(id));

function releaseHub(id: string): void {
  const refs = (hubRefs.get(id) ?? 1) - 1;
  if (refs > 0) {
    hubRefs.set(id, refs);
    return;
  }
  hubRefs.delete(id);
  hubs.get(id)?.close();
  hubs.delete(id);
}

export function checkTimeout(timeout: number | undefined): number | undefined {
  if (timeout === undefined || timeout === null) return undefined;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new InvalidArgumentError(`timeout must be a number of milliseconds >= 0, got ${String(timeout)}`);
  }
  return timeout;
}

function ticketBytes(ticket: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, ticket, true);
  return bytes;
}

function ticketOf(bytes: Uint8Array): number {
  return ((bytes[0] as number) | ((bytes[1] as number) << 8) | ((bytes[2] as number) << 16) | ((bytes[3] as number) << 24)) | 0;
}

const noop = (): void => {};

const RESOLVED: Promise<void> = Promise.resolve();
const END: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });
const toResult = (value: unknown): IteratorResult<unknown> => ({ value, done: false });
const isClosed = (ring: Ring): boolean => ring.flag(FLAG_CLOSED);

/** A queue (or pipe direction) over a ring, as seen from this thread. */
export class LocalCore {
  readonly ring: Ring;
  readonly owner: boolean;
  readonly errors: CoreErrors;
  #putTail: Promise<void> = Promise.resolve();
  #putsWaiting = 0;
  #getTail: Promise<unknown> = Promise.resolve();
  #getsWaiting = 0;

  constructor(ring: Ring, owner: boolean, errors: CoreErrors, holder: object) {
    this.ring = ring;
    ring.smallDecoder = decodeSmallAt;
    this.owner = owner;
    this.errors = errors;
    hubRefs.set(ring.id, (hubRefs.get(ring.id) ?? 0) + 1);
    finalizer.register(holder, ring.id);
  }

  /** The side hub of this ring in this thread (the owner opens it before the ring leaves the thread). */
  hub(): SideHub {
    let hub = hubs.get(this.ring.id);
    if (!hub) {
      hub = new SideHub(this.ring.id, this.owner);
      hubs.set(this.ring.id, hub);
    }
    return hub;
  }

  // ---- put ----

  #packFor(item: unknown): Packed {
    const packed = pack(item, 'item', this.owner);
    if (packed.kind === Kind.Side) {
      const ticket = this.ring.nextTicket();
      packed.bytes = ticketBytes(ticket);
      packed.length = packed.bytes.length;
      if (this.owner) this.hub();
    }
    return packed;
  }

  #attemptPut(packed: Packed, unfinished: boolean): number {
    const result = this.ring.tryPut(packed.kind, packed.bytes, unfinished, packed.length);
    if (result === OK && packed.kind === Kind.Side) {
      this.hub().deposit(ticketOf(packed.bytes as Uint8Array), packed.side, packed.special);
    }
    return result;
  }

  #putFailure(result: number, timeout: number | undefined): Error {
    if (result === CLOSED) return this.errors.closedOnPut();
    if (result === TOO_LARGE) {
      return new InvalidArgumentError(
        `the item is larger than the most a queue or pipe buffers (${this.ring.dataSab.maxByteLength} bytes); send it in parts, or through a SharedArrayBuffer`,
      );
    }
    return this.errors.full(timeout);
  }

  /** Puts, blocking this thread while full. */
  putSync(item: unknown, options: WaitOptions = NO_WAIT_OPTIONS, unfinished = false): void {
    const timeout = checkTimeout(options.timeout);
    const packed = this.#packFor(item);
    let result = this.#attemptPut(packed, unfinished);
    if (result === OK) return;
    if (result !== FULL || options.block === false) throw this.#putFailure(result, timeout);
    const h = this.ring.h;
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout;
    for (;;) {
      Atomics.add(h, PUT_WAITERS, 1);
      const seq = Atomics.load(h, SPACE);
      result = this.#attemptPut(packed, unfinished);
      if (result !== FULL) {
        Atomics.sub(h, PUT_WAITERS, 1);
        if (result === OK) return;
        throw this.#putFailure(result, timeout);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        Atomics.sub(h, PUT_WAITERS, 1);
        this.#passOn(SPACE, PUT_WAITERS);
        throw this.#putFailure(FULL, timeout);
      }
      waitSync(h, SPACE, seq, remaining === Number.POSITIVE_INFINITY ? undefined : remaining);
      Atomics.sub(h, PUT_WAITERS, 1);
    }
  }

  /** Puts without blocking this thread; resolves once the item is in. */
  put(item: unknown, options: WaitOptions = NO_WAIT_OPTIONS, unfinished = false): Promise<void> {
    let packed: Packed;
    let timeout: number | undefined;
    let result: number;
    try {
      timeout = checkTimeout(options.timeout);
      packed = this.#packFor(item);
      // Puts already waiting for room go first: this one queues behind them (as if the ring were full).
      result = this.#putsWaiting === 0 ? this.#attemptPut(packed, unfinished) : FULL;
    } catch (error) {
      return Promise.reject(error);
    }
    if (result === OK) return RESOLVED;
    if (result !== FULL || options.block === false) return Promise.reject(this.#putFailure(result, timeout));
    // The packed item may sit in shared scratch space: keep a copy while waiting.
    packed = keepPacked(packed);
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout;
    this.#putsWaiting++;
    const run = this.#putTail.then(() => this.#putWaiting(packed, unfinished, deadline, timeout, options.signal));
    this.#putTail = run.then(noop, noop);
    return run.finally(() => {
      this.#putsWaiting--;
    });
  }

  async #putWaiting(packed: Packed, unfinished: boolean, deadline: number, timeout: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    const h = this.ring.h;
    for (;;) {
      signal?.throwIfAborted();
      Atomics.add(h, PUT_WAITERS, 1);
      const seq = Atomics.load(h, SPACE);
      const result = this.#attemptPut(packed, unfinished);
      if (result !== FULL) {
        Atomics.sub(h, PUT_WAITERS, 1);
        if (result === OK) return;
        throw this.#putFailure(result, timeout);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        Atomics.sub(h, PUT_WAITERS, 1);
        this.#passOn(SPACE, PUT_WAITERS);
        throw this.#putFailure(FULL, timeout);
      }
      await waitAsync(h, SPACE, seq, remaining === Number.POSITIVE_INFINITY ? undefined : remaining);
      Atomics.sub(h, PUT_WAITERS, 1);
    }
  }

  // ---- get ----

  /** Turns the record just taken into its item, blocking for a side-path value. */
  finishSync(): unknown {
    const ring = this.ring;
    if (ring.takenKind === Kind.Small) return decodeSmall(ring.scratch, ring.takenLength);
    if (ring.takenKind === Kind.Decoded) return ring.takenValue;
    if (ring.takenKind === Kind.Side) {
      const [value, special] = this.hub().fetchSync(ticketOf(ring.takenBytes as Uint8Array));
      return reviveSide(value, special);
    }
    return unpack(ring.takenKind, ring.takenBytes, ring.takenNumber);
  }

  /** Turns the record just taken into its item. */
  finishAsync(): Promise<unknown> {
    const ring = this.ring;
    const kind = ring.takenKind;
    if (kind === Kind.Small || kind === Kind.Decoded) {
      try {
        return Promise.resolve(kind === Kind.Small ? decodeSmall(ring.scratch, ring.takenLength) : ring.takenValue);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (kind === Kind.Side) {
      return this.hub()
        .fetch(ticketOf(ring.takenBytes as Uint8Array))
        .then(([value, special]) => reviveSideAsync(value, special));
    }
    if (kind === Kind.V8Codec) return unpackAsync(kind, ring.takenBytes, ring.takenNumber);
    try {
      return Promise.resolve(unpack(kind, ring.takenBytes, ring.takenNumber));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Decodes a Small record taken by an async caller at once: its bytes sit in the ring's scratch space,
   * which the next take in this thread reuses before the caller resumes.
   */
  #settleTaken(): void {
    const ring = this.ring;
    if (ring.takenKind === Kind.Small) {
      ring.takenValue = decodeSmall(ring.scratch, ring.takenLength);
      ring.takenKind = Kind.Decoded;
    }
  }

  #take(accept: ((kind: Kind) => boolean) | undefined, maxLength: number | undefined): number {
    return this.ring.tryTake(accept, maxLength);
  }

  /** Takes one record, blocking this thread while empty. Returns with the record in `ring.taken*`. */
  takeSync(options: WaitOptions = NO_WAIT_OPTIONS, accept?: (kind: Kind) => boolean, maxLength?: number): number {
    const timeout = checkTimeout(options.timeout);
    let result = this.#take(accept, maxLength);
    if (result !== 1 /* EMPTY */) return result;
    if (options.block === false) return result;
    const h = this.ring.h;
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout;
    for (;;) {
      Atomics.add(h, GET_WAITERS, 1);
      const seq = Atomics.load(h, ITEMS);
      result = this.#take(accept, maxLength);
      if (result !== 1) {
        Atomics.sub(h, GET_WAITERS, 1);
        return result;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        Atomics.sub(h, GET_WAITERS, 1);
        this.#passOn(ITEMS, GET_WAITERS);
        return result;
      }
      waitSync(h, ITEMS, seq, remaining === Number.POSITIVE_INFINITY ? undefined : remaining);
      Atomics.sub(h, GET_WAITERS, 1);
    }
  }

  /** Takes one record without blocking this thread. */
  async takeAsync(options: WaitOptions = NO_WAIT_OPTIONS, deadline?: number, accept?: (kind: Kind) => boolean, maxLength?: number): Promise<number> {
    const h = this.ring.h;
    const signal = options.signal;
    for (;;) {
      signal?.throwIfAborted();
      Atomics.add(h, GET_WAITERS, 1);
      const seq = Atomics.load(h, ITEMS);
      const result = this.#take(accept, maxLength);
      if (result !== 1) {
        Atomics.sub(h, GET_WAITERS, 1);
        if (result === OK) this.#settleTaken();
        return result;
      }
      const remaining = (deadline ?? Number.POSITIVE_INFINITY) - Date.now();
      if (remaining <= 0 || options.block === false) {
        Atomics.sub(h, GET_WAITERS, 1);
        this.#passOn(ITEMS, GET_WAITERS);
        return result;
      }
      await waitAsync(h, ITEMS, seq, remaining === Number.POSITIVE_INFINITY ? undefined : remaining);
      Atomics.sub(h, GET_WAITERS, 1);
    }
  }

  /** Gets one item, blocking this thread while empty. */
  getSync(options: WaitOptions = NO_WAIT_OPTIONS): unknown {
    const result = this.takeSync(options);
    if (result === OK) return this.finishSync();
    if (result === CLOSED) throw this.errors.closedOnGet();
    throw this.errors.empty(options.timeout);
  }

  /** Gets one item without blocking this thread. */
  get(options: WaitOptions = NO_WAIT_OPTIONS): Promise<unknown> {
    let timeout: number | undefined;
    try {
      timeout = checkTimeout(options.timeout);
      if (this.#getsWaiting === 0) {
        const result = this.#take(undefined, undefined);
        if (result === OK) return this.finishAsync();
        if (result === CLOSED) throw this.errors.closedOnGet();
        if (options.block === false) throw this.errors.empty(timeout);
      } else if (options.block === false) {
        throw this.errors.empty(timeout);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout;
    this.#getsWaiting++;
    const run = this.#getTail.then(async () => {
      const result = await this.takeAsync(options, deadline);
      if (result === OK) return this.finishAsync();
      if (result === CLOSED) throw this.errors.closedOnGet();
      throw this.errors.empty(timeout);
    });
    this.#getTail = run.then(noop, noop);
    return run.finally(() => {
      this.#getsWaiting--;
    });
  }

  /**
   * The next step of an async iteration: the next item, or the end once the queue is closed and
   * drained. When an item is ready it is taken and decoded now, with no promise but the result's.
   */
  next(): Promise<IteratorResult<unknown>> {
    if (this.#getsWaiting === 0) {
      const result = this.#take(undefined, undefined);
      if (result === OK) {
        const kind = this.ring.takenKind;
        if (kind === Kind.Side || kind === Kind.V8Codec) return this.finishAsync().then(toResult);
        try {
          return Promise.resolve({ value: this.finishSync(), done: false });
        } catch (error) {
          return Promise.reject(error);
        }
      }
      if (result === CLOSED) return Promise.resolve(END);
    }
    return this.get({}).then(toResult, (error: unknown) => {
      if (isClosed(this.ring) && (error as { code?: unknown } | null)?.code === 'ERR_QUEUE_CLOSED') return END;
      throw error;
    });
  }

  /** Wakes every waiter on this ring so that aborted async waits notice. */
  wakeAll(): void {
    const h = this.ring.h;
    Atomics.add(h, ITEMS, 1);
    Atomics.add(h, SPACE, 1);
    notify(h, ITEMS);
    notify(h, SPACE);
  }

  /** A waiter that gives up may have consumed a wake meant for another: pass it on. */
  #passOn(word: number, waiters: number): void {
    if (Atomics.load(this.ring.h, waiters) > 0) notify(this.ring.h, word, 1);
  }

  // ---- joinable ----

  taskDone(): boolean {
    const h = this.ring.h;
    for (;;) {
      const current = Atomics.load(h, UNFINISHED);
      if (current <= 0) return false;
      if (Atomics.compareExchange(h, UNFINISHED, current, current - 1) === current) {
        if (current === 1) notify(h, UNFINISHED);
        return true;
      }
    }
  }

  joinSync(): void {
    const h = this.ring.h;
    for (let current = Atomics.load(h, UNFINISHED); current > 0; current = Atomics.load(h, UNFINISHED)) {
      waitSync(h, UNFINISHED, current);
    }
  }

  async join(): Promise<void> {
    const h = this.ring.h;
    for (let current = Atomics.load(h, UNFINISHED); current > 0; current = Atomics.load(h, UNFINISHED)) {
      await waitAsync(h, UNFINISHED, current);
    }
  }
}

export { MISMATCH, TOO_LARGE, OK, CLOSED, FULL };
