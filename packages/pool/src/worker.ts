/**
 * The worker side of a Pool: a task (defined with defineTasks, so a worker can import it by URL) that
 * runs the initializer, then executes the task batches the pool sends, one task at a time as Python's
 * workers do, and sends the results back in batches.
 *
 * @packageDocumentation
 */
import { CHANNELS } from '@multiproc/transport';
import { defineTasks, parentConnection, resolveTask, type TaskDescriptor } from '@multiproc/process';
import {
  KIND_APPLY,
  KIND_MAP,
  MIN_PACKED_ITEMS,
  type FromWorker,
  type TaskKind,
  type ToWorker,
  type WireResults,
  type WorkerConfig,
} from './internal/protocol.js';
import { SpinBackoff } from './internal/spin-backoff.js';

/** Results are sent when this many are waiting, or when this much time passed since the last send. */
const MAX_RESULTS_PER_MESSAGE = 4096;
const MAX_RESULT_DELAY_MS = 1;
/**
 * When its queue runs dry, a thread worker polls its port this long for the next tasks before it goes back
 * to the event loop to sleep: a caller that awaits one short task at a time sends the next one within
 * microseconds, and finding it by polling saves waking a sleeping thread (tens of microseconds here). Long
 * enough to cover the caller being woken once (so one slow call does not make the next slow too), brief
 * enough that an idle pool costs nothing.
 */
const SPIN_MS = 0.1;
/** A primitive other than a symbol: a result the codec need not walk. */
function isPlainPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');
}

/** The first `count` numbers of `packed` as a packed array. */
function unpackFirst(packed: Float64Array, count: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) out.push(packed[i]);
  return out;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

async function poolWorker(config: WorkerConfig): Promise<void> {
  const connection = parentConnection();
  if (!connection) throw new Error('the pool worker loop runs only inside a pool worker');
  // `plain`: every value in the message is a primitive (or an array of them), so the codec's walk is skipped.
  const send = (message: FromWorker, plain = false, transfer?: ArrayBuffer[]): void =>
    connection.send(CHANNELS.pool, message, transfer ? { path: 'result', plain, transfer } : { path: 'result', plain });

  if (config.initializer) {
    try {
      const init = await resolveTask(config.initializer);
      await init(...config.initArgs);
    } catch (error) {
      send(['initFailed', error]);
      return;
    }
  }

  const descriptors = new Map<number, TaskDescriptor>();
  const functions = new Map<number, (...args: unknown[]) => unknown>();
  const started = config.started ? new Int32Array(config.started) : undefined;
  let startedCount = 0;
  /** Flat, three slots a task, as received. */
  const queue: unknown[] = [];
  let head = 0;
  let results: WireResults = [];
  /** Every value in `results` is a primitive or an array of primitives. */
  let resultsPlain = true;
  /** The buffers of the packed map results in `results`: they move to the parent instead of being copied. */
  let resultsTransfer: ArrayBuffer[] | undefined;
  let busyMs = 0;
  /** Results sent so far: the position of the next one among all the tasks this worker received. */
  let resultsSent = 0;
  let lastFlush = performance.now();
  let running = false;
  let exiting = false;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const flush = (): void => {
    lastFlush = now;
    if (results.length === 0) return;
    const batch = results;
    const plain = resultsPlain;
    const transfer = resultsTransfer;
    results = [];
    resultsPlain = true;
    resultsTransfer = undefined;
    const busy = busyMs;
    busyMs = 0;
    const first = resultsSent;
    resultsSent += batch.length / 2;
    try {
      send(['results', first, batch, busy], plain, transfer);
    } catch (error) {
      // A result that cannot be sent (not cloneable): send each alone, the bad ones as errors.
      void error;
      for (let i = 0; i < batch.length; i += 2) {
        try {
          send(['results', first + i / 2, [batch[i], batch[i + 1]], 0]);
        } catch (sendError) {
          send(['results', first + i / 2, [0, sendError], 0]);
        }
      }
    }
  };

  // Best effort: results finished just before the worker is made to exit still reach the parent.
  process.once('exit', flush);

  const functionFor = async (fnId: number): Promise<(...args: unknown[]) => unknown> => {
    const known = functions.get(fnId);
    if (known) return known;
    const descriptor = descriptors.get(fnId);
    if (!descriptor) throw new Error(`pool protocol: unknown function #${fnId}`);
    const fn = await resolveTask(descriptor);
    functions.set(fnId, fn);
    return fn;
  };

  // Time is read once per task: `now` is when the last task ended (or the loop resumed).
  let now = performance.now();
  const settle = (ok: 0 | 1, value: unknown, t0: number, plain: boolean): void => {
    results.push(ok, value);
    if (!plain) resultsPlain = false;
    now = performance.now();
    busyMs += now - t0;
  };

  const finishChunk = async (
    fn: (...args: unknown[]) => unknown,
    kind: number,
    items: unknown[],
    out: unknown[],
    from: number,
    pending: PromiseLike<unknown>,
  ): Promise<unknown[]> => {
    out.push(await pending);
    for (let i = from + 1; i < items.length; i++) {
      const item = kind === KIND_MAP ? fn(items[i]) : fn(...(items[i] as unknown[]));
      out.push(isThenable(item) ? await item : item);
    }
    return out;
  };

  /** Runs one task; returns a promise only when the task (or loading its function) is asynchronous. */
  const runOne = (fnId: number, kind: TaskKind, payload: unknown): Promise<void> | undefined => {
    const fn = functions.get(fnId);
    if (!fn) {
      return functionFor(fnId).then(
        () => runOne(fnId, kind, payload),
        (error: unknown) => settle(0, error, performance.now(), false),
      );
    }
    const t0 = now;
    try {
      if (kind === KIND_APPLY) {
        const value = fn(...(payload as unknown[]));
        if (isThenable(value)) {
          flush();
          return Promise.resolve(value).then(
            (resolved) => settle(1, resolved, t0, isPlainPrimitive(resolved)),
            (error: unknown) => settle(0, error, t0, false),
          );
        }
        settle(1, value, t0, isPlainPrimitive(value));
        return undefined;
      }
      const items = payload as unknown[];
      // Results are written straight into a Float64Array while they are all numbers (then its bytes move to
      // the parent instead of being cloned one by one); at the first other value they go on in an array,
      // built with push so that it stays packed: V8 serializes packed arrays many times faster.
      let packed: Float64Array | undefined = items.length >= MIN_PACKED_ITEMS ? new Float64Array(items.length) : undefined;
      let out: unknown[] = [];
      let plain = true;
      for (let i = 0; i < items.length; i++) {
        const item = kind === KIND_MAP ? fn(items[i]) : fn(...(items[i] as unknown[]));
        if (packed !== undefined) {
          if (typeof item === 'number') {
            packed[i] = item;
            continue;
          }
          out = unpackFirst(packed, i);
          packed = undefined;
        }
        if (isThenable(item)) {
          flush();
          return finishChunk(fn, kind, items, out, i, item).then(
            (done) => settle(1, done, t0, false),
            (error: unknown) => settle(0, error, t0, false),
          );
        }
        if (plain && item !== null && (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol')) plain = false;
        out.push(item);
      }
      if (packed !== undefined) {
        (resultsTransfer ??= []).push(packed.buffer as ArrayBuffer);
        settle(1, packed, t0, true);
        return undefined;
      }
      settle(1, out, t0, plain);
    } catch (error) {
      settle(0, error, t0, false);
    }
    return undefined;
  };

  const canPoll = config.spin && connection.canPoll;
  const backoff = new SpinBackoff();
  /** Polls the port for more tasks for up to SPIN_MS; true when some arrived. */
  const spin = (): boolean => {
    if (!backoff.shouldSpin()) return false;
    const until = performance.now() + SPIN_MS;
    while (!exiting && !connection.closed) {
      if (connection.poll() && head < queue.length) {
        backoff.hit();
        return true;
      }
      if (performance.now() >= until) break;
    }
    backoff.miss();
    return false;
  };

  const drain = async (): Promise<void> => {
    running = true;
    do {
      now = performance.now();
      while (head < queue.length) {
        const payload = queue[head + 2];
        queue[head + 2] = undefined;
        head += 3;
        if (started) Atomics.store(started, 0, ++startedCount);
        const pending = runOne(queue[head - 3] as number, queue[head - 2] as TaskKind, payload);
        if (pending) {
          await pending;
          now = performance.now();
        }
        if (config.flushEachResult || results.length >= 2 * MAX_RESULTS_PER_MESSAGE || now - lastFlush >= MAX_RESULT_DELAY_MS) {
          flush();
        }
      }
      queue.length = 0;
      head = 0;
      flush();
    } while (canPoll && spin());
    running = false;
    if (exiting) finish();
  };

  connection.onMessage(CHANNELS.pool, (message) => {
    const msg = message as ToWorker;
    switch (msg[0]) {
      case 'tasks': {
        for (const [fnId, descriptor] of msg[2]) descriptors.set(fnId, descriptor);
        const flat = msg[1];
        if (head === queue.length) {
          queue.length = 0;
          head = 0;
        }
        for (let i = 0; i < flat.length; i++) queue.push(flat[i]);
        if (!running) void drain();
        return;
      }
      case 'define':
        descriptors.set(msg[1], msg[2]);
        return;
      case 'exit':
        exiting = true;
        if (!running) finish();
        return;
    }
  });
  send(['ready']);
  await finished;
  process.removeListener('exit', flush);
}

/** The pool's worker loop, by reference. @internal */
export const poolWorkerTasks = defineTasks(import.meta.url, { poolWorker });
