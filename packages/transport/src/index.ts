/**
 * `@multiproc/transport`: the common Transport interface of multiproc, its built-in implementations,
 * the codec, the multiplexer, the shareable-handle protocol and the base error class.
 *
 * @packageDocumentation
 */
export { BaseTransport, isTransport } from './transport.js';
export type { Transport, TransportCapabilities, TransferListItem } from './transport.js';
export { MessagePortTransport } from './message-port-transport.js';
export { ChildProcessTransport } from './child-process-transport.js';
export type { IpcEndpoint } from './child-process-transport.js';
export { StreamTransport, DEFAULT_MAX_FRAME_BYTES } from './stream-transport.js';
export type { StreamTransportOptions } from './stream-transport.js';
export { createMemoryTransportPair } from './memory-transport.js';
export {
  CODEC_TAG,
  decode,
  decodeAsync,
  describeShareable,
  encode,
  loadRevivers,
  registerReviver,
  serializeError,
} from './codec.js';
export type {
  DecodeOptions,
  EncodeOptions,
  Encoded,
  RemoteObjects,
  ReviveContext,
  Reviver,
  ServedObject,
  Shareable,
  ShareContext,
  ShareDescriptor,
} from './codec.js';
export { canBlock, keepAliveUntil, notify, SPIN_ITERATIONS, waitAsync, waitSync } from './atomics.js';
export { registerBlockingHook } from './internal/sync-caller.js';
export type { WaitResult } from './atomics.js';
export { CHANNELS, Multiplexer, SHARE_CHANNEL, hasErrorCode, replyWithTransfer } from './multiplexer.js';
export type { MuxRequestOptions, MuxSendOptions, ReplyWithTransfer } from './multiplexer.js';
export {
  AbortError,
  ClosedError,
  InvalidArgumentError,
  InvalidStateError,
  MultiprocError,
  NotCloneableError,
  ProtocolError,
  TimeoutError,
  UnsupportedError,
  registerErrorClass,
} from './errors.js';
export type { MultiprocErrorOptions } from './errors.js';
