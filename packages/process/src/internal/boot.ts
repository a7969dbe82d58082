/**
 * What a parent tells a new worker about itself before the first message: its name, place in the
 * process tree, whether it is a daemon, and who its parent is. Travels in `workerData` (threads) or an
 * environment variable (child processes), which the bootstrap removes at once so that grandchildren the
 * user starts by other means do not mistake themselves for multiproc workers.
 */
import type { Runtime } from '../runtime.js';

/** The marker and boot record a multiproc child process finds in its environment. */
export const BOOT_ENV = 'MULTIPROC_BOOT';
/** The workerData key that marks a multiproc worker thread. */
export const BOOT_KEY = '__multiprocBoot';
/** The workerData key of a warm standby worker: its boot record arrives as the first port message. */
export const STANDBY_KEY = '__multiprocStandby';

export interface BootInfo {
  readonly name: string;
  readonly identity: readonly number[];
  readonly daemon: boolean;
  readonly runtime: Runtime;
  readonly parent: { readonly name: string; readonly pid: number; readonly threadId: number };
  /** The module of the target, if any: the worker starts importing it as soon as it has booted. */
  readonly preload?: string;
}

/**
 * Where the built index leaves the worker side for the bootstrap entries. They import the index (the
 * module a task module imports anyway) rather than carrying a copy of this code, so that a worker reads
 * and compiles it once: module loading is most of a worker's start-up time.
 */
export const WORKER_BOOT = Symbol.for('multiproc.workerBoot');

/** What the bootstrap entries find under {@link WORKER_BOOT}. */
export interface WorkerBoot {
  /** Boots a worker thread (a warm standby when `boot` is undefined: the record then comes on the port). */
  thread(port: import('node:worker_threads').MessagePort, boot: BootInfo | undefined): void;
  /** Boots a child process, talking over its IPC channel. */
  process(boot: BootInfo): void;
}

/** The control messages on CHANNELS.process. */
export interface StartMessage {
  readonly type: 'start';
  readonly target: import('../tasks.js').TaskDescriptor;
  readonly args: readonly unknown[];
}
