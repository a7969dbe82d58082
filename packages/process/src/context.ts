/**
 * Where am I? The functions Python exposes as `multiprocessing.current_process()`, `parent_process()`,
 * `active_children()` and `cpu_count()`, plus {@link isMainProcess}, the guard an entry script that also
 * defines tasks puts around its top-level work (Python's `if __name__ == "__main__"`).
 *
 * @packageDocumentation
 */
import type { Multiplexer } from '@multiproc/transport';
import type { Runtime } from './runtime.js';

// Built-ins come from process.getBuiltinModule, not `import`: an ESM import of a built-in builds a module
// wrapper of all its exports, which every new worker pays for at start.
const { threadId } = process.getBuiltinModule('node:worker_threads');

/**
 * What a process knows about itself, from {@link currentProcess}.
 *
 * @example
 * ```ts
 * import { currentProcess, type ProcessInfo } from '@multiproc/process';
 * const me: ProcessInfo = currentProcess();
 * console.log(me.name, me.runtime, me.identity);
 * ```
 */
export interface ProcessInfo {
  /** The name given to the Process, or `'MainProcess'`. */
  readonly name: string;
  /** The OS process id (for a worker thread: the id of the process that hosts it). */
  readonly pid: number;
  /** The worker_threads thread id (0 on a process's main thread). */
  readonly threadId: number;
  /** `'main'` in the program that was started by hand, else the runtime the process was started with. */
  readonly runtime: 'main' | Runtime;
  /** Whether the process was started as a daemon. */
  readonly daemon: boolean;
  /** Python's `_identity`: the position in the tree of processes, e.g. `[1, 2]` for `Process-1:2`. */
  readonly identity: readonly number[];
}

/**
 * What a process knows about its parent, from {@link parentProcess}.
 *
 * @example
 * ```ts
 * import { parentProcess, type ParentProcessInfo } from '@multiproc/process';
 * const parent: ParentProcessInfo | null = parentProcess();
 * if (parent && !parent.isAlive()) process.exit(1);
 * ```
 */
export interface ParentProcessInfo {
  /** The parent's name. */
  readonly name: string;
  /** The parent's OS process id. */
  readonly pid: number;
  /** The parent's thread id. */
  readonly threadId: number;
  /** Whether the parent is still running. */
  isAlive(): boolean;
}

/** @internal What the bootstrap records about the running worker. */
export interface ChildState {
  info: ProcessInfo;
  parent: { name: string; pid: number; threadId: number };
  connection: Multiplexer;
  childCounter: number;
}

const STATE = Symbol.for('multiproc.childState');
type Holder = { [STATE]?: ChildState };

/** @internal Set once by the worker bootstrap. */
export function setChildState(state: ChildState): void {
  (globalThis as Holder)[STATE] = state;
}

/** @internal */
export function getChildState(): ChildState | undefined {
  return (globalThis as Holder)[STATE];
}

const MAIN: ProcessInfo = Object.freeze({
  name: 'MainProcess',
  pid: process.pid,
  threadId,
  runtime: 'main',
  daemon: false,
  identity: Object.freeze([]) as readonly number[],
});

/**
 * Describes the process this code runs in: the main program, or a multiproc worker thread or child
 * process.
 *
 * @returns its {@link ProcessInfo}.
 * @example
 * ```ts
 * import { currentProcess } from '@multiproc/process';
 * console.log(currentProcess().name); // 'MainProcess' in the main program, 'Process-1' in a child
 * ```
 */
export function currentProcess(): ProcessInfo {
  return getChildState()?.info ?? MAIN;
}

/**
 * Describes the parent of this process, or `null` in the main program (as Python's `parent_process()`).
 *
 * @returns the parent, or `null`.
 * @example
 * ```ts
 * import { parentProcess } from '@multiproc/process';
 * const parent = parentProcess();
 * if (parent) console.log(`started by ${parent.name} (${parent.pid})`);
 * ```
 */
export function parentProcess(): ParentProcessInfo | null {
  const state = getChildState();
  if (!state) return null;
  const { name, pid, threadId: parentThreadId } = state.parent;
  return {
    name,
    pid,
    threadId: parentThreadId,
    isAlive() {
      if (state.connection.closed) return false;
      if (pid === process.pid) return true;
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Whether this code runs in the program that was started by hand rather than in a multiproc worker. A
 * worker imports the task modules it runs; guard the top-level work of a module that is both the entry
 * script and a task module with it, as Python scripts guard with `if __name__ == "__main__"`.
 *
 * @returns `true` in the main program, `false` in a multiproc worker thread or child process.
 * @example
 * ```ts
 * import { defineTasks, isMainProcess, Process } from '@multiproc/process';
 * const tasks = defineTasks(import.meta.url, { hello: () => console.log('hello from a child') });
 * if (isMainProcess()) {
 *   const child = new Process({ target: tasks.hello });
 *   child.start();
 *   await child.join();
 * }
 * ```
 */
export function isMainProcess(): boolean {
  return getChildState() === undefined;
}

/**
 * The connection to the parent, inside a multiproc worker: the {@link Multiplexer} that packages built
 * on process (the pool's worker loop, proxies) talk through. `undefined` in the main program.
 *
 * @returns the multiplexer to the parent, or `undefined`.
 * @example
 * ```ts
 * import { parentConnection } from '@multiproc/process';
 * const connection = parentConnection();
 * connection?.send(16, { hello: 'parent' });
 * ```
 */
export function parentConnection(): Multiplexer | undefined {
  return getChildState()?.connection;
}

/**
 * How many processes can run in parallel here (`os.availableParallelism()`), the default size of a Pool.
 *
 * @returns the number of usable CPU cores, at least 1.
 * @example
 * ```ts
 * import { cpuCount } from '@multiproc/process';
 * console.log(`this machine runs ${cpuCount()} workers at once`);
 * ```
 */
export function cpuCount(): number {
  return Math.max(1, process.getBuiltinModule('node:os').availableParallelism());
}
