/**
 * Entry file of a multiproc worker thread (a tsup entry of its own so that its URL resolves next to the
 * built index). The parent passes one end of a MessageChannel and the boot record in `workerData`.
 */
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { MessagePortTransport } from '@multiproc/transport';
import { bootChild } from './internal/child.js';
import { BOOT_KEY, STANDBY_KEY, type BootInfo } from './internal/boot.js';

const data = workerData as { [BOOT_KEY]?: BootInfo; [STANDBY_KEY]?: boolean; port?: MessagePort } | null;
const port = data?.port;
if (!port || (!data[BOOT_KEY] && !data[STANDBY_KEY])) {
  throw new Error('bootstrap-thread.js is started by @multiproc/process, not by hand');
}
if (data[BOOT_KEY]) {
  bootChild(new MessagePortTransport(port), data[BOOT_KEY]);
} else {
  // A warm standby: everything is loaded; wait for the boot record of the Process that takes us.
  port.once('message', (boot: BootInfo) => bootChild(new MessagePortTransport(port), boot));
}
