/**
 * An in-memory pair of {@link Transport}s in one thread, for tests and for integrators who want to see
 * the contract work without threads. Messages are structured-cloned (as a real boundary would) and
 * delivered asynchronously, in order.
 *
 * @packageDocumentation
 */
import { BaseTransport, type TransportCapabilities } from './transport.js';
import type { TransferListItem } from 'node:worker_threads';

class MemoryTransport extends BaseTransport {
  readonly capabilities: TransportCapabilities = { sharedMemory: true, transfer: true };
  peer: MemoryTransport | undefined;
  #queue: unknown[] = [];
  #scheduled = false;

  protected override get label(): string {
    return 'in-memory transport';
  }

  protected sendNow(message: unknown, transfer: readonly TransferListItem[]): void {
    const copy = structuredClone(message, { transfer: transfer as TransferListItem[] });
    this.peer?.enqueue(copy);
  }

  enqueue(message: unknown): void {
    this.#queue.push(message);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const batch = this.#queue;
      this.#queue = [];
      for (const item of batch) {
        if (this.closed) return;
        this.deliver(item);
      }
    });
  }

  protected closeNow(): void {
    const peer = this.peer;
    setImmediate(() => {
      this.markClosed();
      if (peer && !peer.closed) peer.closeFromPeer();
    });
  }

  closeFromPeer(): void {
    this.close();
  }

  protected setRef(): void {
    // Nothing here holds Node.js open: deliveries are one-shot setImmediate callbacks.
  }
}

/**
 * Creates two connected in-memory {@link Transport}s: what one sends, the other receives.
 *
 * @returns the two ends.
 * @example
 * ```ts
 * import { createMemoryTransportPair } from '@multiproc/transport';
 * const [left, right] = createMemoryTransportPair();
 * right.onMessage((message) => console.log(message)); // { n: 1 }
 * left.send({ n: 1 });
 * ```
 */
export function createMemoryTransportPair(): [BaseTransport, BaseTransport] {
  const a = new MemoryTransport();
  const b = new MemoryTransport();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
