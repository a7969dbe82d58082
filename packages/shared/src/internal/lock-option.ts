/**
 * The `lock` option of `Value` and `SharedArray`, as Python's: `true` (default) makes a new RLock, `false`
 * gives none, or pass your own `Lock`/`RLock`.
 */
import { InvalidArgumentError } from '@multiproc/transport';
import { Lock, RLock } from '@multiproc/sync';

/** Resolves the `lock` option. */
export function resolveLock(option: unknown, what: string): Lock | RLock | undefined {
  if (option === undefined || option === true) return new RLock();
  if (option === false) return undefined;
  if (option instanceof Lock || option instanceof RLock) return option;
  throw new InvalidArgumentError(`${what}: lock must be true, false, a Lock or an RLock, got ${String(option)}`);
}
