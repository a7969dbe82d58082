/**
 * `Pipe()`: a pair of connected {@link Connection}s, as Python's `multiprocessing.Pipe`. Duplex by
 * default (both ends send and receive); `Pipe(false)` is one-way and returns `[reader, writer]`. In the
 * creating process and its threads a pipe is two rings (one) in shared memory; a child process that
 * receives an end gets a proxy served by the creating process.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from '@multiproc/transport';
import { Connection, createConnection } from './connection.js';
import { LocalPipeBackend } from './internal/pipe-backend.js';
import { Ring } from './internal/ring.js';

/**
 * Creates a pipe and returns its two ends.
 *
 * @param duplex - `true` (the default): both ends send and receive. `false`: a one-way pipe, returned
 *   as `[reader, writer]` (the same order as Python); sending on the reader or receiving on the writer
 *   throws `InvalidStateError`.
 * @returns the two connected ends.
 * @throws {@link "@multiproc/transport"!InvalidArgumentError | InvalidArgumentError} when `duplex` is not a boolean.
 * @example
 * ```ts
 * import { Pipe } from '@multiproc/channel';
 * const [reader, writer] = Pipe<string>(false);
 * writer.send('one way');
 * console.log(await reader.recv()); // 'one way'
 * writer.close();
 * reader.close();
 * ```
 * @see https://multiproc.dev/guide/channel
 */
export function Pipe<T = unknown>(duplex = true): [Connection<T>, Connection<T>] {
  if (typeof duplex !== 'boolean') {
    throw new InvalidArgumentError(`duplex must be a boolean, got ${String(duplex)}`);
  }
  if (duplex) {
    const ab = Ring.create(0, 1024);
    const ba = Ring.create(0, 1024);
    const a = createConnection<T>((holder) => new LocalPipeBackend(`${ab.id}.a`, ba, ab, true, holder));
    const b = createConnection<T>((holder) => new LocalPipeBackend(`${ab.id}.b`, ab, ba, true, holder));
    return [a, b];
  }
  const ring = Ring.create(0, 1024);
  const reader = createConnection<T>((holder) => new LocalPipeBackend(`${ring.id}.r`, ring, undefined, true, holder));
  const writer = createConnection<T>((holder) => new LocalPipeBackend(`${ring.id}.w`, undefined, ring, true, holder));
  return [reader, writer];
}
