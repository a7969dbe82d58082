/**
 * A {@link Transport} over a worker_threads `MessagePort` (one end of a `MessageChannel`). Used between
 * worker threads and the main thread; SharedArrayBuffers sent through it are shared, not copied, and
 * ArrayBuffers listed in `transfer` move.
 *
 * @packageDocumentation
 */
import type { MessagePort, TransferListItem } from 'node:worker_threads';
import { NotCloneableError } from './errors.js';
import { BaseTransport, type TransportCapabilities } from './transport.js';

// Built-ins come from process.getBuiltinModule, not `import`: an ESM import of a built-in builds a module
// wrapper of all its exports, which every new worker pays for at start.
const { receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');

/**
 * A {@link Transport} over one end of a worker_threads `MessageChannel`.
 *
 * @example
 * ```ts
 * import { MessageChannel } from 'node:worker_threads';
 * import { MessagePortTransport } from '@multiproc/transport';
 * const { port1, port2 } = new MessageChannel();
 * const a = new MessagePortTransport(port1);
 * const b = new MessagePortTransport(port2);
 * b.onMessage((message) => { console.log(message); a.close(); });
 * a.send(new Map([['answer', 42]]));
 * ```
 */
export class MessagePortTransport extends BaseTransport {
  /** Threads share memory and can transfer buffers. */
  readonly capabilities: TransportCapabilities = { sharedMemory: true, transfer: true };
  /** The underlying port. */
  readonly port: MessagePort;
  #listening = false;

  /**
   * @param port - one end of a `MessageChannel`; the transport owns it from now on.
   */
  constructor(port: MessagePort) {
    super();
    this.port = port;
    port.once('close', () => this.markClosed());
  }

  protected override get label(): string {
    return 'MessagePort transport';
  }

  /**
   * Delivers one message already waiting on the port to the listeners, synchronously (Node's
   * `receiveMessageOnPort`), so a reader can spin for an answer instead of sleeping until the event loop
   * wakes it. Returns `false` when no message was waiting, no listener is attached or the port is closed.
   *
   * @example
   * ```ts
   * import { MessageChannel } from 'node:worker_threads';
   * import { MessagePortTransport } from '@multiproc/transport';
   * const { port1, port2 } = new MessageChannel();
   * const a = new MessagePortTransport(port1);
   * const b = new MessagePortTransport(port2);
   * b.onMessage((message) => console.log('got', message));
   * a.send('hi');
   * while (!b.poll()) {} // 'got hi' is printed here, before the event loop runs
   * a.close();
   * ```
   */
  poll(): boolean {
    if (this.closed || !this.hasMessageListeners) return false;
    const received = receiveMessageOnPort(this.port);
    if (received === undefined) return false;
    this.deliver(received.message);
    return true;
  }

  protected sendNow(message: unknown, transfer: readonly TransferListItem[]): void {
    for (let i = 0; i < transfer.length; i++) {
      // Node posts such a message without an error and the receiving side drops it ('messageerror'):
      // refuse it here, where the sender can still be told.
      if (isDetached(transfer[i] as TransferListItem)) throw new NotCloneableError(`transfer[${i}]`, 'an ArrayBuffer already transferred elsewhere (detached)');
    }
    this.port.postMessage(message, transfer);
  }

  protected closeNow(): void {
    this.port.close();
  }

  protected override listenersChanged(): void {
    if (!this.#listening && this.hasMessageListeners && !this.closed) {
      this.#listening = true;
      this.port.on('message', (message: unknown) => this.deliver(message));
    }
    super.listenersChanged();
  }

  protected setRef(keepAlive: boolean): void {
    if (keepAlive) this.port.ref();
    else this.port.unref();
  }
}

/** Whether `item` is an ArrayBuffer that was transferred away (`ArrayBuffer.prototype.detached` is Node 21+). */
function isDetached(item: TransferListItem): boolean {
  if (!(item instanceof ArrayBuffer) || item.byteLength !== 0) return false;
  const flag = (item as { detached?: boolean }).detached;
  if (flag !== undefined) return flag;
  try {
    new Uint8Array(item);
    return false;
  } catch {
    return true;
  }
}
