/**
 * Entry file of a multiproc child process (a tsup entry of its own). The boot record arrives in the
 * MULTIPROC_BOOT environment variable, the explicit marker of a multiproc child, which is removed at once.
 * The child exits when the IPC link to its parent goes away, even if the parent was killed with SIGKILL.
 */
import { ChildProcessTransport } from '@multiproc/transport';
import { bootChild } from './internal/child.js';
import { BOOT_ENV, type BootInfo } from './internal/boot.js';

const raw = process.env[BOOT_ENV];
delete process.env[BOOT_ENV];
if (raw === undefined || typeof process.send !== 'function') {
  process.stderr.write('bootstrap-process.js is started by @multiproc/process, not by hand\n');
  process.exit(1);
}
const boot = JSON.parse(raw) as BootInfo;
const transport = new ChildProcessTransport(process);
// The parent is gone (it exited, or was killed): end now, as Python's children do on a broken pipe.
transport.onClose(() => process.exit());
bootChild(transport, boot);
