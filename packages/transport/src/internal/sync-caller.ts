/**
 * Synchronous calls to served objects, for code that must block (`lock.acquireSync()`, `value.value` in
 * a child process): synckit's pattern. The calling thread hands the call to a helper thread and blocks on
 * `Atomics.wait`; the helper, whose event loop is free, makes the call over a socket to the owner's share
 * endpoint and wakes the caller, who reads the reply with `receiveMessageOnPort`. One helper per calling
 * thread, started on first use and unref'd, so it never keeps Node.js alive.
 *
 * The handshake does not trust the wake-up alone. Every request carries a sequence number and every reply
 * echoes it; the helper bumps a reply counter only after the reply is posted, and the caller waits on
 * that counter, reading replies until the one with its number arrives (a reply to an earlier call that
 * gave up is dropped, one for another call of this thread that still waits is kept for it; neither is
 * taken for this one). The helper marks its exit in shared memory, so a caller blocked on a helper that
 * died gets an error instead of waiting for ever; the next call starts a new helper. Whether this thread
 * may block is checked before anything is sent, so a call that cannot wait never runs at the owner.
 */
import type { MessagePort } from 'node:worker_threads';
import { decode } from '../codec.js';
import { ClosedError, UnsupportedError } from '../errors.js';

// Built-ins come from process.getBuiltinModule, not `import`: an ESM import of a built-in builds a module
// wrapper of all its exports, which every new worker pays for at start.
const { MessageChannel, receiveMessageOnPort, Worker } = process.getBuiltinModule('node:worker_threads');
type Worker = import('node:worker_threads').Worker;

/** Int32 slots of the shared control block (also read by sync-helper.ts). */
export const REPLIES = 0;
export const STATE = 1;
export const WITHDRAWN = 2;
export const CONTROL_INTS = 3;
/** Values of the STATE slot. */
export const STARTING = 0;
export const READY = 1;
export const EXITED = 2;

/** How long a caller waits for a new helper thread to come up before it gives up on it. */
const START_TIMEOUT_MS = 60_000;
/** How often a blocked caller looks again at the helper's state while it waits (a safety net). */
const WAIT_SLICE_MS = 1_000;

interface Helper {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly control: Int32Array;
  /** The sequence number of the last request sent. */
  seq: number;
  /** Calls of this thread still waiting (more than one only if a call was made while another one was being sent). */
  readonly waiting: Set<number>;
  /** Replies read by one call that belong to another call still waiting. */
  readonly stashed: Map<number, Reply>;
}

let helper: Helper | undefined;
let blockingChecked = false;

function checkCanBlock(): void {
  if (blockingChecked) return;
  try {
    // Throws where the agent cannot block, before the value is compared: nothing waits here.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch (error) {
    throw new UnsupportedError(
      'this thread cannot block (Atomics.wait is not allowed here); use the async method instead of the ...Sync one',
      { cause: error },
    );
  }
  blockingChecked = true;
}

function startHelper(): Helper {
  const { port1, port2 } = new MessageChannel();
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(new URL('./sync-helper.js', import.meta.url), {
    workerData: { port: port2, control },
    transferList: [port2],
    stdout: false,
    stderr: false,
  });
  worker.unref();
  port1.unref();
  const created: Helper = { worker, port: port1, control, seq: 0, waiting: new Set(), stashed: new Map() };
  const forget = (): void => {
    if (helper === created) helper = undefined;
  };
  worker.on('error', forget);
  worker.on('exit', forget);
  return created;
}

/** The reply the helper sends: `[seq, ok, value, special]`. */
type Reply = [seq: number, ok: boolean, value: unknown, special: boolean];

function settle(reply: Reply): unknown {
  const [, ok, value, special] = reply;
  const result = special ? decode(value) : value;
  if (!ok) throw result;
  return result;
}

/**
 * Calls `method` on the object `id` served at `endpoint`, blocking this thread until the reply.
 * @throws the owner's error (revived); {@link UnsupportedError} where this thread cannot block;
 *   {@link ClosedError} when the helper thread exits (or never starts) before it replies.
 */
export function callSync(endpoint: string, id: number, method: string, args: readonly unknown[]): unknown {
  checkCanBlock();
  runBlockingHooks();
  if (helper && Atomics.load(helper.control, STATE) === EXITED) helper = undefined;
  helper ??= startHelper();
  const current = helper;
  const seq = ++current.seq;
  current.waiting.add(seq);
  try {
    current.port.postMessage([seq, endpoint, id, method, args]);
    return settle(awaitReply(current, seq, method));
  } finally {
    current.waiting.delete(seq);
    current.stashed.delete(seq);
  }
}

/** Blocks until the reply to request `seq` is on the port (or the helper is gone). */
function awaitReply(current: Helper, seq: number, method: string): Reply {
  const { port, control, stashed } = current;
  const started = Date.now();
  for (;;) {
    const early = stashed.get(seq);
    if (early !== undefined) {
      stashed.delete(seq);
      return early;
    }
    // Read the counter before looking for replies: a reply posted after the look bumps it, so the wait
    // below cannot miss it.
    const replies = Atomics.load(control, REPLIES);
    for (let received = receiveMessageOnPort(port); received !== undefined; received = receiveMessageOnPort(port)) {
      const reply = received.message as Reply;
      if (reply[0] === seq) return reply;
      // The reply to another call of this thread that still waits: keep it for that call. Anything else
      // is the late reply to an earlier call that gave up: drop it.
      if (current.waiting.has(reply[0])) stashed.set(reply[0], reply);
    }
    const state = Atomics.load(control, STATE);
    if (state === EXITED) {
      if (helper === current) helper = undefined;
      throw new ClosedError(`the sync-call helper thread exited before it replied to ${method}()`);
    }
    if (state === STARTING && Date.now() - started > START_TIMEOUT_MS) {
      // Withdraw the request, so that a helper that comes up late does not run it for nobody.
      Atomics.store(control, WITHDRAWN, seq);
      if (helper === current) helper = undefined;
      void current.worker.terminate();
      throw new ClosedError(`the sync-call helper thread did not start within ${START_TIMEOUT_MS / 1000} s`);
    }
    Atomics.wait(control, REPLIES, replies, WAIT_SLICE_MS);
  }
}

type BlockingHook = () => void;
const HOOKS = Symbol.for('multiproc.blockingHooks');
// On globalThis, so that two copies of this package (two install paths) share one list.
const blockingHooks: Set<BlockingHook> = ((globalThis as { [HOOKS]?: Set<BlockingHook> })[HOOKS] ??= new Set());

/** Runs the hooks registered with {@link registerBlockingHook}; a hook that throws does not stop the others. */
export function runBlockingHooks(): void {
  if (blockingHooks.size === 0) return;
  for (const hook of blockingHooks) {
    try {
      hook();
    } catch (error) {
      process.emitWarning(`multiproc: a blocking hook failed: ${String(error)}`);
    }
  }
}

/**
 * Registers `hook` to run just before this thread blocks in a synchronous proxy call (`lock.acquireSync()`,
 * `value.value`, `queue.getSync()` in a child process). A component that gathers messages to send at the end
 * of the event-loop turn registers a hook that sends them at once: while the thread blocks, the turn does not
 * end, and a peer that waits for those messages before it answers would otherwise never get them.
 *
 * @param hook - a synchronous function; keep it short.
 * @returns a function that unregisters the hook.
 * @example
 * ```ts
 * import { registerBlockingHook } from '@multiproc/transport';
 * const pending: string[] = [];
 * const unregister = registerBlockingHook(() => {
 *   if (pending.length > 0) console.log('flushing', pending.splice(0).length, 'messages');
 * });
 * unregister();
 * ```
 */
export function registerBlockingHook(hook: () => void): () => void {
  blockingHooks.add(hook);
  return () => {
    blockingHooks.delete(hook);
  };
}
