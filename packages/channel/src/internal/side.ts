/**
 * The side path of a ring, for items that cannot be bytes: values holding shared memory (shareable
 * handles such as another Queue, a Lock or a SharedArrayBuffer). Such an item is put into the ring as a
 * ticket, and its value travels by structured clone through the ring's owner: the thread that created
 * the ring keeps a BroadcastChannel named after it, producers in other threads post the value there,
 * and the consumer that takes the ticket asks the owner for it. `receiveMessageOnPort` reads the channel
 * synchronously, so a blocking `getSync` works too. The channel is unref'd except while an async
 * caller waits on it.
 */
import { BroadcastChannel, receiveMessageOnPort } from 'node:worker_threads';
import { ClosedError } from '@multiproc/transport';

const PUT = 0;
const REQUEST = 1;
const ITEM = 2;

type Message = [kind: number, ticket: number, value?: unknown, special?: number];
type Entry = [value: unknown, special: number];

const LIVE = 2;
const UNAVAILABLE = 3;

/** How long a blocking fetch waits for a value whose ticket it holds before giving up. */
const FETCH_LIMIT_MS = 60_000;
const nap = new Int32Array(new SharedArrayBuffer(4));

/** One thread's end of a ring's side path. */
export class SideHub {
  readonly owner: boolean;
  readonly #channel: BroadcastChannel;
  /** Owner: values deposited and not yet asked for. */
  readonly #store = new Map<number, Entry>();
  /** Owner: tickets another thread asked for before their value arrived. */
  readonly #requested = new Set<number>();
  /** Tickets this thread waits for, and what arrived for them. */
  readonly #wanted = new Map<number, Entry | undefined>();
  readonly #waiters = new Map<number, (entry: Entry) => void>();
  #closed = false;

  constructor(id: string, owner: boolean) {
    this.owner = owner;
    this.#channel = new BroadcastChannel(`multiproc.channel.${id}`);
    this.#channel.onmessage = (event) => this.#handle((event as MessageEvent).data as Message);
    this.#channel.unref();
  }

  /** Hands a value to the side path under `ticket`. */
  deposit(ticket: number, value: unknown, special: number): void {
    if (this.owner) this.#onPut(ticket, [value, special]);
    else this.#channel.postMessage([PUT, ticket, value, special] satisfies Message);
  }

  /** Fetches the value of `ticket`, waiting for it to arrive. */
  fetch(ticket: number): Promise<Entry> {
    const ready = this.#take(ticket);
    if (ready) return Promise.resolve(ready);
    return new Promise<Entry>((resolve) => {
      if (this.#waiters.size === 0) this.#channel.ref();
      this.#waiters.set(ticket, (entry) => {
        this.#waiters.delete(ticket);
        if (this.#waiters.size === 0) this.#channel.unref();
        resolve(entry);
      });
    });
  }

  /** Fetches the value of `ticket`, blocking this thread until it arrives. */
  fetchSync(ticket: number): Entry {
    const deadline = Date.now() + FETCH_LIMIT_MS;
    let ready = this.#take(ticket);
    while (!ready) {
      const message = receiveMessageOnPort(this.#channel as never);
      if (message) {
        this.#handle(message.message as Message);
      } else {
        if (Date.now() > deadline) {
          throw new ClosedError(
            `an item taken from the queue never arrived on its side path within ${FETCH_LIMIT_MS} ms: the thread that put it, or the thread that created the queue, has exited`,
          );
        }
        Atomics.wait(nap, 0, 0, 0.2);
      }
      ready = this.owner ? this.#fromStore(ticket) : this.#fromArrived(ticket);
    }
    return ready;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.close();
  }

  #take(ticket: number): Entry | undefined {
    if (this.owner) return this.#fromStore(ticket);
    if (!this.#wanted.has(ticket)) {
      this.#wanted.set(ticket, undefined);
      this.#channel.postMessage([REQUEST, ticket] satisfies Message);
    }
    return this.#fromArrived(ticket);
  }

  #fromStore(ticket: number): Entry | undefined {
    const entry = this.#store.get(ticket);
    if (entry) this.#store.delete(ticket);
    return entry;
  }

  #fromArrived(ticket: number): Entry | undefined {
    const entry = this.#wanted.get(ticket);
    if (entry) this.#wanted.delete(ticket);
    return entry;
  }

  #onPut(ticket: number, entry: Entry): void {
    const waiter = this.#waiters.get(ticket);
    if (waiter) {
      waiter(entry);
    } else if (this.#requested.delete(ticket)) {
      this.#reply(ticket, entry);
    } else {
      this.#store.set(ticket, entry);
    }
  }

  /** Sends a value to the thread that asked for it (a live value cannot travel: say so instead). */
  #reply(ticket: number, entry: Entry): void {
    if (entry[1] === LIVE) this.#channel.postMessage([ITEM, ticket, undefined, UNAVAILABLE] satisfies Message);
    else this.#channel.postMessage([ITEM, ticket, entry[0], entry[1]] satisfies Message);
  }

  #handle(message: Message): void {
    const [kind, ticket] = message;
    if (kind === PUT) {
      if (this.owner) this.#onPut(ticket, [message[2], message[3] ?? 0]);
    } else if (kind === REQUEST) {
      if (!this.owner) return;
      const entry = this.#fromStore(ticket);
      if (entry) this.#reply(ticket, entry);
      else this.#requested.add(ticket);
    } else if (kind === ITEM) {
      if (this.owner || !this.#wanted.has(ticket)) return;
      const entry: Entry = [message[2], message[3] ?? 0];
      const waiter = this.#waiters.get(ticket);
      if (waiter) {
        this.#wanted.delete(ticket);
        waiter(entry);
      } else {
        this.#wanted.set(ticket, entry);
      }
    }
  }
}
