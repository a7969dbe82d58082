/**
 * Entry file of the helper thread behind synchronous proxy calls (see internal/sync-caller.ts): receives
 * `[endpoint, id, method, args]`, calls the owner over its share endpoint, posts `[ok, value, special]`
 * back and wakes the blocked caller. Connections to each endpoint are kept and reused.
 *
 * @packageDocumentation
 */
import { connect } from 'node:net';
import { workerData, type MessagePort } from 'node:worker_threads';
import { encode } from './codec.js';
import { ClosedError } from './errors.js';
import { Multiplexer, SHARE_CHANNEL } from './multiplexer.js';
import { StreamTransport } from './stream-transport.js';

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
const connections = new Map<string, Promise<Multiplexer>>();

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
  let pending = connections.get(endpoint);
  if (!pending) {
    pending = open(endpoint);
    pending.catch(() => connections.delete(endpoint));
    connections.set(endpoint, pending);
  }
  return pending;
}

function reply(ok: boolean, value: unknown): void {
  let encoded;
  try {
    encoded = encode(value, { path: 'result' });
  } catch (error) {
    ok = false;
    encoded = encode(error);
  }
  port.postMessage([ok, encoded.value, encoded.special]);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

port.on('message', (message: [string, number, string, unknown[]]) => {
  const [endpoint, id, method, args] = message;
  connection(endpoint)
    .then((mux) => mux.request(SHARE_CHANNEL, [id, method, args], { path: `${method}() arguments` }))
    .then(
      (value) => reply(true, value),
      (error: unknown) => reply(false, error),
    );
});

