/**
 * `multiproc`: Python's `multiprocessing` for TypeScript on Node.js, in one install. Every public export of
 * `@multiproc/transport`, `@multiproc/process`, `@multiproc/pool`, `@multiproc/channel`, `@multiproc/sync` and
 * `@multiproc/shared` is re-exported here unchanged (the same classes, not copies: a `Queue` from `multiproc`
 * is a `Queue` from `@multiproc/channel`), plus Python's context API: `getContext`, `setStartMethod`,
 * `getStartMethod`, `getAllStartMethods`.
 *
 * Name clashes, resolved on purpose: the only name two packages export is `ClosedError`, which
 * `@multiproc/channel` re-exports from `@multiproc/transport`; it is one class, exported here once. Python's
 * `Array` is `SharedArray` (an export named `Array` would shadow the global). `Event` (from `@multiproc/sync`)
 * shadows Node's global DOM-style `Event` in a module that imports it; import it under another name
 * (`import { Event as MpEvent } from 'multiproc'`) if that module also needs the global. Every re-export is
 * listed by name (a test checks the lists are complete and each value is the package's own), so a name that
 * two packages come to export is a decision made here, not a silent `export *` ambiguity.
 *
 * @packageDocumentation
 */
// @multiproc/transport: the Transport interface, its implementations, the codec, the multiplexer, the shareable-handle protocol, the base error classes.
export {
  AbortError,
  BaseTransport,
  canBlock,
  CHANNELS,
  ChildProcessTransport,
  ClosedError,
  CODEC_TAG,
  createMemoryTransportPair,
  decode,
  decodeAsync,
  DEFAULT_MAX_FRAME_BYTES,
  describeShareable,
  encode,
  hasErrorCode,
  InvalidArgumentError,
  InvalidStateError,
  isTransport,
  keepAliveUntil,
  loadRevivers,
  MessagePortTransport,
  Multiplexer,
  MultiprocError,
  NotCloneableError,
  notify,
  ProtocolError,
  registerBlockingHook,
  registerErrorClass,
  registerReviver,
  replyWithTransfer,
  serializeError,
  SHARE_CHANNEL,
  SPIN_ITERATIONS,
  StreamTransport,
  TimeoutError,
  UnsupportedError,
  waitAsync,
  waitSync,
} from '@multiproc/transport';
export type {
  DecodeOptions,
  Encoded,
  EncodeOptions,
  IpcEndpoint,
  MultiprocErrorOptions,
  MuxRequestOptions,
  MuxSendOptions,
  RemoteObjects,
  ReplyWithTransfer,
  ReviveContext,
  Reviver,
  ServedObject,
  Shareable,
  ShareContext,
  ShareDescriptor,
  StreamTransportOptions,
  TransferListItem,
  Transport,
  TransportCapabilities,
  WaitResult,
} from '@multiproc/transport';

// @multiproc/process: Process, task references, runtimes, where-am-I functions.
export {
  activeChildren,
  cpuCount,
  currentProcess,
  defineTasks,
  describeTask,
  getDefaultRuntime,
  isMainProcess,
  parentConnection,
  parentProcess,
  Process,
  ProcessError,
  resolveTask,
  reviveTask,
  setDefaultRuntime,
  setWarmStandby,
  taskReference,
} from '@multiproc/process';
export type {
  ParentProcessInfo,
  ProcessInfo,
  ProcessOptions,
  Runtime,
  Task,
  TaskArgs,
  TaskDescriptor,
  TaskReference,
  TaskResult,
} from '@multiproc/process';

// @multiproc/pool: Pool and AsyncResult.
export {
  AsyncResult,
  Pool,
  PoolBrokenError,
  WorkerCrashedError,
} from '@multiproc/pool';
export type {
  AsyncCallOptions,
  CallOptions,
  PoolOptions,
  PoolTask,
  WorkerExit,
} from '@multiproc/pool';

// @multiproc/channel: Queue, SimpleQueue, JoinableQueue, Pipe/Connection (ClosedError comes from transport, above: it is the same class).
export {
  Connection,
  EmptyError,
  EOFError,
  FullError,
  JoinableQueue,
  Pipe,
  Queue,
  SimpleQueue,
} from '@multiproc/channel';
export type {
  GetOptions,
  PutOptions,
} from '@multiproc/channel';

// @multiproc/sync: Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event, Barrier.
export {
  AbandonedLockError,
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  Condition,
  Event,
  Lock,
  LockNotHeldError,
  OverReleaseError,
  RLock,
  Semaphore,
} from '@multiproc/sync';
export type {
  AcquireOptions,
  BarrierOptions,
  LockGuard,
  LockOptions,
} from '@multiproc/sync';

// @multiproc/shared: Value, SharedArray, RawValue, RawArray, SharedMemory, ShareableList.
export {
  RawArray,
  RawValue,
  ShareableList,
  SharedArray,
  SharedMemory,
  SharedMemoryExistsError,
  SharedMemoryNotFoundError,
  typecodeInfo,
  Value,
} from '@multiproc/shared';
export type {
  PythonTypecode,
  ShareableItem,
  SharedMemoryOptions,
  SyncOptions,
  Typecode,
  TypecodeInfo,
  TypecodeName,
  TypedView,
  ValueOf,
  ViewOf,
} from '@multiproc/shared';

// Python's context API (this package's own).
export { getAllStartMethods, getContext, getStartMethod, setStartMethod } from './context.js';
export type { Context, GetStartMethodOptions, SetStartMethodOptions } from './context.js';
export { ContextAlreadySetError } from './errors.js';
