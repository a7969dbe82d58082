/**
 * A {@link Transport} over the IPC channel of a child process created with `child_process.fork` (or
 * `spawn` with an `'ipc'` stdio entry), from either side: the parent wraps the `ChildProcess`, the child
 * wraps its own `process`. Fork with `serialization: 'advanced'` so Maps, Sets, BigInts, typed arrays
 * and errors survive; with the default JSON serialization only JSON values do.
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { InvalidArgumentError } from './errors.js';
import { BaseTransport, type TransportCapabilities } from './transport.js';

/**
 * Either side of an IPC channel: a `ChildProcess` in the parent, `process` in the child.
 *
 * @example
 * ```ts
 * import { ChildProcessTransport, type IpcEndpoint } from '@multiproc/transport';
 * // Inside a child started with child_process.fork(..., { serialization: 'advanced' }):
 * const endpoint: IpcEndpoint = process;
 * const toParent = new ChildProcessTransport(endpoint);
 * toParent.send({ ready: true });
 * ```
 */
export type IpcEndpoint = ChildProcess | NodeJS.Process;

/**
 * A {@link Transport} over a child process's IPC channel. Memory is not shared and nothing is
 * transferred: `transfer` lists are accepted and the buffers are copied.
 *
 * @example
 * ```ts
 * import { fork } from 'node:child_process';
 * import { ChildProcessTransport } from '@multiproc/transport';
 * const child = fork('./child.js', { serialization: 'advanced' });
 * const transport = new ChildProcessTransport(child);
 * transport.onMessage((message) => { console.log(message); transport.close(); });
 * transport.send({ hello: 'child' });
 * ```
 */
export class ChildProcessTransport extends BaseTransport {
  /** Processes share no memory and copy buffers. */
  readonly capabilities: TransportCapabilities = { sharedMemory: false, transfer: false };
  /** The wrapped endpoint. */
  readonly endpoint: IpcEndpoint;
  #listening = false;
  readonly #onDisconnect = (): void => this.markClosed();

  /**
   * @param endpoint - a `ChildProcess` with an IPC channel, or `process` inside a forked child.
   * @throws {@link InvalidArgumentError} when the endpoint has no IPC channel.
   */
  constructor(endpoint: IpcEndpoint) {
    super();
    if (typeof endpoint.send !== 'function') {
      throw new InvalidArgumentError(
        'ChildProcessTransport needs an IPC channel: fork the child with child_process.fork() (or add "ipc" to stdio)',
      );
    }
    this.endpoint = endpoint;
    if (!endpoint.connected) {
      setImmediate(() => this.markClosed());
    } else {
      endpoint.once('disconnect', this.#onDisconnect);
      // In a child, Node.js refs the IPC channel while `process` has a 'message' or 'disconnect'
      // listener, so the listener above alone would keep the child alive. Take over: the channel
      // keeps Node.js alive only while this transport has message listeners and is ref'd.
      this.setRef(false);
    }
  }

  protected override get label(): string {
    return 'child-process IPC transport';
  }

  protected sendNow(message: unknown): void {
    if (!this.endpoint.connected) {
      this.markClosed();
      // re-run the closed check so the caller gets the typed error
      this.send(message);
      return;
    }
    (this.endpoint.send as (message: unknown, callback: (error: Error | null) => void) => boolean)(
      message,
      (error) => {
        if (error) this.markClosed();
      },
    );
  }

  protected closeNow(): void {
    if (this.endpoint.connected) this.endpoint.disconnect?.();
    else this.markClosed();
  }

  protected override listenersChanged(): void {
    if (!this.#listening && this.hasMessageListeners && !this.closed) {
      this.#listening = true;
      this.endpoint.on('message', (message: unknown) => this.deliver(message));
    }
    super.listenersChanged();
  }

  protected override markClosed(): void {
    this.endpoint.removeListener('disconnect', this.#onDisconnect);
    super.markClosed();
  }

  protected setRef(keepAlive: boolean): void {
    const channel = (this.endpoint as { channel?: { ref?(): void; unref?(): void } | null }).channel;
    if (!channel) return;
    if (keepAlive) channel.ref?.();
    else channel.unref?.();
  }
}
