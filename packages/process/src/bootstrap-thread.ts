/**
 * Entry file of a multiproc worker thread (a tsup entry of its own so that its URL resolves next to the
 * built index). The parent passes one end of a MessageChannel and the boot record in `workerData`.
 */
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { MessagePortTransport } from '@multiproc/transport';
import { bootChild } from './internal/child.js';
import { BOOT_KEY, type BootInfo } from './internal/boot.js';

const data = workerData as { [BOOT_KEY]?: BootInfo; port?: MessagePort } | null;
if (!data?.[BOOT_KEY] || !data.port) {
  throw new Error('bootstrap-thread.js is started by @multiproc/process, not by hand');
}
bootChild(new MessagePortTransport(data.port), data[BOOT_KEY]);
