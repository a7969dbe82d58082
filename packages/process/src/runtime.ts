/**
 * Runtimes: where a {@link Process} (and a pool's workers) run. `'thread'` is a worker thread in this
 * process (fast to start, shares memory through SharedArrayBuffers); `'process'` is a child process made
 * with `child_process.fork` (isolated memory, its own heap and crash domain; what Python does).
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from '@multiproc/transport';
import { setStandbyEnabled } from './internal/backends.js';

/**
 * Where a process runs: a worker thread (`'thread'`, the default: fast to start, can share memory) or a
 * child process (`'process'`: isolated heap and crash domain, as Python).
 *
 * @example
 * ```ts
 * import { Process, type Runtime } from '@multiproc/process';
 * const runtime: Runtime = process.env.ISOLATE ? 'process' : 'thread';
 * new Process({ target: () => console.log('hi'), runtime }).start();
 * ```
 */
export type Runtime = 'thread' | 'process';

const STATE = Symbol.for('multiproc.defaultRuntime');
type Holder = { [STATE]?: Runtime };

/** @internal Validates a runtime name. */
export function checkRuntime(runtime: unknown, what = 'runtime'): Runtime {
  if (runtime !== 'thread' && runtime !== 'process') {
    throw new InvalidArgumentError(`${what} must be 'thread' or 'process', got ${JSON.stringify(runtime)}`);
  }
  return runtime;
}

/**
 * Sets the runtime that {@link Process} and Pool use when none is given (initially `'thread'`). Python's
 * closest equivalent is `set_start_method`; the umbrella package's `setStartMethod` calls this.
 *
 * @param runtime - `'thread'` or `'process'`.
 * @throws {@link "@multiproc/transport"!InvalidArgumentError | InvalidArgumentError} for any other value.
 * @example
 * ```ts
 * import { setDefaultRuntime, getDefaultRuntime } from '@multiproc/process';
 * setDefaultRuntime('process');
 * console.log(getDefaultRuntime()); // 'process'
 * setDefaultRuntime('thread');
 * ```
 */
export function setDefaultRuntime(runtime: Runtime): void {
  (globalThis as Holder)[STATE] = checkRuntime(runtime);
}

/**
 * The runtime {@link Process} and Pool use when none is given.
 *
 * @returns `'thread'` unless {@link setDefaultRuntime} changed it.
 * @example
 * ```ts
 * import { getDefaultRuntime } from '@multiproc/process';
 * console.log(getDefaultRuntime()); // 'thread'
 * ```
 */
export function getDefaultRuntime(): Runtime {
  return (globalThis as Holder)[STATE] ?? 'thread';
}

/**
 * Turns the warm standby on (the default) or off. Once a first `'thread'` Process has started, one
 * worker thread is kept booted and idle (unref'd: it never keeps the program alive), and the next
 * Process that sets no `env`, `execArgv` or `resourceLimits` takes it, so its start-to-exit costs a few
 * milliseconds instead of a cold worker's tens. Turn it off to have no idle thread around.
 *
 * @param enabled - whether to keep a standby worker.
 * @example
 * ```ts
 * import { setWarmStandby } from '@multiproc/process';
 * setWarmStandby(false); // every Process starts a fresh worker thread
 * ```
 */
export function setWarmStandby(enabled: boolean): void {
  if (typeof enabled !== 'boolean') throw new InvalidArgumentError(`enabled must be a boolean, got ${typeof enabled}`);
  setStandbyEnabled(enabled);
}
