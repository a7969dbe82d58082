/**
 * Entry file of a multiproc worker thread (a tsup entry of its own so that its URL resolves next to the
 * built index). The parent passes one end of a MessageChannel and the boot record in `workerData`.
 * The worker side lives in the built index, which this entry imports: a task module that imports
 * `@multiproc/process` then finds it loaded, and the worker reads and compiles it once.
 */
import type { MessagePort } from 'node:worker_threads';
import { BOOT_KEY, STANDBY_KEY, WORKER_BOOT, type BootInfo, type WorkerBoot } from './internal/boot.js';

// Built-ins come from process.getBuiltinModule, not `import`: an ESM import of a built-in builds a module
// wrapper of all its exports, which every new worker pays for at start.
const { workerData } = process.getBuiltinModule('node:worker_threads');

const data = workerData as { [BOOT_KEY]?: BootInfo; [STANDBY_KEY]?: boolean; port?: MessagePort } | null;
const port = data?.port;
if (!port || (!data[BOOT_KEY] && !data[STANDBY_KEY])) {
  throw new Error('bootstrap-thread.js is started by @multiproc/process, not by hand');
}
// A computed specifier, so that tsup leaves the import to the index next to this file alone.
await import(new URL('./index.js', import.meta.url).href);
((globalThis as { [WORKER_BOOT]?: WorkerBoot })[WORKER_BOOT] as WorkerBoot).thread(port, data[BOOT_KEY]);
