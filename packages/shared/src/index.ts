/**
 * `@multiproc/shared`: Python's `multiprocessing` shared memory for Node.js — `Value`, `SharedArray`
 * (Python's `Array`), `RawValue`, `RawArray`, `SharedMemory` and `ShareableList` — over SharedArrayBuffers
 * between worker threads, and served to child processes by their owner as proxies with the same API (only
 * `view`, `buf` and `shm` need memory that is really shared).
 *
 * @packageDocumentation
 */
export { Value } from './value.js';
export type { SyncOptions } from './value.js';
export { RawValue } from './raw-value.js';
export { SharedArray } from './shared-array.js';
export { RawArray } from './raw-array.js';
export { SharedMemory } from './shared-memory.js';
export type { SharedMemoryOptions } from './shared-memory.js';
export { ShareableList } from './shareable-list.js';
export type { ShareableItem } from './shareable-list.js';
export { typecodeInfo } from './typecodes.js';
export type { PythonTypecode, Typecode, TypecodeInfo, TypecodeName, TypedView, ValueOf, ViewOf } from './typecodes.js';
export { SharedMemoryExistsError, SharedMemoryNotFoundError } from './errors.js';
