/**
 * The process-wide registry of served objects (the owner side of Manager-style proxies). Ids are unique
 * in this process, so a proxy can reach its object through any connection to the owner: through the
 * connection it arrived on (async calls), or through the owner's share endpoint, a local socket that the
 * helper thread of a blocked caller connects to (sync calls). Each connection counts the references it
 * handed out; an object is let go when no connection holds it any more.
 *
 * The endpoint is a Unix domain socket (a named pipe on Windows), opened lazily the first time an object
 * is served over a transport without shared memory, unref'd so it never keeps Node.js alive, and removed
 * when the process exits.
 */
import type { Server } from 'node:net';
import type { ServedObject } from '../codec.js';
import { ClosedError } from '../errors.js';

interface Entry {
  readonly target: ServedObject;
  refs: number;
}

const REGISTRY = Symbol.for('multiproc.servedObjects');
interface Registry {
  entries: Map<number, Entry>;
  ids: Map<ServedObject, number>;
  nextId: number;
  endpoint: string | undefined;
  server: Server | undefined;
}

// Shared through globalThis so that two copies of the package in one thread agree on ids.
const registry: Registry = ((globalThis as { [REGISTRY]?: Registry })[REGISTRY] ??= {
  entries: new Map(),
  ids: new Map(),
  nextId: 1,
  endpoint: undefined,
  server: undefined,
});

/** Registers one more reference to `target` and returns its process-wide id. */
export function serveObject(target: ServedObject): number {
  let id = registry.ids.get(target);
  if (id === undefined) {
    id = registry.nextId++;
    registry.ids.set(target, id);
    registry.entries.set(id, { target, refs: 0 });
  }
  (registry.entries.get(id) as Entry).refs++;
  return id;
}

/** Drops `count` references; the object is released when none is left. */
export function releaseObject(id: number, count: number): void {
  const entry = registry.entries.get(id);
  if (!entry) return;
  entry.refs -= count;
  if (entry.refs > 0) return;
  registry.entries.delete(id);
  registry.ids.delete(entry.target);
  entry.target.release?.();
}

/** Runs a proxy's call on the served object. */
export function callServedObject(payload: unknown): unknown {
  const [id, method, args] = payload as [number, string, unknown[]];
  const entry = registry.entries.get(id);
  if (!entry) {
    throw new ClosedError(`the object this proxy stands for (#${id}) is no longer served by its owner`);
  }
  return entry.target.call(method, args);
}

/** How many objects this process serves (for tests and leak checks). */
export function servedObjectCount(): number {
  return registry.entries.size;
}

/**
 * The path of this process's share endpoint, opening it on first use. `onConnection` is given each
 * socket that connects (the multiplexer module wires it up, to avoid an import cycle).
 */
export function shareEndpoint(onConnection: (socket: import('node:net').Socket) => void): string {
  if (registry.endpoint !== undefined) return registry.endpoint;
  // Fetched on first use (process.getBuiltinModule): every worker imports this module, few open an endpoint.
  const { createServer } = process.getBuiltinModule('node:net');
  const { tmpdir } = process.getBuiltinModule('node:os');
  const { join } = process.getBuiltinModule('node:path');
  const { unlinkSync } = process.getBuiltinModule('node:fs');
  const name = `multiproc-${process.pid}-${globalThis.crypto.randomUUID().slice(0, 12)}`;
  // Linux: an abstract socket (leading NUL), which leaves no file behind even when the process is killed.
  const endpoint =
    process.platform === 'win32'
      ? `\\\\.\\pipe\\${name}`
      : process.platform === 'linux'
        ? `\0${name}`
        : join(tmpdir(), `${name}.sock`);
  const server = createServer((socket) => onConnection(socket));
  server.on('error', () => {
    // A failing endpoint only disables sync calls into this process; async proxies keep working.
  });
  server.listen(endpoint);
  server.unref();
  registry.server = server;
  registry.endpoint = endpoint;
  if (process.platform !== 'win32' && process.platform !== 'linux') {
    process.once('exit', () => {
      try {
        unlinkSync(endpoint);
      } catch {
        // already gone
      }
    });
  }
  return endpoint;
}
