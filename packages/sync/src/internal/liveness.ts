/**
 * The liveness registry behind abandoned-lock detection (robust mutexes).
 *
 * A lock stores who holds it as a 31-bit *holder token* in its SharedArrayBuffer. A token names an entry of
 * a liveness table, itself a SharedArrayBuffer shared by every thread of the process:
 *
 * ```
 * entry = [state, generation, threadId, pid]      token = (generation << 13) | (slot + 1)
 * state: 0 free, 1 being claimed, 2 a live thread of this process, 3 a holder in another process, 4 dead
 * ```
 *
 * - Each thread claims one entry (state 2) the first time it uses a lock of that table.
 * - A thread's death is seen by the thread that created it: at load, this module listens to
 *   `process.on('worker')` and to each new Worker's `'exit'` event (which fires on `terminate()`, on an
 *   uncaught error, on a pool recycling a timed-out worker), and marks that thread's entries dead (state 4).
 *   A terminated thread runs no code of its own, so it cannot do this itself.
 * - A holder in a child process (a proxy acting through its owner) gets a state-3 entry with its pid; it is
 *   dead once `process.kill(pid, 0)` fails (Node reaps its children promptly).
 * - A dead entry is reused with the next generation, so an old token never matches a new holder.
 *
 * Waiters park in slices ({@link SLICE_MS}); after each slice they check the holder's token, and the one
 * that finds it dead takes the lock back (compare-and-swap) and is told with `AbandonedLockError`.
 *
 * The table of the process is handed to worker threads through `worker_threads.setEnvironmentData` (every
 * Worker created afterwards inherits it); descriptors of locks carry their table too, so a lock always
 * interprets tokens against the table it was created with.
 *
 * Limits: the death of a thread is noticed by its creating thread's event loop, so it takes effect when that
 * thread is not itself blocked (a main thread stuck in `acquireSync` on a lock held by its own dead worker
 * waits forever, as it would without this registry); threads whose creator did not load this module are not
 * watched. A thread inside a child process that acts through a proxy counts as alive while its process is.
 */
import { getEnvironmentData, setEnvironmentData, threadId, type Worker } from 'node:worker_threads';

const KEY = 'multiproc.sync.liveness';
const HEADER = 4;
const ENTRY = 4;
const SLOTS = 8191;
const SLOT_BITS = 13;
const GEN_MASK = 0x3ffff;

const FREE = 0;
const CLAIMING = 1;
const THREAD = 2;
const REMOTE = 3;
const DEAD = 4;

/** How long a waiter parks before it checks on the holder again, in milliseconds. */
export const SLICE_MS = 100;

/** One liveness table and this thread's entries in it. */
export interface LivenessTable {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
  readonly view: Int32Array;
  /** This thread's token in the table (0 until claimed). */
  token: number;
  /** Tokens of holders in other processes, by `pid:threadId`. */
  readonly remote: Map<string, number>;
}

interface Registry {
  tables: Map<number, LivenessTable>;
  local: LivenessTable | undefined;
  watching: boolean;
}

const GLOBAL = Symbol.for('multiproc.sync.liveness');
// Shared through globalThis so that two copies of the package in one thread agree.
const registry: Registry = ((globalThis as { [GLOBAL]?: Registry })[GLOBAL] ??= { tables: new Map(), local: undefined, watching: false });

/** Adopts a table buffer (one created here or received in a descriptor). */
export function adoptTable(buffer: SharedArrayBuffer): LivenessTable {
  const view = new Int32Array(buffer);
  const id = Atomics.load(view, 0);
  let table = registry.tables.get(id);
  if (!table) {
    table = { id, buffer, view, token: 0, remote: new Map() };
    registry.tables.set(id, table);
  }
  return table;
}

/** The liveness table of this process (inherited from the creating thread, or created here). */
export function localTable(): LivenessTable {
  if (registry.local) return registry.local;
  let buffer = getEnvironmentData(KEY) as SharedArrayBuffer | undefined;
  if (!(buffer instanceof SharedArrayBuffer)) {
    buffer = new SharedArrayBuffer((HEADER + SLOTS * ENTRY) * 4);
    const view = new Int32Array(buffer);
    // A random, non-zero table id.
    Atomics.store(view, 0, ((Math.random() * 0x7ffffffe) | 0) + 1);
    setEnvironmentData(KEY, buffer);
  }
  registry.local = adoptTable(buffer);
  return registry.local;
}

function claim(table: LivenessTable, state: number, tid: number, pid: number): number {
  const view = table.view;
  for (let slot = 0; slot < SLOTS; slot++) {
    const base = HEADER + slot * ENTRY;
    const current = Atomics.load(view, base);
    if (current !== FREE && current !== DEAD) continue;
    if (Atomics.compareExchange(view, base, current, CLAIMING) !== current) continue;
    const generation = (Atomics.add(view, base + 1, 1) + 1) & GEN_MASK;
    Atomics.store(view, base + 2, tid);
    Atomics.store(view, base + 3, pid);
    Atomics.store(view, base, state);
    return (generation << SLOT_BITS) | (slot + 1);
  }
  // The table is full (over 8191 live holders): fall back to a token that is never reported dead.
  return 0x7fffffff;
}

/** This thread's holder token in `table`, claiming an entry on first use. */
export function threadToken(table: LivenessTable): number {
  if (table.token === 0) table.token = claim(table, THREAD, threadId, process.pid);
  return table.token;
}

/** The holder token of a thread of another process, acting through this process's served object. */
export function remoteToken(table: LivenessTable, pid: number, tid: number): number {
  const key = `${pid}:${tid}`;
  const known = table.remote.get(key);
  if (known !== undefined && isAlive(table, known)) return known;
  const token = claim(table, REMOTE, tid, pid);
  table.remote.set(key, token);
  return token;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the holder `token` of `table` is alive. Unknown tokens count as alive (never a false alarm). */
export function isAlive(table: LivenessTable, token: number): boolean {
  const slot = (token & ((1 << SLOT_BITS) - 1)) - 1;
  if (slot < 0 || slot >= SLOTS) return true;
  const base = HEADER + slot * ENTRY;
  const view = table.view;
  const state = Atomics.load(view, base);
  const generation = Atomics.load(view, base + 1) & GEN_MASK;
  if (generation !== token >>> SLOT_BITS) return false;
  if (state === THREAD) return true;
  if (state === REMOTE) {
    const pid = Atomics.load(view, base + 3);
    if (pidAlive(pid)) return true;
    Atomics.compareExchange(view, base, REMOTE, DEAD);
    return false;
  }
  return state === CLAIMING;
}

/** A description of the holder `token` for error messages, e.g. `thread 3 of process 4242`. */
export function describeHolder(table: LivenessTable, token: number): string {
  const slot = (token & ((1 << SLOT_BITS) - 1)) - 1;
  if (slot < 0 || slot >= SLOTS) return 'an unknown holder';
  const base = HEADER + slot * ENTRY;
  const tid = Atomics.load(table.view, base + 2);
  const pid = Atomics.load(table.view, base + 3);
  return tid === 0 ? `the main thread of process ${pid}` : `thread ${tid} of process ${pid}`;
}

/** Marks every entry of thread `tid` of this process dead, in every table this thread knows. */
export function markThreadDead(tid: number): void {
  const pid = process.pid;
  for (const table of registry.tables.values()) {
    const view = table.view;
    for (let slot = 0; slot < SLOTS; slot++) {
      const base = HEADER + slot * ENTRY;
      if (Atomics.load(view, base) !== THREAD) continue;
      if (Atomics.load(view, base + 2) === tid && Atomics.load(view, base + 3) === pid) {
        Atomics.compareExchange(view, base, THREAD, DEAD);
      }
    }
  }
}

/** Starts watching the threads this thread creates (once per thread). */
export function watchThreads(): void {
  if (registry.watching) return;
  registry.watching = true;
  localTable();
  process.on('worker', (worker: Worker) => {
    const tid = worker.threadId;
    worker.once('exit', () => markThreadDead(tid));
  });
}

watchThreads();
