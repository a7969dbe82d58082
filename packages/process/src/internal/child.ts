/**
 * The child side of a Process, shared by the thread and process bootstraps: records who we are, opens
 * the multiplexer to the parent, waits for the start message, resolves the target, runs it, and reports
 * a failure the way Python does (the error on stderr, exit code 1). When the target is done the link to
 * the parent stops holding the worker open, so it ends once its own work (timers, sockets) is done.
 */
import { ChildProcessTransport, CHANNELS, MessagePortTransport, Multiplexer, type Transport } from '@multiproc/transport';
import { setChildState } from '../context.js';
import { resolveTask } from '../tasks.js';
import type { BootInfo, StartMessage, WorkerBoot } from './boot.js';

// Built-ins come from process.getBuiltinModule, not `import`: an ESM import of a built-in builds a module
// wrapper of all its exports, which every new worker pays for at start (node:util's loads parseArgs too).
const { inspect } = process.getBuiltinModule('node:util');
const { threadId } = process.getBuiltinModule('node:worker_threads');

export function printChildError(name: string, error: unknown): void {
  process.stderr.write(`Process ${name}:\n${inspect(error)}\n`);
}

export function bootChild(transport: Transport, boot: BootInfo): Multiplexer {
  // An error nobody caught (in a timer, an event handler): report it as Python does, then end with code 1.
  process.on('uncaughtException', (error) => {
    printChildError(boot.name, error);
    process.exit(1);
  });
  const connection = new Multiplexer(transport);
  setChildState({
    info: Object.freeze({
      name: boot.name,
      pid: process.pid,
      threadId,
      runtime: boot.runtime,
      daemon: boot.daemon,
      identity: Object.freeze([...boot.identity]),
    }),
    parent: boot.parent,
    connection,
    childCounter: 0,
  });
  const off = connection.onMessage(CHANNELS.process, (message) => {
    const start = message as StartMessage;
    if (start?.type !== 'start') return;
    off();
    void run(connection, boot, start);
  });
  return connection;
}

/**
 * Starts importing the target's module (named in the boot record) at once, rather than once the start
 * message has been read. resolveTask() imports it again (a module cache hit) and reports a failure then.
 * Called after bootChild() recorded who we are, so the module sees `isMainProcess() === false`.
 */
function preloadTask(boot: BootInfo): void {
  if (boot.preload !== undefined) import(boot.preload).catch(() => {});
}

/** The worker side, for the bootstrap entries (see WORKER_BOOT). */
export const workerBoot: WorkerBoot = {
  thread(port, boot) {
    if (boot) {
      bootChild(new MessagePortTransport(port), boot);
      preloadTask(boot);
    } else {
      // A warm standby: everything is loaded; wait for the boot record of the Process that takes us.
      port.once('message', (taken: BootInfo) => {
        bootChild(new MessagePortTransport(port), taken);
        preloadTask(taken);
      });
    }
  },
  process(boot) {
    const transport = new ChildProcessTransport(process);
    // The parent is gone (it exited, or was killed): end now, as Python's children do on a broken pipe.
    transport.onClose(() => process.exit());
    bootChild(transport, boot);
    preloadTask(boot);
  },
};

async function run(connection: Multiplexer, boot: BootInfo, start: StartMessage): Promise<void> {
  try {
    const target = await resolveTask(start.target);
    await target(...start.args);
  } catch (error) {
    process.exitCode = 1;
    printChildError(boot.name, error);
  } finally {
    // Done: the link to the parent no longer keeps this worker alive; it ends when its own work does.
    connection.unref();
  }
}
