/**
 * Entry file of the helper thread behind synchronous proxy calls (see internal/sync-caller.ts): receives
 * `[seq, endpoint, id, method, args]`, calls the owner over its share endpoint, posts
 * `[seq, ok, value, special]` back, then bumps the reply counter and wakes the blocked caller.
 * Connections to each endpoint are kept and reused. Whatever happens, a request gets a reply, and the
 * thread marks its exit in the control block so that a blocked caller never waits on a dead helper.
 *
 * @packageDocumentation
 */
import { connect } from 'node:net';
import { workerData, type MessagePort } from 'node:worker_threads';
import { encode } from './codec.js';
import { ClosedError } from './errors.js';
import { EXITED, READY, REPLIES, STATE, WITHDRAWN } from './internal/sync-caller.js';
import { Multiplexer, SHARE_CHANNEL } from './multiplexer.js';
import { StreamTransport } from './stream-transport.js';

const { port, control } = workerData as { port: MessagePort; control: Int32Array };
const connections = new Map<string, Promise<Multiplexer>>();

function wakeCaller(): void {
  Atomics.add(control, REPLIES, 1);
  Atomics.notify(control, REPLIES);
}

process.on('exit', () => {
  Atomics.store(control, STATE, EXITED);
  wakeCaller();
});

function open(endpoint: string, attempt = 0): Promise<Multiplexer> {
  return new Promise<Multiplexer>((resolve, reject) => {
    const socket = connect(endpoint);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      const mux = new Multiplexer(new StreamTransport(socket));
      mux.unref();
      mux.onClose(() => connections.delete(endpoint));
      resolve(mux);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // The owner opens its endpoint asynchronously: retry briefly if it is not listening yet.
      if ((error.code === 'ENOENT' || error.code === 'ECONNREFUSED') && attempt < 40) {
        setTimeout(() => open(endpoint, attempt + 1).then(resolve, reject), 25);
      } else {
        reject(new ClosedError(`cannot reach the owner of this object at ${endpoint}: ${error.message}`, { cause: error }));
      }
    });
  });
}

function connection(endpoint: string): Promise<Multiplexer> {
  let current = connections.get(endpoint);
  if (!current) {
    current = open(endpoint);
    const opened = current;
    opened.catch(() => {
      if (connections.get(endpoint) === opened) connections.delete(endpoint);
    });
    connections.set(endpoint, opened);
  }
  return current;
}

function post(seq: number, ok: boolean, value: unknown): void {
  const encoded = encode(value, ok ? { path: 'result' } : {});
  port.postMessage([seq, ok, encoded.value, encoded.special]);
}

function reply(seq: number, ok: boolean, value: unknown): void {
  try {
    post(seq, ok, value);
  } catch (error) {
    // The result (or error) could not be sent back: send why instead, so the caller is not left waiting.
    try {
      post(seq, false, error);
    } catch {
      post(seq, false, new ClosedError(`the reply to a synchronous call could not be sent back: ${String(error)}`));
    }
  }
  wakeCaller();
}

port.on('message', (message: [number, string, number, string, unknown[]]) => {
  const [seq, endpoint, id, method, args] = message;
  // A request the caller gave up on before this thread was up: nobody waits for it, do not run it.
  if (seq <= Atomics.load(control, WITHDRAWN)) return;
  connection(endpoint)
    .then((mux) => mux.request(SHARE_CHANNEL, [id, method, args], { path: `${method}() arguments` }))
    .then(
      (value) => reply(seq, true, value),
      (error: unknown) => reply(seq, false, error),
    );
});

Atomics.store(control, STATE, READY);
