/**
 * `@multiproc/process`: Python's `multiprocessing.Process` for Node.js, task references that carry
 * functions to workers, and the functions that tell a process where it is.
 *
 * @packageDocumentation
 */
import { WORKER_BOOT } from './internal/boot.js';
import { workerBoot } from './internal/child.js';

export { Process, activeChildren } from './process.js';
export type { ProcessOptions } from './process.js';
export { defineTasks, describeTask, resolveTask, reviveTask, taskReference } from './tasks.js';
export type { Task, TaskArgs, TaskDescriptor, TaskReference, TaskResult } from './tasks.js';
export { setDefaultRuntime, getDefaultRuntime, setWarmStandby } from './runtime.js';
export type { Runtime } from './runtime.js';
export { cpuCount, currentProcess, isMainProcess, parentConnection, parentProcess } from './context.js';
export type { ParentProcessInfo, ProcessInfo } from './context.js';
export { ProcessError } from './errors.js';

// For the worker bootstrap entries, which import this file rather than carrying a copy of the worker side.
(globalThis as { [WORKER_BOOT]?: unknown })[WORKER_BOOT] = workerBoot;
