/**
 * The two ways a queue works, behind one interface: over a ring in shared memory (the process that
 * created it, and its worker threads), or as a proxy whose every call goes to the owning process
 * (child processes: Manager-style, through the share channel of the connection it arrived on). The
 * owner serves each trip of a queue as its own session, so that when the process holding a proxy dies
 * (its connection closes), the session's pending gets are withdrawn instead of swallowing items.
 */
import {
  InvalidStateError,
  keepAliveUntil,
  registerBlockingHook,
  type RemoteObjects,
  type ServedObject,
  type ShareContext,
  UnsupportedError,
  waitAsync,
} from '@multiproc/transport';
import { checkTimeout, LocalCore, QUEUE_ERRORS, type WaitOptions } from './local.js';
import { keepPacked, pack, type Packed } from './serialize.js';
import { FLAG_CLOSED, Kind, OK, RECORD_HEADER, Ring, SPACE, type RingBuffers } from './ring.js';

const noop = (): void => {};

/** What every queue class runs on. */
export interface QueueBackend {
  readonly ringId: string;
  put(item: unknown, options: WaitOptions): Promise<void>;
  putSync(item: unknown, options: WaitOptions): void;
  get(options: WaitOptions): Promise<unknown>;
  getSync(options: WaitOptions): unknown;
  /** The next step of `for await`: an item, or done once the queue is closed and drained. */
  next(): Promise<IteratorResult<unknown>>;
  qsize(): number;
  maxsize(): number;
  close(): void;
  closed(): boolean;
  taskDone(): void;
  join(): Promise<void>;
  joinSync(): void;
  /** The descriptor data for a trip with `context`. */
  describe(context: ShareContext): QueueData;
}

/** Descriptor data of a queue. */
export type QueueData =
  | { readonly mode: 'ring'; readonly buffers: RingBuffers }
  | {
      readonly mode: 'proxy';
      readonly ringId: string;
      readonly id: number;
      readonly maxsize: number;
      /** Whether the owner serves pipelined puts to this proxy (not through a forwarder, not joinable). */
      readonly pipelined?: boolean;
    };

const tooManyTaskDone = (): Error =>
  new InvalidStateError('taskDone() was called more times than there were items put into the queue', {});

/** A queue over a ring in this process. */
export class LocalQueueBackend implements QueueBackend {
  readonly core: LocalCore;
  readonly joinable: boolean;

  constructor(ring: Ring, owner: boolean, joinable: boolean, holder: object) {
    this.core = new LocalCore(ring, owner, QUEUE_ERRORS, holder);
    this.joinable = joinable;
  }

  get ringId(): string {
    return this.core.ring.id;
  }

  put(item: unknown, options: WaitOptions): Promise<void> {
    return this.core.put(item, options, this.joinable);
  }

  putSync(item: unknown, options: WaitOptions): void {
    this.core.putSync(item, options, this.joinable);
  }

  get(options: WaitOptions): Promise<unknown> {
    return this.core.get(options);
  }

  getSync(options: WaitOptions): unknown {
    return this.core.getSync(options);
  }

  next(): Promise<IteratorResult<unknown>> {
    return this.core.next();
  }

  qsize(): number {
    return this.core.ring.count;
  }

  maxsize(): number {
    return this.core.ring.maxsize;
  }

  close(): void {
    this.core.ring.setFlag(FLAG_CLOSED);
  }

  closed(): boolean {
    return this.core.ring.flag(FLAG_CLOSED);
  }

  taskDone(): void {
    if (!this.core.taskDone()) throw tooManyTaskDone();
  }

  join(): Promise<void> {
    return this.core.join();
  }

  joinSync(): void {
    this.core.joinSync();
  }

  describe(context: ShareContext): QueueData {
    if (context.capabilities.sharedMemory) {
      // Other threads will post side-path items to this thread: listen before the ring leaves.
      if (this.core.owner) this.core.hub();
      return { mode: 'ring', buffers: this.core.ring.buffers };
    }
    const pipelined = !this.joinable;
    const id = context.serve(serveQueue(this, pipelined));
    return { mode: 'proxy', ringId: this.ringId, id, maxsize: this.maxsize(), pipelined };
  }
}

/**
 * How many puts a child process may have committed and not yet seen arrive (its window of credits);
 * for a bounded queue, never more than the free slots.
 */
export const PUT_WINDOW = 4096;
/** How long a synchronous call from a child waits for that child's earlier puts to arrive. */
const BARRIER_MS = 30_000;

/**
 * The owner's side of one trip of a queue to another process.
 *
 * Besides plain calls it serves the pipelined puts of {@link PipelinedQueueBackend}: `grant` and
 * `putWait` reserve slots in the ring (credits) for this session; `push` brings a batch of records
 * committed against those credits, which go in whatever happened since (close, or a full queue: their
 * slots were reserved), and gives back credits the child will not use. When the child's connection
 * closes (it died), its outstanding credits are released so that nobody waits for items that will
 * never come.
 */
function serveQueue(backend: LocalQueueBackend, pipelined: boolean): ServedObject {
  const ring = backend.core.ring;
  const pending = new Set<AbortController>();
  /** Credits granted to this session and not yet used or given back. */
  let outstanding = 0;
  /** Items of this session through (records of `push`, `putWait`s), and sync callers waiting for a count. */
  let received = 0;
  const barriers: Array<{ seq: number; resolve: () => void }> = [];
  /** Set while records of this session wait for room (the ring could not grow): later pushes queue. */
  let backlog: Promise<void> | undefined;
  let released = false;

  const withSignal = <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    pending.add(controller);
    return run(controller.signal).finally(() => pending.delete(controller));
  };
  const grant = (): number => {
    if (released) return 0;
    const granted = ring.reserve(PUT_WINDOW - outstanding);
    outstanding += granted;
    return granted;
  };
  const reply = (granted: number): [number, boolean] => [granted, backend.closed()];
  /** One more item of this session is through: `credits` of them used a credit. */
  const processed = (credits: number): void => {
    received += 1;
    outstanding -= credits;
    while (barriers.length > 0 && (barriers[0] as { seq: number }).seq <= received) barriers.shift()?.resolve();
  };
  /** Waits until every record the caller had committed before `seq` is in (ordering of sync calls). */
  const barrier = (seq: unknown): Promise<void> | undefined => {
    if (typeof seq !== 'number' || seq <= received) return undefined;
    return new Promise<void>((resolve, reject) => {
      const entry = { seq, resolve };
      const timer = setTimeout(() => {
        barriers.splice(barriers.indexOf(entry), 1);
        reject(new InvalidStateError(`the earlier puts of this process did not reach the queue within ${BARRIER_MS} ms`));
      }, BARRIER_MS);
      entry.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      barriers.push(entry);
      barriers.sort((a, b) => a.seq - b.seq);
    });
  };
  /** Runs `run` now, or after this session's records that wait for room (keeping its puts in order). */
  const queued = <T>(run: () => T | Promise<T>): T | Promise<T> => {
    const result = backlog ? backlog.then(run) : run();
    if (result instanceof Promise) {
      const mine = result.then(noop, noop);
      backlog = mine;
      void mine.then(() => {
        if (backlog === mine) backlog = undefined;
      });
    }
    return result;
  };
  const after = <T>(wait: Promise<void> | undefined, run: () => T | Promise<T>): T | Promise<T> => (wait ? wait.then(run) : run());

  /** Puts the records of a batch into the ring (reserved slots); a promise only if it had to wait. */
  const insert = (records: Uint8Array, count: number, from = 0, done = 0): Promise<void> | undefined => {
    let pos = from;
    let n = done;
    while (n < count) {
      const length = ((records[pos] as number) | ((records[pos + 1] as number) << 8) | ((records[pos + 2] as number) << 16) | ((records[pos + 3] as number) << 24)) >>> 0;
      const kind = records[pos + 4] as Kind;
      const start = pos + 5;
      const result = ring.tryPut(kind, records.subarray(start, start + length), false, length, true);
      if (result !== OK) {
        // The ring is at its byte limit: wait for room (the slot is ours, the bytes are not yet).
        const resume = pos;
        return waitAsync(ring.h, SPACE, Atomics.load(ring.h, SPACE), 50).then(() => insert(records, count, resume, n));
      }
      pos = start + length;
      n++;
      processed(1);
    }
    return undefined;
  };

  return {
    call(method, args) {
      switch (method) {
        case 'push': {
          // [records, count, want credits, credits given back]
          if (!pipelined) throw new UnsupportedError('this queue proxy does not pipeline puts');
          const [records, count, want, giveBack] = args as [Uint8Array, number, boolean, number];
          const finish = (): [number, boolean] => {
            if (giveBack > 0) {
              const back = Math.min(giveBack, outstanding);
              outstanding -= back;
              ring.unreserve(back);
            }
            return reply(want ? grant() : 0);
          };
          return queued(() => {
            const waiting = insert(records, count);
            return waiting ? waiting.then(finish) : finish();
          });
        }
        case 'putWait':
          // A put that could not be committed (no credits): as 'put', then credits for the next ones.
          return queued(() =>
            withSignal((signal) =>
              backend.put(args[0], { block: args[1] as boolean, timeout: args[2] as number | undefined, signal }),
            ).then(
              () => {
                processed(0);
                return reply(grant());
              },
              (error: unknown) => {
                processed(0);
                throw error;
              },
            ),
          );
        case 'put':
          return after(barrier(args[3]), () =>
            queued(() =>
              withSignal((signal) =>
                backend.put(args[0], { block: args[1] as boolean, timeout: args[2] as number | undefined, signal }),
              ),
            ),
          );
        case 'get':
          return after(barrier(args[2]), () =>
            withSignal((signal) => backend.get({ block: args[0] as boolean, timeout: args[1] as number | undefined, signal })),
          );
        case 'qsize':
          // With the caller's count of committed puts: those still on their way count too.
          return backend.qsize() + (typeof args[0] === 'number' ? Math.max(0, args[0] - received) : 0);
        case 'closed':
          return backend.closed();
        case 'close':
          backend.close();
          return undefined;
        case 'taskDone':
          backend.taskDone();
          return undefined;
        case 'join':
          return backend.join();
        default:
          throw new UnsupportedError(`a queue has no method ${method}`);
      }
    },
    release() {
      // The process holding this proxy is gone: withdraw what it was waiting for, and the slots it held.
      released = true;
      if (outstanding > 0) {
        ring.unreserve(outstanding);
        outstanding = 0;
      }
      if (pending.size === 0) return;
      for (const controller of pending) controller.abort();
      backend.core.wakeAll();
    },
  };
}

/** A put waiting in a child process for credits (or behind another that waits). */
interface PutWaiter {
  readonly item: unknown;
  /** The record to commit, or undefined for an item that must go through the codec (a round trip). */
  readonly packed: Packed | undefined;
  readonly block: boolean;
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A batch is sent once it holds this many records, even while earlier batches are unacknowledged. */
const BATCH_RECORDS = 512;
const RESOLVED: Promise<void> = Promise.resolve();
const isQueueClosed = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'ERR_QUEUE_CLOSED';

/** The record of `item` for a batch, or undefined when it needs the codec of the connection. */
function packForBatch(item: unknown): Packed | undefined {
  let packed: Packed;
  try {
    packed = pack(item, 'item');
  } catch (error) {
    // A proxy to another queue or lock: only the connection's codec can describe it.
    if (UnsupportedError.isInstance(error)) return undefined;
    throw error;
  }
  if (packed.kind === Kind.Side || packed.kind === Kind.V8Codec) return undefined;
  return packed;
}

/**
 * A queue served by another process.
 *
 * Puts are pipelined (when the owner serves this proxy directly): the owner grants credits, slots it
 * reserves for this process; a put with a credit is committed at once (its promise resolves) and its
 * record joins a batch, sent when nothing else is unacknowledged, when the batch fills up, or at the
 * end of this turn of the event loop. A put without credits (the first of a burst, a full bounded
 * queue, an item holding a handle) is a round trip, whose reply brings credits for the next ones.
 * Credits not used by the end of a turn go back, so a process that is idle holds none, and a closed
 * queue's consumers wait only for items really on their way. The owner puts committed records in even
 * after a close (it reserved their slots); the reply to every batch says whether the queue was closed,
 * after which puts here throw `ClosedError`.
 */
/**
 * Proxies whose gathered puts wait for the end of the event-loop turn. Before this thread blocks in a
 * synchronous call (on any object: a lock, a value, another queue), they are sent at once: the turn does not
 * end while the thread blocks, and a peer that waits for those items before it answers would wait for ever.
 * They are sent at once too when the process exits (`process.exit()` right after `await queue.put(x)`): a put
 * that resolved is in the queue, as Python's Queue flushes its buffer before the process ends. (Sending from
 * an `'exit'` listener works because the IPC channel writes to its pipe at once while the pipe has room.)
 */
const gathering = new Set<{ flushBeforeBlocking(): void }>();
let hookRegistered = false;
function flushGathered(): void {
  for (const each of [...gathering]) each.flushBeforeBlocking();
}
function gatherUntilTurnEnds(proxy: { flushBeforeBlocking(): void }): void {
  gathering.add(proxy);
  if (!hookRegistered) {
    hookRegistered = true;
    registerBlockingHook(flushGathered);
    process.on('exit', flushGathered);
  }
}

export class RemoteQueueBackend implements QueueBackend {
  readonly ringId: string;
  readonly #remote: RemoteObjects;
  readonly #id: number;
  readonly #maxsize: number;
  readonly #pipelined: boolean;
  /** Credits: puts this process may commit without asking. */
  #credits = 0;
  #batch: Buffer = Buffer.allocUnsafeSlow(16 * 1024);
  #batchBytes = 0;
  #batchCount = 0;
  /** Items sent to the owner on the async link (records and round-trip puts): the barrier of sync calls. */
  #sent = 0;
  /** Batches sent and not yet answered; those of them that asked for credits. */
  #unacked = 0;
  #asking = 0;
  readonly #waiting: PutWaiter[] = [];
  /** The first waiter's round trip is on its way. */
  #headBusy = false;
  /** Calls to make once the waiting puts are through (close, get...), in order. */
  readonly #afterPuts: Array<() => void> = [];
  /** This process knows the queue is closed, or closed it itself (later puts here throw). */
  #closed = false;
  /** Set by close() while earlier puts still wait: those go through, later ones throw. */
  #closing = false;
  #flushTimer: NodeJS.Immediate | undefined;

  constructor(remote: RemoteObjects, data: Extract<QueueData, { mode: 'proxy' }>) {
    this.#remote = remote;
    this.#id = data.id;
    this.ringId = data.ringId;
    this.#maxsize = data.maxsize;
    this.#pipelined = data.pipelined === true;
  }

  #call(method: string, args: unknown[]): Promise<unknown> {
    return this.#remote.call(this.#id, method, args);
  }

  #callSync(method: string, args: unknown[]): unknown {
    return this.#remote.callSync(this.#id, method, args);
  }

  // ---- pipelined puts ----

  /** Appends a record to the batch against one credit. */
  #commit(packed: Packed): void {
    const bytes = packed.bytes;
    const length = packed.length;
    const need = this.#batchBytes + RECORD_HEADER + length;
    if (need > this.#batch.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(need, this.#batch.length * 2));
      this.#batch.copy(bigger, 0, 0, this.#batchBytes);
      this.#batch = bigger;
    }
    const batch = this.#batch;
    let pos = this.#batchBytes;
    batch[pos] = length & 0xff;
    batch[pos + 1] = (length >>> 8) & 0xff;
    batch[pos + 2] = (length >>> 16) & 0xff;
    batch[pos + 3] = (length >>> 24) & 0xff;
    batch[pos + 4] = packed.kind;
    pos += RECORD_HEADER;
    if (bytes !== undefined) {
      if (length <= 64) for (let i = 0; i < length; i++) batch[pos + i] = bytes[i] as number;
      else batch.set(length === bytes.length ? bytes : bytes.subarray(0, length), pos);
    }
    this.#batchBytes = pos + length;
    this.#batchCount++;
    this.#credits--;
    // Nagle's rule: send at once when nothing is on its way, else gather until the batch is full or
    // this turn of the event loop ends.
    if (this.#unacked === 0 || this.#batchCount >= BATCH_RECORDS) this.#send(true, 0);
    else this.#schedule();
  }

  /** Sends the batch (possibly empty), asking for credits and/or giving some back. */
  #send(ask: boolean, giveBack: number): void {
    const count = this.#batchCount;
    const records = new Uint8Array(this.#batch.subarray(0, this.#batchBytes));
    this.#batchBytes = 0;
    this.#batchCount = 0;
    this.#sent += count;
    this.#unacked++;
    if (ask) this.#asking++;
    keepAliveUntil(this.#call('push', [records, count, ask, giveBack])).then(
      (reply) => {
        const [granted, closed] = reply as [number, boolean];
        this.#unacked--;
        if (ask) this.#asking--;
        this.#credits += granted;
        if (closed) this.#closed = true;
        this.#pump();
        this.#idleCheck();
      },
      () => {
        // The owner is gone (the link closed): so is the queue; nothing more goes through.
        this.#unacked--;
        if (ask) this.#asking--;
        this.#closed = true;
        this.#pump();
      },
    );
  }

  #schedule(): void {
    gatherUntilTurnEnds(this);
    this.#flushTimer ??= setImmediate(() => {
      this.#flushTimer = undefined;
      gathering.delete(this);
      this.#flush();
    });
  }

  /** Called before this thread blocks: sends the gathered puts now (the timer stays, to give back credits). */
  flushBeforeBlocking(): void {
    gathering.delete(this);
    this.#flushNow();
  }

  /** End of a turn: send what was gathered; with no put waiting, give unused credits back. */
  #flush(): void {
    const idle = this.#waiting.length === 0;
    const giveBack = idle ? this.#credits : 0;
    if (this.#batchCount === 0 && giveBack === 0) return;
    this.#credits -= giveBack;
    this.#send(!idle && !this.#headBusy && this.#asking === 0, giveBack);
  }

  #idleCheck(): void {
    if (this.#credits > 0 && this.#waiting.length === 0) this.#schedule();
  }

  /** Serves the waiting puts in order: commits with credits, else one round trip at a time. */
  #pump(): void {
    const waiting = this.#waiting;
    while (waiting.length > 0 && !this.#headBusy) {
      const head = waiting[0] as PutWaiter;
      if (this.#closed && !this.#closing) {
        waiting.shift();
        head.reject(QUEUE_ERRORS.closedOnPut());
        continue;
      }
      if (head.packed !== undefined && this.#credits > 0) {
        waiting.shift();
        this.#commit(head.packed);
        head.resolve();
        continue;
      }
      // Credits are on their way: wait for them rather than ask again.
      if (head.packed !== undefined && this.#asking > 0) return;
      // A round trip; what was committed goes first (the link keeps the order).
      this.#flushNow();
      this.#headBusy = true;
      this.#sent++;
      const remaining = head.deadline === Number.POSITIVE_INFINITY ? undefined : Math.max(0, head.deadline - Date.now());
      keepAliveUntil(this.#call('putWait', [head.item, head.block, remaining])).then(
        (reply) => {
          const [granted, closed] = reply as [number, boolean];
          waiting.shift();
          this.#headBusy = false;
          this.#credits += granted;
          if (closed) this.#closed = true;
          head.resolve();
          this.#pump();
          this.#idleCheck();
        },
        (error: unknown) => {
          waiting.shift();
          this.#headBusy = false;
          if (isQueueClosed(error)) this.#closed = true;
          head.reject(error);
          this.#pump();
        },
      );
      return;
    }
    if (waiting.length === 0 && !this.#headBusy && this.#afterPuts.length > 0) {
      for (const run of this.#afterPuts.splice(0)) run();
    }
  }

  /** Runs `run` after every put made before it is through (it keeps its place in this process's order). */
  #inOrder<T>(run: () => Promise<T>): Promise<T> {
    if (this.#waiting.length === 0 && !this.#headBusy) {
      this.#flushNow();
      return run();
    }
    return new Promise<T>((resolve, reject) => {
      this.#afterPuts.push(() => {
        this.#flushNow();
        run().then(resolve, reject);
      });
    });
  }

  /** Sends the gathered batch now (before another call, so that the owner sees the puts first). */
  #flushNow(): void {
    if (this.#batchCount > 0) this.#send(false, 0);
  }

  /**
   * Before a blocking call: sends the batch and makes the puts still waiting here one by one (blocking),
   * so that the call comes after them. Returns the barrier the owner waits for.
   */
  #settleSync(): number {
    this.#flushNow();
    const waiting = this.#waiting;
    // The head's round trip is already on its way (counted in #sent): the others follow it here.
    const from = this.#headBusy ? 1 : 0;
    while (waiting.length > from) {
      const waiter = waiting.splice(from, 1)[0] as PutWaiter;
      if (this.#closed && !this.#closing) {
        waiter.reject(QUEUE_ERRORS.closedOnPut());
        continue;
      }
      try {
        const remaining = waiter.deadline === Number.POSITIVE_INFINITY ? undefined : Math.max(0, waiter.deadline - Date.now());
        this.#callSync('put', [waiter.item, waiter.block, remaining, this.#sent]);
        waiter.resolve();
      } catch (error) {
        if (isQueueClosed(error)) this.#closed = true;
        waiter.reject(error);
      }
    }
    return this.#sent;
  }

  put(item: unknown, options: WaitOptions): Promise<void> {
    if (!this.#pipelined) return keepAliveUntil(this.#call('put', [item, options.block !== false, options.timeout])) as Promise<void>;
    let packed: Packed | undefined;
    let deadline: number;
    try {
      const timeout = checkTimeout(options.timeout);
      if (this.#closed) throw QUEUE_ERRORS.closedOnPut();
      packed = packForBatch(item);
      if (packed !== undefined && this.#credits > 0 && this.#waiting.length === 0) {
        this.#commit(packed);
        return RESOLVED;
      }
      if (packed !== undefined) packed = keepPacked(packed);
      deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout;
    } catch (error) {
      return Promise.reject(error);
    }
    return keepAliveUntil(
      new Promise<void>((resolve, reject) => {
        this.#waiting.push({ item, packed, block: options.block !== false, deadline, resolve, reject });
        this.#pump();
      }),
    );
  }

  putSync(item: unknown, options: WaitOptions): void {
    if (!this.#pipelined) {
      this.#callSync('put', [item, options.block !== false, options.timeout]);
      return;
    }
    const timeout = checkTimeout(options.timeout);
    if (this.#closed) throw QUEUE_ERRORS.closedOnPut();
    const packed = packForBatch(item);
    const barrier = this.#settleSync();
    if (this.#closed) throw QUEUE_ERRORS.closedOnPut();
    if (packed !== undefined && this.#credits > 0 && !this.#headBusy) {
      this.#commit(packed);
      this.#flushNow();
      return;
    }
    try {
      this.#callSync('put', [item, options.block !== false, timeout, barrier]);
    } catch (error) {
      if (isQueueClosed(error)) this.#closed = true;
      throw error;
    }
  }

  get(options: WaitOptions): Promise<unknown> {
    if (!this.#pipelined) return this.#call('get', [options.block !== false, options.timeout]);
    return this.#inOrder(() => this.#call('get', [options.block !== false, options.timeout]));
  }

  getSync(options: WaitOptions): unknown {
    if (!this.#pipelined) return this.#callSync('get', [options.block !== false, options.timeout]);
    return this.#callSync('get', [options.block !== false, options.timeout, this.#settleSync()]);
  }

  next(): Promise<IteratorResult<unknown>> {
    return this.get({}).then(
      (value) => ({ value, done: false }),
      async (error: unknown) => {
        if (isQueueClosed(error) && (await this.#call('closed', []))) {
          return { value: undefined, done: true };
        }
        throw error;
      },
    );
  }

  qsize(): number {
    if (!this.#pipelined) return this.#callSync('qsize', []) as number;
    // The owner adds what this process committed that has not arrived yet.
    this.#flushNow();
    return this.#callSync('qsize', [this.#sent]) as number;
  }

  maxsize(): number {
    return this.#maxsize;
  }

  close(): void {
    const send = (): Promise<void> => {
      keepAliveUntil(this.#call('close', [])).catch(() => {
        // The owner is gone: so is the queue.
      });
      return RESOLVED;
    };
    if (!this.#pipelined) {
      void send();
      return;
    }
    // Puts made before close() still go in; later ones throw at once.
    this.#closing = this.#waiting.length > 0 || this.#headBusy;
    this.#closed = true;
    void this.#inOrder(() => {
      this.#closing = false;
      return send();
    });
  }

  closed(): boolean {
    // Closed here (by this process, or as the owner told it) stays closed.
    if (this.#closed) return true;
    return this.#callSync('closed', []) as boolean;
  }

  taskDone(): void {
    this.#callSync('taskDone', []);
  }

  join(): Promise<void> {
    return this.#call('join', []) as Promise<void>;
  }

  joinSync(): void {
    this.#callSync('join', []);
  }

  describe(context: ShareContext): QueueData {
    // A proxy travelling on: serve a forwarder, so the next holder reaches the owner through this
    // process. Its puts go through this process's pipeline (credits belong to one process).
    this.#flushNow();
    const forward: ServedObject = {
      call: (method, args) =>
        method === 'put'
          ? this.put(args[0], { block: args[1] as boolean, timeout: args[2] as number | undefined })
          : this.#call(method, [...args]),
    };
    return { mode: 'proxy', ringId: this.ringId, id: context.serve(forward), maxsize: this.#maxsize };
  }
}

/** Handles revived in this thread, by ring id: a queue that comes back is the same object. */
const live = new Map<string, WeakRef<object>>();
const forget = new FinalizationRegistry<string>((id) => {
  const ref = live.get(id);
  if (ref && ref.deref() === undefined) live.delete(id);
});

/** Records `handle` as this thread's object for `ringId`. */
export function remember(ringId: string, handle: object): void {
  live.set(ringId, new WeakRef(handle));
  forget.register(handle, ringId);
}

/** This thread's object for `ringId`, if it has one. */
export function recall(ringId: string): object | undefined {
  return live.get(ringId)?.deref();
}

/** Builds the backend for revived queue data. */
export function reviveBackend(data: QueueData, remote: RemoteObjects | undefined, joinable: boolean, holder: object): QueueBackend {
  if (data.mode === 'ring') return new LocalQueueBackend(Ring.open(data.buffers), false, joinable, holder);
  if (!remote) throw new UnsupportedError('a queue proxy arrived without a connection to its owner');
  return new RemoteQueueBackend(remote, data);
}

let pendingBackend: ((holder: object) => QueueBackend) | undefined;

/** @internal Constructors of queue classes call this: a backend being revived, or undefined for a new queue. */
export function takePendingBackend(holder: object): QueueBackend | undefined {
  const make = pendingBackend;
  pendingBackend = undefined;
  return make?.(holder);
}

const kinds = new Map<string, new () => object>();

/** @internal Each queue class registers itself under the kind its descriptors carry. */
export function registerQueueKind(kind: string, ctor: new () => object): void {
  kinds.set(kind, ctor);
}

/** @internal Revives a queue descriptor as the right class, reusing this thread's object for it. */
export function reviveQueueHandle(data: QueueData & { kind: string }, remote: RemoteObjects | undefined): object {
  const existing = recall(data.mode === 'ring' ? data.buffers.id : data.ringId);
  if (existing) {
    if (data.mode === 'proxy') remote?.hold(data.id, existing);
    return existing;
  }
  const ctor = kinds.get(data.kind);
  if (!ctor) throw new UnsupportedError(`unknown queue kind ${data.kind}`);
  pendingBackend = (holder) => reviveBackend(data, remote, data.kind === 'joinable', holder);
  try {
    const handle = new ctor();
    if (data.mode === 'proxy') remote?.hold(data.id, handle);
    return handle;
  } finally {
    pendingBackend = undefined;
  }
}
