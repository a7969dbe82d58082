/**
 * `Process`: Python's `multiprocessing.Process` for Node.js. A Process runs a task (a `defineTasks`
 * function, a self-contained inline function, or `{ module, name }`) in a worker thread (`'thread'`, the
 * default) or a child process (`'process'`). You start it, join it, and read its exit code, which follows
 * Python's rules: 0 for success, 1 for an uncaught error (printed to stderr), n for `process.exit(n)`,
 * -15 after `terminate()`, -9 after `kill()`, -N for a child process killed by signal N.
 *
 * @packageDocumentation
 */
import type { ResourceLimits } from 'node:worker_threads';
import {
  CHANNELS,
  encode,
  InvalidArgumentError,
  InvalidStateError,
  type Multiplexer,
} from '@multiproc/transport';
import { currentProcess, getChildState } from './context.js';
import { checkRuntime, getDefaultRuntime, type Runtime } from './runtime.js';
import { checkLoadable, describeTask, type Task, type TaskArgs, type TaskDescriptor } from './tasks.js';
import { startChildProcess, startThread, type Backend } from './internal/backends.js';
import type { BootInfo, StartMessage } from './internal/boot.js';

// Built-ins come from process.getBuiltinModule, not `import`: an ESM import of a built-in builds a module
// wrapper of all its exports, which every new worker pays for at start.
const { threadId } = process.getBuiltinModule('node:worker_threads');

/**
 * Options of {@link Process}: only `target` is required.
 *
 * @example
 * ```ts
 * import { Process, type ProcessOptions } from '@multiproc/process';
 * const options: ProcessOptions = { target: (n: number) => console.log(n * 2), args: [21], runtime: 'process', daemon: true };
 * const child = new Process(options);
 * ```
 */
export interface ProcessOptions<T extends Task = Task> {
  /** What to run: a `defineTasks` function, a self-contained inline function, or `{ module, name }`. */
  target: T;
  /** The arguments of the target (structured-cloneable values, task references, shareable handles). */
  args?: TaskArgs<T>;
  /** The name (default `Process-N`, as Python; `Process-1:2` for the second child of `Process-1`). */
  name?: string;
  /** A daemon does not keep this program alive and is ended when it exits. Default: the parent's. */
  daemon?: boolean;
  /** `'thread'` or `'process'`; default {@link getDefaultRuntime}. */
  runtime?: Runtime;
  /** Environment variables of the worker (default: a copy of `process.env`). */
  env?: Record<string, string | undefined>;
  /** Node.js flags of the worker (default: this process's `process.execArgv`). */
  execArgv?: string[];
  /** Heap and stack limits; for child processes they become `--max-old-space-size` and friends. */
  resourceLimits?: ResourceLimits;
}

/** Processes started here and still running (for {@link activeChildren}). */
const live = new Set<Process>();
let mainChildCounter = 0;

function nextIdentity(): number[] {
  const state = getChildState();
  if (state) return [...state.info.identity, ++state.childCounter];
  return [++mainChildCounter];
}

/**
 * A task running in its own worker thread or child process, as Python's `multiprocessing.Process`.
 *
 * @typeParam T - the target; `args` are typed from it.
 * @example
 * ```ts
 * import { defineTasks, isMainProcess, Process } from '@multiproc/process';
 *
 * const tasks = defineTasks(import.meta.url, {
 *   printNumbers(count: number) {
 *     for (let i = 0; i < count; i++) console.log(i);
 *   },
 * });
 *
 * if (isMainProcess()) {
 *   const child = new Process({ target: tasks.printNumbers, args: [10] });
 *   child.start();
 *   console.log('exit code', await child.join()); // 0
 * }
 * ```
 * @see the "Processes" guide.
 */
export class Process<T extends Task = Task> {
  readonly #target: TaskDescriptor;
  readonly #args: readonly unknown[];
  readonly #runtime: Runtime;
  readonly #env: Record<string, string | undefined> | undefined;
  readonly #execArgv: readonly string[] | undefined;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #identity: readonly number[];
  #name: string;
  #daemon: boolean;
  #backend: Backend | undefined;
  #closed = false;
  #joiners = 0;

  /**
   * Prepares a process; nothing runs until {@link Process.start}.
   *
   * @param options - {@link ProcessOptions}: `target` is required.
   * @throws {@link "@multiproc/transport"!InvalidArgumentError | InvalidArgumentError} for a bad target, args that are not an array, a bad runtime or name.
   */
  constructor(options: ProcessOptions<T>) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('new Process(options) needs an options object with a target');
    }
    this.#target = describeTask(options.target, 'target');
    const args: unknown = options.args ?? [];
    if (!Array.isArray(args)) {
      throw new InvalidArgumentError(`args must be an array of arguments for the target, got ${typeof args}`);
    }
    this.#args = args;
    this.#runtime = options.runtime === undefined ? getDefaultRuntime() : checkRuntime(options.runtime);
    if (options.name !== undefined && typeof options.name !== 'string') {
      throw new InvalidArgumentError(`name must be a string, got ${typeof options.name}`);
    }
    if (options.daemon !== undefined && typeof options.daemon !== 'boolean') {
      throw new InvalidArgumentError(`daemon must be a boolean, got ${typeof options.daemon}`);
    }
    if (options.execArgv !== undefined && !Array.isArray(options.execArgv)) {
      throw new InvalidArgumentError('execArgv must be an array of strings');
    }
    this.#identity = Object.freeze(nextIdentity());
    this.#name = options.name ?? `Process-${this.#identity.join(':')}`;
    this.#daemon = options.daemon ?? currentProcess().daemon;
    this.#env = options.env;
    this.#execArgv = options.execArgv;
    this.#resourceLimits = options.resourceLimits;
  }

  /** The process name, used in error output. Settable at any time, as in Python. */
  get name(): string {
    return this.#name;
  }

  set name(value: string) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`name must be a string, got ${typeof value}`);
    this.#name = value;
  }

  /**
   * Whether this is a daemon: a daemon does not keep the program alive and is ended when the program
   * exits; other processes are waited for. Settable only before {@link Process.start}.
   */
  get daemon(): boolean {
    return this.#daemon;
  }

  set daemon(value: boolean) {
    this.#checkOpen();
    if (this.#backend) throw new InvalidStateError(`cannot set daemon of ${this.#name} after it was started`);
    if (typeof value !== 'boolean') throw new InvalidArgumentError(`daemon must be a boolean, got ${typeof value}`);
    this.#daemon = value;
  }

  /** The runtime it runs on. */
  get runtime(): Runtime {
    return this.#runtime;
  }

  /**
   * The OS process id once started (`undefined` before). A worker thread lives in this process, so its
   * pid is this process's; tell threads apart by {@link Process.threadId}.
   */
  get pid(): number | undefined {
    return this.#backend?.pid;
  }

  /** The worker_threads thread id of a thread process once started (0 for a child process). */
  get threadId(): number | undefined {
    return this.#backend?.threadId;
  }

  /** Python's exit code: `null` while running (or before start), then 0, 1, n, -15, -9 or -N. */
  get exitCode(): number | null {
    return this.#backend?.exitCode ?? null;
  }

  /**
   * The multiplexed connection to the worker, once started: what packages built on process (the pool,
   * proxies) talk through. `undefined` before start.
   */
  get connection(): Multiplexer | undefined {
    return this.#backend?.connection;
  }

  /**
   * Starts the worker and runs the target in it. Returns at once (the worker boots in the background).
   *
   * @throws {@link "@multiproc/transport"!InvalidStateError | InvalidStateError} when already started or closed; {@link "@multiproc/transport"!NotCloneableError | NotCloneableError} (naming
   *   the path, e.g. `args[1].callback`) for an argument that cannot be sent; {@link "@multiproc/transport"!UnsupportedError | UnsupportedError}
   *   for a TypeScript task module on a thread of a Node.js that cannot load it; {@link ProcessError} when
   *   the worker cannot be created.
   */
  start(): void {
    this.#checkOpen();
    if (this.#backend) throw new InvalidStateError(`cannot start ${this.#name} twice`);
    checkLoadable(this.#target, this.#runtime);
    // Refuse a bad argument before anything is spawned.
    encode(this.#args, {
      path: 'args',
      share: { capabilities: { sharedMemory: this.#runtime === 'thread', transfer: this.#runtime === 'thread' }, serve: () => 0 },
    });
    const me = currentProcess();
    const boot: BootInfo = {
      name: this.#name,
      identity: this.#identity,
      daemon: this.#daemon,
      runtime: this.#runtime,
      parent: { name: me.name, pid: process.pid, threadId },
      ...(this.#target.kind === 'ref' ? { preload: this.#target.module } : {}),
    };
    const spawn = { boot, env: this.#env, execArgv: this.#execArgv, resourceLimits: this.#resourceLimits };
    const backend = this.#runtime === 'thread' ? startThread(spawn) : startChildProcess(spawn);
    this.#backend = backend;
    const start: StartMessage = { type: 'start', target: this.#target, args: this.#args };
    backend.connection.send(CHANNELS.process, start, { path: 'start' });
    if (this.#daemon) backend.setRef(false);
    live.add(this);
    void backend.exited.then(() => live.delete(this));
  }

  /**
   * Waits for the process to end, as Python's `join`, and returns its exit code. Everything the process
   * printed has been written out by the time it resolves. Joining a daemon keeps the program alive
   * while the join waits.
   *
   * @param timeoutMs - give up after this many milliseconds and resolve `null` (the process keeps running).
   * @returns the exit code, or `null` if it was still running at the timeout.
   * @throws {@link "@multiproc/transport"!InvalidStateError | InvalidStateError} (synchronously) before start or after close;
   *   {@link "@multiproc/transport"!InvalidArgumentError | InvalidArgumentError} for a negative or non-numeric timeout.
   */
  join(timeoutMs?: number): Promise<number | null> {
    this.#checkOpen();
    const backend = this.#backend;
    if (!backend) throw new InvalidStateError(`cannot join ${this.#name}: it was not started`);
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
      throw new InvalidArgumentError(`join(timeoutMs): timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
    }
    // A daemon does not keep the program alive, but someone waiting for it does, as in Python.
    const hold = this.#daemon && backend.exitCode === null;
    if (hold && this.#joiners++ === 0) backend.setRef(true);
    const settle = <V>(value: V): V => {
      if (hold && --this.#joiners === 0 && backend.exitCode === null) backend.setRef(false);
      return value;
    };
    if (timeoutMs === undefined) return backend.exited.then(settle);
    return new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(settle(null)), timeoutMs);
      void backend.exited.then((code) => {
        clearTimeout(timer);
        resolve(settle(code));
      });
    });
  }

  /**
   * Whether the process has started and not yet ended.
   *
   * @returns `true` while running.
   * @throws {@link "@multiproc/transport"!InvalidStateError | InvalidStateError} after close.
   */
  isAlive(): boolean {
    this.#checkOpen();
    return this.#backend !== undefined && this.#backend.exitCode === null;
  }

  /**
   * Asks the process to end: SIGTERM for a child process, `worker.terminate()` for a thread. Its exit
   * code becomes -15. Does nothing if it already ended.
   *
   * @throws {@link "@multiproc/transport"!InvalidStateError | InvalidStateError} after close.
   */
  terminate(): void {
    this.#checkOpen();
    this.#backend?.terminate();
  }

  /**
   * Ends the process at once: SIGKILL for a child process, `worker.terminate()` for a thread. Its exit
   * code becomes -9. Does nothing if it already ended.
   *
   * @throws {@link "@multiproc/transport"!InvalidStateError | InvalidStateError} after close.
   */
  kill(): void {
    this.#checkOpen();
    this.#backend?.kill();
  }

  /**
   * Releases the Process object, as Python's `close()`: afterwards every method throws.
   *
   * @throws {@link "@multiproc/transport"!InvalidStateError | InvalidStateError} while the process is still running.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#backend && this.#backend.exitCode === null) {
      throw new InvalidStateError(`cannot close ${this.#name} while it is still running; join() or terminate() it first`);
    }
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new InvalidStateError(`${this.#name} was closed`);
  }

  /** @internal */
  get [Symbol.toStringTag](): string {
    return 'Process';
  }

  /** A Python-like description, e.g. `<Process name='Process-1' pid=1234 started daemon>`. */
  toString(): string {
    const backend = this.#backend;
    const state = !backend ? 'initial' : backend.exitCode === null ? 'started' : `stopped exitcode=${backend.exitCode}`;
    return `<Process name='${this.#name}'${backend?.pid !== undefined ? ` pid=${backend.pid}` : ''} ${state}${this.#daemon ? ' daemon' : ''}>`;
  }
}

/**
 * The processes started from here that are still running, as Python's `active_children()`.
 *
 * @returns a new array of running {@link Process} objects.
 * @example
 * ```ts
 * import { activeChildren } from '@multiproc/process';
 * for (const child of activeChildren()) child.terminate();
 * ```
 */
export function activeChildren(): Process[] {
  return [...live].filter((child) => child.exitCode === null);
}
