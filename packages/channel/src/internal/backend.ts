/**
 * The two ways a queue works, behind one interface: over a ring in shared memory (the process that
 * created it, and its worker threads), or as a proxy whose every call goes to the owning process
 * (child processes: Manager-style, through the share channel of the connection it arrived on). The
 * owner serves each trip of a queue as its own session, so that when the process holding a proxy dies
 * (its connection closes), the session's pending gets are withdrawn instead of swallowing items.
 */
import {
  InvalidStateError,
  UnsupportedError,
  type RemoteObjects,
  type ServedObject,
  type ShareContext,
} from '@multiproc/transport';
import { LocalCore, QUEUE_ERRORS, type WaitOptions } from './local.js';
import { holdWhile } from './keep-alive.js';
import { FLAG_CLOSED, Ring, type RingBuffers } from './ring.js';

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
  | { readonly mode: 'proxy'; readonly ringId: string; readonly id: number; readonly maxsize: number };

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
    return { mode: 'proxy', ringId: this.ringId, id: context.serve(serveQueue(this)), maxsize: this.maxsize() };
  }
}

/** The owner's side of one trip of a queue to another process. */
function serveQueue(backend: LocalQueueBackend): ServedObject {
  const pending = new Set<AbortController>();
  const withSignal = <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    pending.add(controller);
    return run(controller.signal).finally(() => pending.delete(controller));
  };
  return {
    call(method, args) {
      switch (method) {
        case 'put':
          return withSignal((signal) =>
            backend.put(args[0], { block: args[1] as boolean, timeout: args[2] as number | undefined, signal }),
          );
        case 'get':
          return withSignal((signal) => backend.get({ block: args[0] as boolean, timeout: args[1] as number | undefined, signal }));
        case 'qsize':
          return backend.qsize();
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
      // The process holding this proxy is gone: withdraw what it was waiting for.
      if (pending.size === 0) return;
      for (const controller of pending) controller.abort();
      backend.core.wakeAll();
    },
  };
}

/** A queue served by another process. */
export class RemoteQueueBackend implements QueueBackend {
  readonly ringId: string;
  readonly #remote: RemoteObjects;
  readonly #id: number;
  readonly #maxsize: number;

  constructor(remote: RemoteObjects, data: Extract<QueueData, { mode: 'proxy' }>) {
    this.#remote = remote;
    this.#id = data.id;
    this.ringId = data.ringId;
    this.#maxsize = data.maxsize;
  }

  #call(method: string, args: unknown[]): Promise<unknown> {
    return this.#remote.call(this.#id, method, args);
  }

  #callSync(method: string, args: unknown[]): unknown {
    return this.#remote.callSync(this.#id, method, args);
  }

  put(item: unknown, options: WaitOptions): Promise<void> {
    return holdWhile(this.#call('put', [item, options.block !== false, options.timeout])) as Promise<void>;
  }

  putSync(item: unknown, options: WaitOptions): void {
    this.#callSync('put', [item, options.block !== false, options.timeout]);
  }

  get(options: WaitOptions): Promise<unknown> {
    return this.#call('get', [options.block !== false, options.timeout]);
  }

  getSync(options: WaitOptions): unknown {
    return this.#callSync('get', [options.block !== false, options.timeout]);
  }

  next(): Promise<IteratorResult<unknown>> {
    return this.get({}).then(
      (value) => ({ value, done: false }),
      async (error: unknown) => {
        if ((error as { code?: unknown } | null)?.code === 'ERR_QUEUE_CLOSED' && (await this.#call('closed', []))) {
          return { value: undefined, done: true };
        }
        throw error;
      },
    );
  }

  qsize(): number {
    return this.#callSync('qsize', []) as number;
  }

  maxsize(): number {
    return this.#maxsize;
  }

  close(): void {
    holdWhile(this.#call('close', [])).catch(() => {
      // The owner is gone: so is the queue.
    });
  }

  closed(): boolean {
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
    // A proxy travelling on: serve a forwarder, so the next holder reaches the owner through this process.
    const forward: ServedObject = { call: (method, args) => this.#call(method, [...args]) };
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
