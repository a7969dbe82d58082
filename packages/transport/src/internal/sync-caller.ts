/**
 * Synchronous calls to served objects, for code that must block (`lock.acquireSync()`, `value.value` in
 * a child process): synckit's pattern. The calling thread hands the call to a helper thread and blocks on
 * `Atomics.wait`; the helper, whose event loop is free, makes the call over a socket to the owner's share
 * endpoint and wakes the caller, who reads the reply with `receiveMessageOnPort`. One helper per calling
 * thread, started on first use and unref'd, so it never keeps Node.js alive.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { decode } from '../codec.js';
import { UnsupportedError } from '../errors.js';

interface Helper {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly flag: Int32Array;
}

let helper: Helper | undefined;

function startHelper(): Helper {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./sync-helper.js', import.meta.url), {
    workerData: { port: port2, flag },
    transferList: [port2],
    stdout: false,
    stderr: false,
  });
  worker.unref();
  port1.unref();
  worker.on('error', () => {
    helper = undefined;
  });
  worker.on('exit', () => {
    helper = undefined;
  });
  return { worker, port: port1, flag };
}

/** The reply the helper sends: `[ok, value, special]`. */
type Reply = [ok: boolean, value: unknown, special: boolean];

/**
 * Calls `method` on the object `id` served at `endpoint`, blocking this thread until the reply.
 * @throws the owner's error (revived), or {@link UnsupportedError} where this thread cannot block.
 */
export function callSync(endpoint: string, id: number, method: string, args: readonly unknown[]): unknown {
  helper ??= startHelper();
  const { port, flag } = helper;
  Atomics.store(flag, 0, 0);
  port.postMessage([endpoint, id, method, args]);
  try {
    // No timeout: the helper always answers (with an error if the owner is unreachable).
    Atomics.wait(flag, 0, 0);
  } catch (error) {
    throw new UnsupportedError(
      'this thread cannot block (Atomics.wait is not allowed here); use the async method instead of the ...Sync one',
      { cause: error },
    );
  }
  const received = receiveMessageOnPort(port);
  if (!received) throw new UnsupportedError('the sync-call helper thread did not reply');
  const [ok, value, special] = received.message as Reply;
  const result = special ? decode(value) : value;
  if (!ok) throw result;
  return result;
}
