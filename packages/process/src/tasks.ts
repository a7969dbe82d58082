/**
 * Task references: how a function reaches a worker. Python pickles a function as "module + name" and the
 * child imports the module; multiproc does the same. {@link defineTasks} tags each function of a task
 * module with its module URL and key, so a worker can import the module and find the function. Two other
 * forms are accepted wherever a task is: a self-contained inline function (sent as source and compiled
 * once per worker; it cannot capture variables) and `{ module, name }` (for integrators).
 *
 * A tagged task function is also a shareable handle: it can be passed as an argument or through a queue
 * and arrives as a callable function on the other side.
 *
 * @packageDocumentation
 */
import {
  describeShareable,
  InvalidArgumentError,
  UnsupportedError,
  registerReviver,
  type ShareDescriptor,
} from '@multiproc/transport';

/**
 * Where a task lives: a module URL and the key it was defined under (or the module's export name).
 * Integrators who load tasks from elsewhere can pass one wherever a task is accepted.
 *
 * @example
 * ```ts
 * import { Process, type TaskReference } from '@multiproc/process';
 * const ref: TaskReference = { module: new URL('./tasks.js', import.meta.url).href, name: 'square' };
 * new Process({ target: ref, args: [4] }).start();
 * ```
 */
export interface TaskReference {
  /** The module URL (`import.meta.url` of the task module), or an absolute path. */
  readonly module: string;
  /** The key in `defineTasks`, or the module's export name. */
  readonly name: string;
}

/**
 * Anything multiproc accepts as a task: a `defineTasks` function, a self-contained inline function, or
 * a {@link TaskReference}.
 *
 * @example
 * ```ts
 * import type { Task } from '@multiproc/process';
 * const inline: Task<[number], number> = (n) => n + 1;
 * const byReference: Task = { module: 'file:///app/tasks.js', name: 'square' };
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Task<Args extends unknown[] = any[], Result = unknown> =
  | ((...args: Args) => Result)
  | TaskReference;

/**
 * The argument list a task takes (`unknown[]` for a reference).
 *
 * @example
 * ```ts
 * import type { TaskArgs } from '@multiproc/process';
 * type Args = TaskArgs<(a: number, b: string) => void>; // [a: number, b: string]
 * ```
 */
export type TaskArgs<T> = T extends (...args: infer A) => unknown ? A : unknown[];
/**
 * What a task resolves to, promises unwrapped.
 *
 * @example
 * ```ts
 * import type { TaskResult } from '@multiproc/process';
 * type R = TaskResult<(url: string) => Promise<number>>; // number
 * ```
 */
export type TaskResult<T> = T extends (...args: never[]) => infer R ? Awaited<R> : unknown;

/**
 * The cloneable description of a task that crosses to a worker: a module reference, or an inline
 * function's source. Made by {@link describeTask}, turned back into a function by {@link resolveTask}.
 *
 * @example
 * ```ts
 * import { describeTask, type TaskDescriptor } from '@multiproc/process';
 * const descriptor: TaskDescriptor = describeTask((n: number) => n * 2);
 * console.log(descriptor.kind); // 'inline'
 * ```
 */
export type TaskDescriptor =
  | { readonly kind: 'ref'; readonly module: string; readonly name: string }
  | { readonly kind: 'inline'; readonly source: string; readonly name: string };

const TASK_REF = Symbol.for('multiproc.taskRef');
const REGISTRY = Symbol.for('multiproc.taskRegistry');
type RegistryHolder = { [REGISTRY]?: Map<string, Map<string, (...args: never[]) => unknown>> };

function registry(): Map<string, Map<string, (...args: never[]) => unknown>> {
  const holder = globalThis as RegistryHolder;
  return (holder[REGISTRY] ??= new Map());
}

const REVIVER_NAME = 'reviveTask';

/**
 * Declares the task functions of a module so that workers can run them, as Python pickles functions by
 * module and name. Returns the same functions, typed as they are, each tagged with `moduleUrl` and its key.
 *
 * A worker imports the task module to find the function, so if that module is also your entry script,
 * guard its top-level work with {@link isMainProcess} (Python's `if __name__ == "__main__"`).
 *
 * @param moduleUrl - always `import.meta.url` of the module that calls it.
 * @param tasks - the functions, by name. They may be async, and may use anything the module imports.
 * @returns the same object, functions tagged.
 * @throws {@link "@multiproc/transport"!InvalidArgumentError | InvalidArgumentError} when `moduleUrl` is not a URL or a value is not a function.
 * @example
 * ```ts
 * // tasks.ts
 * import { defineTasks } from '@multiproc/process';
 * export default defineTasks(import.meta.url, {
 *   square: (n: number) => n * n,
 *   async fetchLength(url: string) { return (await fetch(url)).headers.get('content-length'); },
 * });
 * ```
 * @see the "Task references" guide.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `any` lets unannotated parameters be typed any, not never
export function defineTasks<T extends Record<string, (...args: any[]) => unknown>>(moduleUrl: string, tasks: T): T {
  if (typeof moduleUrl !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(moduleUrl)) {
    throw new InvalidArgumentError(
      `defineTasks(moduleUrl, tasks) needs the task module's own import.meta.url as its first argument, got ${JSON.stringify(moduleUrl)}`,
    );
  }
  if (tasks === null || typeof tasks !== 'object') {
    throw new InvalidArgumentError('defineTasks(moduleUrl, tasks) needs an object of functions as its second argument');
  }
  let byName = registry().get(moduleUrl);
  if (!byName) {
    byName = new Map();
    registry().set(moduleUrl, byName);
  }
  for (const [name, fn] of Object.entries(tasks)) {
    if (typeof fn !== 'function') {
      throw new InvalidArgumentError(`defineTasks: tasks.${name} is ${typeof fn}, not a function`);
    }
    const existing = byName.get(name);
    if (existing !== undefined && existing !== fn) {
      throw new InvalidArgumentError(
        `defineTasks: the task name "${name}" is defined twice in ${moduleUrl}; task names must be unique per module`,
      );
    }
    byName.set(name, fn);
    const ref: TaskReference = { module: moduleUrl, name };
    Object.defineProperty(fn, TASK_REF, { value: ref, enumerable: false, configurable: true });
    Object.defineProperty(fn, describeShareable, {
      value: (): ShareDescriptor => ({ reviver: import.meta.url, name: REVIVER_NAME, data: ref }),
      enumerable: false,
      configurable: true,
    });
  }
  return tasks;
}

/**
 * The module and name a `defineTasks` function was defined under, or `undefined` for any other value.
 *
 * @param fn - a function.
 * @returns its {@link TaskReference}, if it has one.
 * @example
 * ```ts
 * import { defineTasks, taskReference } from '@multiproc/process';
 * const tasks = defineTasks(import.meta.url, { add: (a: number, b: number) => a + b });
 * console.log(taskReference(tasks.add)?.name); // 'add'
 * ```
 */
export function taskReference(fn: unknown): TaskReference | undefined {
  if (typeof fn !== 'function') return undefined;
  return (fn as unknown as Record<symbol, TaskReference | undefined>)[TASK_REF];
}

const NATIVE = /\{\s*\[native code\]\s*\}\s*$/;

/**
 * Turns a task into its cloneable descriptor (what travels to the worker).
 *
 * @param task - a `defineTasks` function, a self-contained inline function, or `{ module, name }`.
 * @param what - the name of the argument in error messages.
 * @returns the descriptor.
 * @throws {@link "@multiproc/transport"!InvalidArgumentError | InvalidArgumentError} for anything else (a bound or native function, a non-function).
 * @example
 * ```ts
 * import { describeTask } from '@multiproc/process';
 * describeTask((n: number) => n + 1); // { kind: 'inline', source: '(n) => n + 1', name: '' }
 * ```
 */
export function describeTask(task: unknown, what = 'target'): TaskDescriptor {
  if (typeof task === 'function') {
    const ref = taskReference(task);
    if (ref) return { kind: 'ref', module: ref.module, name: ref.name };
    const source = Function.prototype.toString.call(task);
    if (NATIVE.test(source)) {
      throw new InvalidArgumentError(
        `${what} is a native or bound function (${task.name || 'anonymous'}), which cannot be sent to a worker: ` +
          'wrap it in a self-contained function or define it with defineTasks()',
      );
    }
    return { kind: 'inline', source, name: task.name };
  }
  if (task !== null && typeof task === 'object') {
    const { module, name } = task as Partial<TaskReference>;
    if (typeof module === 'string' && typeof name === 'string') {
      return { kind: 'ref', module: toModuleUrl(module), name };
    }
  }
  throw new InvalidArgumentError(
    `${what} must be a function from defineTasks(), a self-contained inline function, or { module, name }; got ${describeValue(task)}`,
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without string module and name' : typeof value;
}

/** @internal Absolute paths become file URLs; URLs stay as they are. */
export function toModuleUrl(module: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module;
  if (module.startsWith('/') || /^[a-z]:[\\/]/i.test(module)) {
    return new URL(`file://${module.startsWith('/') ? '' : '/'}${module.replace(/\\/g, '/')}`).href;
  }
  throw new InvalidArgumentError(`task module must be a URL or an absolute path, got ${JSON.stringify(module)}`);
}

const TS_MODULE = /\.(c|m)?tsx?$/i;

/** @internal Whether this Node.js can load TypeScript in a worker thread by stripping types. */
export function nodeStripsTypes(): boolean {
  const features = process.features as { typescript?: unknown };
  return typeof features.typescript === 'string' && features.typescript !== '';
}

/** @internal Throws when a thread worker is asked to load a TypeScript module it cannot load. */
export function checkLoadable(descriptor: TaskDescriptor, runtime: 'thread' | 'process'): void {
  if (descriptor.kind !== 'ref' || runtime !== 'thread') return;
  let pathname = descriptor.module;
  try {
    pathname = new URL(descriptor.module).pathname;
  } catch {
    // not a URL: check the string as it is
  }
  if (TS_MODULE.test(pathname) && !nodeStripsTypes()) {
    throw new UnsupportedError(
      `the task module ${descriptor.module} is TypeScript, and worker threads on Node.js ${process.versions.node} cannot load .ts files ` +
        '(Node.js strips types itself from 22.18). Either build your task module to JavaScript and import the built file, ' +
        "use runtime: 'process' with a TypeScript loader (e.g. run node with --import tsx; child processes inherit it), " +
        'or upgrade to Node.js 22.18+.',
    );
  }
}

const INLINE_HINT =
  ' (inline tasks are sent to the worker as source text and cannot capture variables from the scope they were written in: ' +
  'pass values as arguments, import what you need inside the task module, or define the task with defineTasks())';

function nameHelper<T>(fn: T, value: string): T {
  try {
    Object.defineProperty(fn, 'name', { value, configurable: true });
  } catch {
    // frozen or non-configurable: leave the name alone
  }
  return fn;
}

/**
 * Helpers that build tools insert into the source of the functions they compile, provided in the scope
 * of compiled inline tasks: `__name` (esbuild's keepNames, used by tsx and vitest) and Vite's SSR
 * `import()` rewrite (vitest).
 */
const TOOL_HELPER_NAMES = ['__name', '__vite_ssr_dynamic_import__'];
const TOOL_HELPERS: unknown[] = [nameHelper, (specifier: string) => import(specifier)];

const compiled = new Map<string, (...args: unknown[]) => unknown>();

function compileInline(source: string, name: string): (...args: unknown[]) => unknown {
  const cached = compiled.get(source);
  if (cached) return cached;
  let fn: unknown;
  try {
    fn = new Function(...TOOL_HELPER_NAMES, `"use strict"; return (${source});`)(...TOOL_HELPERS);
  } catch {
    // A method shorthand (`square(n) { ... }`) is not an expression on its own.
    try {
      fn = new Function(...TOOL_HELPER_NAMES, `"use strict"; const o = { ${source} }; return o[Object.keys(o)[0]];`)(
        ...TOOL_HELPERS,
      );
    } catch (error) {
      throw new InvalidArgumentError(`the inline task ${name || '(anonymous)'} could not be compiled in the worker`, {
        cause: error,
      });
    }
  }
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError(`the inline task ${name || '(anonymous)'} did not compile to a function`);
  }
  const wrapped = (...args: unknown[]): unknown => {
    try {
      const result = (fn as (...a: unknown[]) => unknown)(...args);
      if (result !== null && typeof (result as Promise<unknown>)?.then === 'function') {
        return (result as Promise<unknown>).then(undefined, (error: unknown) => {
          throw hintInline(error);
        });
      }
      return result;
    } catch (error) {
      throw hintInline(error);
    }
  };
  compiled.set(source, wrapped);
  return wrapped;
}

function hintInline(error: unknown): unknown {
  if (error instanceof ReferenceError && !error.message.includes(INLINE_HINT)) {
    error.message += INLINE_HINT;
    if (typeof error.stack === 'string') {
      const firstLine = error.stack.indexOf('\n');
      error.stack = `ReferenceError: ${error.message}${firstLine >= 0 ? error.stack.slice(firstLine) : ''}`;
    }
  }
  return error;
}

function isUnknownExtension(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'ERR_UNKNOWN_FILE_EXTENSION';
}

/**
 * Finds the function a descriptor stands for, importing its module if needed (worker side).
 *
 * @param descriptor - from {@link describeTask}.
 * @returns the function.
 * @throws {@link "@multiproc/transport"!InvalidArgumentError | InvalidArgumentError} when the module has no such task; {@link "@multiproc/transport"!UnsupportedError | UnsupportedError} for
 *   TypeScript on a Node.js that cannot load it.
 * @example
 * ```ts
 * import { describeTask, resolveTask } from '@multiproc/process';
 * const fn = await resolveTask(describeTask((a: number, b: number) => a * b));
 * console.log(fn(6, 7)); // 42
 * ```
 */
export async function resolveTask(descriptor: TaskDescriptor): Promise<(...args: unknown[]) => unknown> {
  if (descriptor.kind === 'inline') return compileInline(descriptor.source, descriptor.name);
  const found = lookup(descriptor.module, descriptor.name);
  if (found) return found;
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(descriptor.module)) as Record<string, unknown>;
  } catch (error) {
    if (isUnknownExtension(error)) {
      checkLoadable(descriptor, 'thread');
    }
    throw error;
  }
  const afterImport = lookup(descriptor.module, descriptor.name);
  if (afterImport) return afterImport;
  const named = namespace[descriptor.name];
  if (typeof named === 'function') return named as (...args: unknown[]) => unknown;
  const fromDefault = (namespace['default'] as Record<string, unknown> | undefined)?.[descriptor.name];
  if (typeof fromDefault === 'function') return fromDefault as (...args: unknown[]) => unknown;
  throw new InvalidArgumentError(
    `the module ${descriptor.module} has no task named "${descriptor.name}" (neither defined with defineTasks nor exported)`,
  );
}

/** @internal Synchronous lookup of an already-loaded task. */
export function lookupTask(descriptor: TaskDescriptor): ((...args: unknown[]) => unknown) | undefined {
  if (descriptor.kind === 'inline') return compileInline(descriptor.source, descriptor.name);
  return lookup(descriptor.module, descriptor.name);
}

function lookup(module: string, name: string): ((...args: unknown[]) => unknown) | undefined {
  return registry().get(module)?.get(name) as ((...args: unknown[]) => unknown) | undefined;
}

/**
 * Revives a task function that travelled as a shareable handle: the result is callable at once and
 * imports the task module on first call (so it always returns a promise).
 *
 * @param data - the {@link TaskReference} from the descriptor.
 * @returns a function that runs the task.
 * @example
 * ```ts
 * import { reviveTask } from '@multiproc/process';
 * const square = reviveTask({ module: new URL('./tasks.js', import.meta.url).href, name: 'square' });
 * ```
 */
export function reviveTask(data: unknown): (...args: unknown[]) => Promise<unknown> {
  const ref = data as TaskReference;
  const descriptor: TaskDescriptor = { kind: 'ref', module: ref.module, name: ref.name };
  const run = async (...args: unknown[]): Promise<unknown> => (await resolveTask(descriptor))(...args);
  Object.defineProperty(run, TASK_REF, { value: ref, enumerable: false });
  Object.defineProperty(run, describeShareable, {
    value: (): ShareDescriptor => ({ reviver: import.meta.url, name: REVIVER_NAME, data: ref }),
    enumerable: false,
  });
  Object.defineProperty(run, 'name', { value: ref.name });
  return run;
}

registerReviver(import.meta.url, REVIVER_NAME, reviveTask);
