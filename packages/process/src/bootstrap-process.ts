/**
 * Entry file of a multiproc child process (a tsup entry of its own). The boot record arrives in the
 * MULTIPROC_BOOT environment variable, the explicit marker of a multiproc child, which is removed at once.
 * The child exits when the IPC link to its parent goes away, even if the parent was killed with SIGKILL.
 * The worker side lives in the built index, which this entry imports (see bootstrap-thread.ts).
 */
import { BOOT_ENV, WORKER_BOOT, type BootInfo, type WorkerBoot } from './internal/boot.js';

const raw = process.env[BOOT_ENV];
delete process.env[BOOT_ENV];
if (raw === undefined || typeof process.send !== 'function') {
  process.stderr.write('bootstrap-process.js is started by @multiproc/process, not by hand\n');
  process.exit(1);
}
const boot = JSON.parse(raw) as BootInfo;
// A computed specifier, so that tsup leaves the import to the index next to this file alone.
await import(new URL('./index.js', import.meta.url).href);
((globalThis as { [WORKER_BOOT]?: WorkerBoot })[WORKER_BOOT] as WorkerBoot).process(boot);
