/**
 * The parent side of the two runtimes. A backend starts the worker (a `Worker` or a forked child),
 * connects a Multiplexer to it, and resolves `exited` with Python's exit code once the worker has ended
 * and everything it printed has been written out.
 */
import type { ChildProcess } from 'node:child_process';
import type { MessagePort, ResourceLimits } from 'node:worker_threads';
import { ChildProcessTransport, MessagePortTransport, Multiplexer } from '@multiproc/transport';
import { ProcessError } from '../errors.js';
import { BOOT_ENV, BOOT_KEY, STANDBY_KEY, type BootInfo } from './boot.js';

// Built-ins come from process.getBuiltinModule, not `import`: an ESM import of a built-in builds a module
// wrapper of all its exports, which every new worker pays for at start (node:util's loads parseArgs too).
const { inspect } = process.getBuiltinModule('node:util');
const { MessageChannel, Worker } = process.getBuiltinModule('node:worker_threads');
type Worker = import('node:worker_threads').Worker;

/** The Python exit code of a terminate() / kill(). */
// SIGTERM and SIGKILL are 15 and 9 wherever Node.js runs (os.constants.signals); literals, because every
// worker imports this module and node:os is fetched only when a signal number must be looked up.
export const EXIT_TERMINATED = -15;
export const EXIT_KILLED = -9;

export interface SpawnOptions {
  readonly boot: BootInfo;
  readonly env: Record<string, string | undefined> | undefined;
  readonly execArgv: readonly string[] | undefined;
  readonly resourceLimits: ResourceLimits | undefined;
}

export interface Backend {
  readonly connection: Multiplexer;
  readonly pid: number | undefined;
  readonly threadId: number | undefined;
  /** Resolves with the Python exit code once the worker ended and its output was flushed. */
  readonly exited: Promise<number>;
  /** The exit code as soon as the worker ended (before output is flushed), else null. */
  readonly exitCode: number | null;
  terminate(): void;
  kill(): void;
  /** Whether the worker keeps the parent alive. */
  setRef(keepAlive: boolean): void;
}

/** Resolves once the connection has closed by itself (all queued messages delivered), or after a grace period. */
function drained(connection: Multiplexer): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      connection.close();
      resolve();
    }, 2_000);
    connection.onClose(() => {
      clearTimeout(timer);
      connection.close();
      resolve();
    });
  });
}

const WORKER_URL = new URL('./bootstrap-thread.js', import.meta.url);
const CHILD_URL = new URL('./bootstrap-process.js', import.meta.url);

/**
 * A warm standby: a worker thread that has already loaded the bootstrap and waits for its boot record.
 * Starting a Process takes it (start+join of a no-op then costs a few milliseconds instead of a cold
 * worker's tens) and a new one is prepared in the background once that Process has ended (see
 * prepareStandbyAfter). Only Processes that ask for nothing a running worker cannot change (env,
 * execArgv, resourceLimits) are eligible. Unref'd, so it never keeps Node.js alive; prepared only once
 * a first thread Process was started.
 */
interface Standby {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** The environment the worker copied when it was created. */
  readonly env: Record<string, string | undefined>;
  alive: boolean;
}

function sameEnv(snapshot: Record<string, string | undefined>): boolean {
  const current = process.env;
  const keys = Object.keys(current);
  if (keys.length !== Object.keys(snapshot).length) return false;
  for (const key of keys) if (current[key] !== snapshot[key]) return false;
  return true;
}

let standby: Standby | undefined;
let standbyEnabled = true;

/** @internal Turns the warm standby on or off (see setWarmStandby). */
export function setStandbyEnabled(enabled: boolean): void {
  standbyEnabled = enabled;
  if (!enabled && standby) {
    const { worker } = standby;
    standby = undefined;
    void worker.terminate();
  }
}

function prepareStandby(): void {
  if (!standbyEnabled || standby) return;
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = new Worker(WORKER_URL, { workerData: { [STANDBY_KEY]: true, port: port2 }, transferList: [port2] });
  } catch {
    port1.close();
    return;
  }
  worker.unref();
  port1.unref();
  const entry: Standby = { worker, port: port1, env: { ...process.env }, alive: true };
  worker.once('exit', () => {
    entry.alive = false;
    if (standby === entry) standby = undefined;
  });
  worker.on('error', () => {});
  standby = entry;
}

/** Whether a Process with these options can run on the standby (and so keeps one prepared). */
function standbyEligible(options: SpawnOptions): boolean {
  return standbyEnabled && options.env === undefined && options.execArgv === undefined && options.resourceLimits === undefined;
}

function takeStandby(): Standby | undefined {
  const taken = standby;
  standby = undefined;
  if (!taken?.alive) return undefined;
  if (!sameEnv(taken.env)) {
    // process.env changed since the standby copied it: a fresh worker must see the change.
    void taken.worker.terminate();
    return undefined;
  }
  taken.worker.removeAllListeners('error');
  return taken;
}

/** How long a running Process may delay the boot of the next standby (see prepareStandbyAfter). */
const STANDBY_DEFER_MS = 50;

/**
 * Prepares the next standby once the Process that just took the standby (or started cold) has ended,
 * or STANDBY_DEFER_MS after it started if it runs longer: booting a worker is CPU-heavy, and
 * booting it while that Process starts up slows the latter down (on two cores, by about half).
 */
function prepareStandbyAfter(exited: Promise<number>): void {
  const timer = setTimeout(prepareStandby, STANDBY_DEFER_MS);
  timer.unref();
  // A macrotask after `exited` settles: whoever awaits join() runs first.
  void exited.then(() => {
    clearTimeout(timer);
    setImmediate(prepareStandby);
  });
}

export function startThread(options: SpawnOptions): Backend {
  const eligible = standbyEligible(options);
  const warm = eligible ? takeStandby() : undefined;
  let port1: MessagePort;
  let worker: Worker;
  if (warm) {
    ({ worker, port: port1 } = warm);
    port1.postMessage(options.boot);
    worker.ref();
  } else {
    const channel = new MessageChannel();
    port1 = channel.port1;
    try {
      worker = new Worker(WORKER_URL, {
        workerData: { [BOOT_KEY]: options.boot, port: channel.port2 },
        transferList: [channel.port2],
        name: options.boot.name,
        ...(options.env !== undefined ? { env: options.env } : {}),
        ...(options.execArgv !== undefined ? { execArgv: [...options.execArgv] } : {}),
        ...(options.resourceLimits !== undefined ? { resourceLimits: options.resourceLimits } : {}),
      });
    } catch (error) {
      channel.port1.close();
      channel.port2.close();
      throw new ProcessError(`could not start ${options.boot.name} as a worker thread`, { cause: error });
    }
  }
  // What the worker prints is forwarded to our stdout/stderr by Node.js itself, and drained before
  // 'exit' is emitted, so it is all out by the time join() resolves. (Piping `stdout: true` streams
  // by hand would keep a daemon's program alive: the stdio port is ref'd again on every read.)
  const connection = new Multiplexer(new MessagePortTransport(port1));
  let endedBy: number | undefined;
  let exitCode: number | null = null;
  worker.on('error', (error) => {
    process.stderr.write(`Process ${options.boot.name}:\n${inspect(error)}\n`);
  });
  const exited = new Promise<number>((resolve) => {
    worker.once('exit', (code) => {
      exitCode = endedBy ?? code;
      // Messages the worker sent before it ended are still queued on our port: let them be delivered
      // (the port closes after them) before reporting the exit.
      void drained(connection).then(() => resolve(exitCode as number));
    });
  });
  if (eligible) prepareStandbyAfter(exited);
  return {
    connection,
    pid: process.pid,
    threadId: worker.threadId,
    exited,
    get exitCode() {
      return exitCode;
    },
    terminate() {
      if (exitCode !== null) return;
      endedBy ??= EXIT_TERMINATED;
      void worker.terminate();
    },
    kill() {
      if (exitCode !== null) return;
      endedBy ??= EXIT_KILLED;
      void worker.terminate();
    },
    setRef(keepAlive) {
      if (keepAlive) {
        worker.ref();
        connection.ref();
      } else {
        worker.unref();
        connection.unref();
      }
    },
  };
}

/** Child processes still running as daemons: ended when this program exits, as Python does. */
const daemonChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of daemonChildren) {
      try {
        child.kill('SIGTERM');
      } catch {
        // already gone
      }
    }
  });
}

function heapFlags(limits: ResourceLimits | undefined): string[] {
  if (!limits) return [];
  const flags: string[] = [];
  if (limits.maxOldGenerationSizeMb !== undefined) flags.push(`--max-old-space-size=${limits.maxOldGenerationSizeMb}`);
  if (limits.maxYoungGenerationSizeMb !== undefined) {
    flags.push(`--max-semi-space-size=${Math.max(1, Math.floor(limits.maxYoungGenerationSizeMb / 3))}`);
  }
  if (limits.stackSizeMb !== undefined) flags.push(`--stack-size=${Math.floor(limits.stackSizeMb * 1024)}`);
  return flags;
}

export function startChildProcess(options: SpawnOptions): Backend {
  let child: ChildProcess;
  const env = { ...(options.env ?? process.env), [BOOT_ENV]: JSON.stringify(options.boot) };
  try {
    // Fetched on first use: every worker imports this package (for defineTasks), few of them fork.
    const { fork } = process.getBuiltinModule('node:child_process');
    child = fork(process.getBuiltinModule('node:url').fileURLToPath(CHILD_URL), [], {
      serialization: 'advanced',
      env,
      execArgv: [...(options.execArgv ?? process.execArgv), ...heapFlags(options.resourceLimits)],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  } catch (error) {
    throw new ProcessError(`could not start ${options.boot.name} as a child process`, { cause: error });
  }
  const connection = new Multiplexer(new ChildProcessTransport(child));
  let exitCode: number | null = null;
  if (options.boot.daemon) {
    installExitHook();
    daemonChildren.add(child);
  }
  const exited = new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      exitCode = code;
      daemonChildren.delete(child);
      connection.close();
      resolve(code);
    };
    child.once('error', (error) => {
      if (child.pid === undefined) {
        process.stderr.write(`Process ${options.boot.name}:\n${inspect(new ProcessError('could not start', { cause: error }))}\n`);
        finish(1);
      }
    });
    child.once('exit', (code, signal) => {
      const result = code ?? (signal ? -(process.getBuiltinModule('node:os').constants.signals[signal] ?? 1) : 1);
      exitCode = result;
      // 'exit' can come before the last IPC messages were read: report it once the channel is drained.
      void drained(connection).then(() => finish(result));
    });
  });
  return {
    connection,
    get pid() {
      return child.pid;
    },
    threadId: 0,
    exited,
    get exitCode() {
      return exitCode;
    },
    terminate() {
      if (exitCode === null) child.kill('SIGTERM');
    },
    kill() {
      if (exitCode === null) child.kill('SIGKILL');
    },
    setRef(keepAlive) {
      if (keepAlive) {
        child.ref();
        connection.ref();
      } else {
        child.unref();
        connection.unref();
      }
    },
  };
}
