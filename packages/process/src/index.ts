/**
 * `@multiproc/process`: Python's `multiprocessing.Process` for Node.js, task references that carry
 * functions to workers, and the functions that tell a process where it is.
 *
 * @packageDocumentation
 */
export { Process, activeChildren } from './process.js';
export type { ProcessOptions } from './process.js';
export { defineTasks, describeTask, resolveTask, reviveTask, taskReference } from './tasks.js';
export type { Task, TaskArgs, TaskDescriptor, TaskReference, TaskResult } from './tasks.js';
export { setDefaultRuntime, getDefaultRuntime, setWarmStandby } from './runtime.js';
export type { Runtime } from './runtime.js';
export { cpuCount, currentProcess, isMainProcess, parentConnection, parentProcess } from './context.js';
export type { ParentProcessInfo, ProcessInfo } from './context.js';
export { ProcessError } from './errors.js';
