/**
 * The shared-memory core of every queue and pipe: a FIFO of variable-length records in a growable
 * SharedArrayBuffer, usable by any number of threads at once (multi-producer, multi-consumer).
 *
 * A record is `[length: u32 LE][kind: u8][payload]`, written around the end of the buffer as needed.
 *
 * Two locks, as in Michael and Scott's two-lock queue: producers serialise on the put lock, consumers on
 * the take lock, and the two sides share no word they both write. Each side's words live on a cache line of
 * their own (the put side: its lock, the write position, the items and bytes put; the take side: its lock,
 * the read position, the items and bytes taken), so a producer and a consumer running at once on two cores
 * do not pull one line back and forth on every item (with one lock and one count, that cost about two
 * thirds of the throughput). A producer publishes a record by storing the new put count after writing it;
 * a consumer frees its bytes by storing the new taken-bytes count after reading it. Each side keeps the
 * last value it read of the other side's count and reads the shared word again only when that stale value
 * says empty (consumer) or full (producer): stale values only err on the safe side, since counts only grow.
 *
 * Blocking callers wait on two futex words, `ITEMS` and `SPACE`, which the other side bumps (and
 * notifies) only when the waiter count says someone waits: a waiter counts itself in before it reads
 * the word and re-checks, so a put or get that sees no waiter needs neither. Close bumps both always.
 * Data views are fixed-length views re-made when the capacity changes: element access through a
 * length-tracking view of a growable SharedArrayBuffer is an order of magnitude slower on Node 20.
 * When a put does not fit, the data buffer grows (it is a growable SharedArrayBuffer, so every thread
 * sees the new length) up to `maxBytes`, under both locks; an unbounded queue therefore never blocks
 * below that size.
 */
import { InvalidArgumentError, notify, waitSync } from '@multiproc/transport';

/** Int32 indices of the header: one 64-byte cache line (16 ints) per group. */
// The put side (written by producers only, under PUT_LOCK).
const PUT_LOCK = 0;
/** Byte offset of the next record to write. */
export const TAIL = 1;
/** Records put so far (wraps around 2^32; published with a seq-cst store after the record is written). */
export const PUT_SEQ = 2;
/** Bytes put so far (wraps around 2^32). */
export const PUT_BYTES = 3;
// The take side (written by consumers only, under TAKE_LOCK).
const TAKE_LOCK = 16;
/** Byte offset of the next record to read. */
export const HEAD = 17;
/** Records taken so far (wraps around 2^32). */
export const TAKE_SEQ = 18;
/** Bytes taken so far (wraps around 2^32; published after the record is read). */
export const TAKE_BYTES = 19;
// Written rarely (grow, close).
const CAP = 32;
export const FLAGS = 33;
const MAXSIZE = 34;
// Written by waiters and wakers, the side path, JoinableQueue and reservations.
export const GET_WAITERS = 48;
export const PUT_WAITERS = 49;
export const ITEMS = 50;
export const SPACE = 51;
export const TICKET = 52;
export const UNFINISHED = 53;
/**
 * Slots reserved for items that producers in other processes have committed (their `put` resolved) but
 * that are still on their way (see backend.ts): a bounded queue counts them as taken, and a closed queue
 * is not drained while any is outstanding.
 */
export const PENDING = 54;
const HEADER_INTS = 64;

/** FLAGS bits: the writers are done (queue closed, or the writing end of a pipe closed). */
export const FLAG_CLOSED = 1;
/** FLAGS bits: the reading end of a pipe closed (a send is a broken pipe). */
export const FLAG_READER_CLOSED = 2;

/** Record kinds. */
export const enum Kind {
  Undefined = 0,
  Null = 1,
  True = 2,
  False = 3,
  Number = 4,
  String = 5,
  V8 = 6,
  V8Codec = 7,
  Side = 8,
  Bytes = 9,
  Json = 10,
  /** A 32-bit integer (4 bytes LE). */
  Int32 = 11,
  /** Plain data in the compact binary encoding of serialize.ts (decoded from {@link Ring.scratch}). */
  Small = 12,
  /** Never in a ring: a taken Small record already decoded into {@link Ring.takenValue}. */
  Decoded = 13,
}

export const RECORD_HEADER = 5;
/** Payloads up to this many bytes are copied by a byte loop. */
const SMALL_COPY = 96;
const SPIN = 64;
/**
 * How far a side's own count may move on before it reads the other side's count again, whatever its last
 * reading says (see Ring#available and Ring#readTakeSide): far below 2^31, so that differences of the
 * wrapping 32-bit counts stay exact however long a thread leaves a ring alone.
 */
const STALE_ITEMS = 1 << 20;
const STALE_BYTES = 1 << 30;
const DEFAULT_INITIAL_BYTES = 16 * 1024;
/** The most a ring's data buffer grows to (address space is reserved, memory committed as used). */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** What crosses to another thread to reopen the same ring there. */
export interface RingBuffers {
  readonly id: string;
  readonly header: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
}

/** Result codes of {@link Ring.tryPut} and {@link Ring.tryTake}. */
export const OK = 0;
export const EMPTY = 1;
export const FULL = 2;
export const CLOSED = 3;
export const MISMATCH = 4;
export const TOO_LARGE = 5;

const scratchNumber = new Float64Array(1);
const scratchNumberBytes = new Uint8Array(scratchNumber.buffer);

function randomId(): string {
  const bytes = new Uint8Array(9);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64url');
}

/** A view of one ring in this thread. */
export class Ring {
  readonly id: string;
  readonly h: Int32Array;
  readonly headerSab: SharedArrayBuffer;
  readonly dataSab: SharedArrayBuffer;
  /** The data, as a Buffer so that a Small record can be decoded in place (see {@link smallDecoder}). */
  #data: Buffer;
  /**
   * Decodes a Small record in place, while the take lock still protects its bytes (set by the queue and pipe
   * backends). Without it, or for a record that wraps around the end of the buffer, a take copies the
   * payload to {@link scratch} instead.
   */
  smallDecoder: ((data: Buffer, start: number, length: number) => unknown) | undefined;
  /** Kind of the record last taken by {@link tryTake}. */
  takenKind: Kind = Kind.Undefined;
  /** Payload of the record last taken (undefined for kinds without bytes). */
  takenBytes: Uint8Array | undefined;
  /** Value of a taken Number or Int32 record. */
  takenNumber = 0;
  /** Length of a taken Small record, whose payload was copied to {@link scratch}. */
  takenLength = 0;
  /** The item of a taken record of kind Decoded. */
  takenValue: unknown;
  /** Where Small payloads are copied (reused: decode before the next take). */
  scratch: Buffer = Buffer.allocUnsafeSlow(1024);
  /** Length of the record that made {@link tryTake} return MISMATCH or TOO_LARGE. */
  peekedLength = 0;
  peekedKind: Kind = Kind.Undefined;
  /**
   * The put count this thread last read (consumer side; stale is safe, since it only grows), and the taken
   * count at that moment: a value read more than STALE_ITEMS takes ago is read again, so that differences
   * of these wrapping 32-bit counts never wrap (all zero at first: safe too, it says empty).
   */
  #seenPut = 0;
  #seenPutAt = 0;
  /**
   * The taken-items and taken-bytes counts this thread last read (producer side; stale is safe, it only
   * makes the ring look fuller), and the put counts at that moment (read again after STALE_ITEMS puts or
   * STALE_BYTES bytes, likewise).
   */
  #seenTake = 0;
  #seenTakeBytes = 0;
  #seenTakeAt = 0;
  #seenTakeBytesAt = 0;

  private constructor(buffers: RingBuffers) {
    this.id = buffers.id;
    this.headerSab = buffers.header;
    this.dataSab = buffers.data;
    this.h = new Int32Array(buffers.header);
    this.#data = Buffer.from(buffers.data, 0, 0);
  }

  /** Creates a new ring. `maxsize` 0 is unbounded (in items). */
  static create(maxsize = 0, initialBytes = DEFAULT_INITIAL_BYTES, maxBytes = DEFAULT_MAX_BYTES): Ring {
    const header = new SharedArrayBuffer(HEADER_INTS * 4);
    const data = new SharedArrayBuffer(initialBytes, { maxByteLength: Math.max(initialBytes, maxBytes) });
    const ring = new Ring({ id: randomId(), header, data });
    ring.h[CAP] = initialBytes;
    ring.h[MAXSIZE] = maxsize;
    return ring;
  }

  /** Opens a ring created elsewhere (another thread). */
  static open(buffers: RingBuffers): Ring {
    return new Ring(buffers);
  }

  get buffers(): RingBuffers {
    return { id: this.id, header: this.headerSab, data: this.dataSab };
  }

  get maxsize(): number {
    return this.h[MAXSIZE] as number;
  }

  /** Records in the ring (taken count read first: the difference is never negative). */
  get count(): number {
    const taken = Atomics.load(this.h, TAKE_SEQ);
    return (Atomics.load(this.h, PUT_SEQ) - taken) | 0;
  }

  flag(bit: number): boolean {
    return (Atomics.load(this.h, FLAGS) & bit) !== 0;
  }

  /** Sets a flag and wakes every waiter, so blocked callers re-check. */
  setFlag(bit: number): void {
    Atomics.or(this.h, FLAGS, bit);
    Atomics.add(this.h, ITEMS, 1);
    Atomics.add(this.h, SPACE, 1);
    notify(this.h, ITEMS);
    notify(this.h, SPACE);
  }

  /** Takes the lock word `at` (PUT_LOCK or TAKE_LOCK): a compare-and-swap, a short spin, then a futex wait. */
  #lock(at: number): void {
    const h = this.h;
    if (Atomics.compareExchange(h, at, 0, 1) === 0) return;
    for (let i = 0; i < SPIN; i++) {
      if (Atomics.load(h, at) === 0 && Atomics.compareExchange(h, at, 0, 1) === 0) return;
    }
    let state = Atomics.exchange(h, at, 2);
    while (state !== 0) {
      waitSync(h, at, 2);
      state = Atomics.exchange(h, at, 2);
    }
  }

  #unlock(at: number): void {
    if (Atomics.sub(this.h, at, 1) !== 1) {
      Atomics.store(this.h, at, 0);
      notify(this.h, at, 1);
    }
  }

  #view(cap: number): Buffer {
    // A fixed-length view of the current capacity (see the file comment on length-tracking views).
    if (this.#data.length !== cap) this.#data = Buffer.from(this.dataSab, 0, cap);
    return this.#data;
  }

  /**
   * Grows the data buffer so that `need` more bytes fit. Called by a producer holding the put lock; takes the
   * take lock too (the only place that holds both: always in this order). Returns false at the limit.
   */
  #grow(need: number): boolean {
    const h = this.h;
    this.#lock(TAKE_LOCK);
    try {
      const cap = h[CAP] as number;
      const used = ((h[PUT_BYTES] as number) - (h[TAKE_BYTES] as number)) >>> 0;
      if (used + need <= cap) return true; // consumers made room meanwhile
      const max = this.dataSab.maxByteLength;
      if (used + need > max) return false;
      let next = Math.max(cap * 2, used + need);
      if (next > max) next = max;
      if (this.dataSab.byteLength < next) this.dataSab.grow(next);
      const data = this.#view(next);
      let head = h[HEAD] as number;
      if (used === 0) {
        head = 0;
      } else if (head + used > cap) {
        // The records wrap: move the part at the end of the old buffer to the end of the new one.
        const tailPart = cap - head;
        data.copyWithin(next - tailPart, head, cap);
        head = next - tailPart;
      }
      const tail = head + used;
      h[HEAD] = head;
      h[TAIL] = tail >= next ? tail - next : tail;
      Atomics.store(h, CAP, next);
      return true;
    } finally {
      this.#unlock(TAKE_LOCK);
    }
  }

  #write(data: Uint8Array, cap: number, pos: number, src: Uint8Array): number {
    const first = cap - pos;
    if (src.length <= first) {
      data.set(src, pos);
    } else {
      data.set(src.subarray(0, first), pos);
      data.set(src.subarray(first), 0);
    }
    const end = pos + src.length;
    return end >= cap ? end - cap : end;
  }

  #read(data: Uint8Array, cap: number, pos: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const first = cap - pos;
    if (length <= first) {
      out.set(data.subarray(pos, pos + length));
    } else {
      out.set(data.subarray(pos, cap));
      out.set(data.subarray(0, length - first), first);
    }
    return out;
  }

  #byteAt(data: Uint8Array, cap: number, pos: number): number {
    return data[pos >= cap ? pos - cap : pos] as number;
  }

  /**
   * Appends one record. `head` holds the record header and, for small payloads, the payload too
   * (`headLength` bytes used); `payload` is written after it when given.
   * @returns OK, FULL (bounded and full, or the buffer cannot grow), CLOSED or TOO_LARGE.
   */
  tryPut(
    kind: Kind,
    payload: Uint8Array | undefined,
    unfinished = false,
    length = payload === undefined ? 0 : payload.length,
    reserved = false,
  ): number {
    const h = this.h;
    const need = RECORD_HEADER + length;
    if (need > this.dataSab.maxByteLength) return TOO_LARGE;
    this.#lock(PUT_LOCK);
    try {
      const put = h[PUT_SEQ] as number;
      const putBytes = h[PUT_BYTES] as number;
      if (((put - this.#seenTakeAt) >>> 0) > STALE_ITEMS || ((putBytes - this.#seenTakeBytesAt) >>> 0) > STALE_BYTES) {
        this.#readTakeSide(put, putBytes);
      }
      if (!reserved) {
        // A reserved put fills a slot granted before: neither close nor maxsize can refuse it.
        if ((Atomics.load(h, FLAGS) & (FLAG_CLOSED | FLAG_READER_CLOSED)) !== 0) return CLOSED;
        const maxsize = h[MAXSIZE] as number;
        if (maxsize > 0 && ((put - this.#seenTake) | 0) + Atomics.load(h, PENDING) >= maxsize) {
          this.#readTakeSide(put, putBytes);
          if (((put - this.#seenTake) | 0) + Atomics.load(h, PENDING) >= maxsize) return FULL;
        }
      }
      let cap = h[CAP] as number;
      if (((putBytes - this.#seenTakeBytes) >>> 0) + need > cap) {
        this.#readTakeSide(put, putBytes);
        if (((putBytes - this.#seenTakeBytes) >>> 0) + need > cap) {
          if (!this.#grow(need)) return FULL;
          cap = h[CAP] as number;
        }
      }
      const data = this.#view(cap);
      const start = h[TAIL] as number;
      let pos = start;
      if (pos + RECORD_HEADER <= cap) {
        data[pos] = length & 0xff;
        data[pos + 1] = (length >>> 8) & 0xff;
        data[pos + 2] = (length >>> 16) & 0xff;
        data[pos + 3] = (length >>> 24) & 0xff;
        data[pos + 4] = kind;
        pos += RECORD_HEADER;
        if (pos === cap) pos = 0;
      } else {
        const header = RECORD_SCRATCH;
        header[0] = length & 0xff;
        header[1] = (length >>> 8) & 0xff;
        header[2] = (length >>> 16) & 0xff;
        header[3] = (length >>> 24) & 0xff;
        header[4] = kind;
        pos = this.#write(data, cap, pos, header);
      }
      if (payload !== undefined && length > 0) {
        if (length <= SMALL_COPY) {
          // A byte loop beats TypedArray#set (a runtime call) for the few bytes of a small item.
          const first = cap - pos < length ? cap - pos : length;
          for (let i = 0; i < first; i++) data[pos + i] = payload[i] as number;
          for (let i = first; i < length; i++) data[i - first] = payload[i] as number;
        } else {
          this.#write(data, cap, pos, length === payload.length ? payload : payload.subarray(0, length));
        }
      }
      const tail = start + need;
      h[TAIL] = tail >= cap ? tail - cap : tail;
      h[PUT_BYTES] = (putBytes + need) | 0;
      if (reserved) Atomics.sub(h, PENDING, 1);
      if (unfinished) Atomics.add(h, UNFINISHED, 1);
      // Publishes the record: a consumer that reads this count sees the bytes written above.
      Atomics.store(h, PUT_SEQ, (put + 1) | 0);
    } finally {
      this.#unlock(PUT_LOCK);
    }
    if (Atomics.load(h, GET_WAITERS) > 0) {
      Atomics.add(h, ITEMS, 1);
      notify(h, ITEMS, 1);
    }
    return OK;
  }

  /**
   * Removes the first record into `takenKind`/`takenBytes`/`takenNumber`.
   * @param accept - when given, a record of another kind is left in place (MISMATCH).
   * @param maxLength - a longer record is left in place (TOO_LARGE).
   * @returns OK, EMPTY, CLOSED (empty and closed), MISMATCH or TOO_LARGE.
   */
  tryTake(accept?: (kind: Kind) => boolean, maxLength = Number.POSITIVE_INFINITY): number {
    const h = this.h;
    if (!this.#available(Atomics.load(h, TAKE_SEQ))) return this.#emptyResult();
    this.#lock(TAKE_LOCK);
    try {
      const take = h[TAKE_SEQ] as number;
      // Another consumer may have taken what this thread saw.
      if (!this.#available(take)) return this.#emptyResult();
      const cap = h[CAP] as number;
      const data = this.#view(cap);
      const head = h[HEAD] as number;
      let length: number;
      let kind: Kind;
      if (head + RECORD_HEADER <= cap) {
        length = ((data[head] as number) | ((data[head + 1] as number) << 8) | ((data[head + 2] as number) << 16) | ((data[head + 3] as number) << 24)) >>> 0;
        kind = data[head + 4] as Kind;
      } else {
        length =
          (this.#byteAt(data, cap, head) |
            (this.#byteAt(data, cap, head + 1) << 8) |
            (this.#byteAt(data, cap, head + 2) << 16) |
            (this.#byteAt(data, cap, head + 3) << 24)) >>>
          0;
        kind = this.#byteAt(data, cap, head + 4) as Kind;
      }
      if ((accept !== undefined && !accept(kind)) || length > maxLength) {
        this.peekedKind = kind;
        this.peekedLength = length;
        return accept !== undefined && !accept(kind) ? MISMATCH : TOO_LARGE;
      }
      let pos = head + RECORD_HEADER;
      if (pos >= cap) pos -= cap;
      this.takenKind = kind;
      const decoder = this.smallDecoder;
      if (kind === Kind.Small && decoder !== undefined && pos + length <= cap && this.#decodeInPlace(decoder, data, pos, length)) {
        // Decoded where it lies (takenKind is Decoded now).
      } else if (kind === Kind.Small) {
        let scratch = this.scratch;
        if (scratch.length < length) scratch = this.scratch = Buffer.allocUnsafeSlow(Math.max(length, scratch.length * 2));
        if (length <= SMALL_COPY) {
          const first = cap - pos < length ? cap - pos : length;
          for (let i = 0; i < first; i++) scratch[i] = data[pos + i] as number;
          for (let i = first; i < length; i++) scratch[i] = data[i - first] as number;
        } else {
          scratch.set(this.#read(data, cap, pos, length));
        }
        this.takenLength = length;
        this.takenBytes = undefined;
      } else if (kind === Kind.Int32) {
        this.takenNumber =
          this.#byteAt(data, cap, pos) |
          (this.#byteAt(data, cap, pos + 1) << 8) |
          (this.#byteAt(data, cap, pos + 2) << 16) |
          (this.#byteAt(data, cap, pos + 3) << 24);
        this.takenBytes = undefined;
      } else if (kind === Kind.Number) {
        for (let i = 0; i < 8; i++) scratchNumberBytes[i] = this.#byteAt(data, cap, pos + i);
        this.takenNumber = scratchNumber[0] as number;
        this.takenBytes = undefined;
      } else {
        this.takenBytes = length > 0 ? this.#read(data, cap, pos, length) : EMPTY_BYTES;
      }
      let next = head + RECORD_HEADER + length;
      if (next >= cap) next -= cap;
      h[HEAD] = next;
      // Frees the bytes (a producer that reads this count may overwrite them) and counts the record taken.
      Atomics.store(h, TAKE_BYTES, ((h[TAKE_BYTES] as number) + RECORD_HEADER + length) | 0);
      Atomics.store(h, TAKE_SEQ, (take + 1) | 0);
    } finally {
      this.#unlock(TAKE_LOCK);
    }
    if (Atomics.load(h, PUT_WAITERS) > 0) {
      Atomics.add(h, SPACE, 1);
      notify(h, SPACE, 1);
    }
    return OK;
  }

  /**
   * Whether a record is there to take, given the taken count `take`: from the put count seen last when that
   * says so and is recent, else from the put count read again.
   */
  #available(take: number): boolean {
    if (((take - this.#seenPutAt) >>> 0) <= STALE_ITEMS && ((this.#seenPut - take) | 0) > 0) return true;
    this.#seenPut = Atomics.load(this.h, PUT_SEQ);
    this.#seenPutAt = take;
    return ((this.#seenPut - take) | 0) > 0;
  }

  /** Reads the take side's counts again (a producer, under the put lock; `put`/`putBytes`: its own counts now). */
  #readTakeSide(put: number, putBytes: number): void {
    this.#seenTake = Atomics.load(this.h, TAKE_SEQ);
    this.#seenTakeBytes = Atomics.load(this.h, TAKE_BYTES);
    this.#seenTakeAt = put;
    this.#seenTakeBytesAt = putBytes;
  }

  /**
   * Decodes the Small record at `start` in place into {@link takenValue}. Returns false, leaving it to the
   * copy path (whose later decode reports the error), if it cannot be decoded.
   */
  #decodeInPlace(decoder: NonNullable<Ring['smallDecoder']>, data: Buffer, start: number, length: number): boolean {
    try {
      this.takenValue = decoder(data, start, length);
    } catch {
      return false;
    }
    this.takenKind = Kind.Decoded;
    this.takenBytes = undefined;
    return true;
  }

  /** What an empty ring answers a take: CLOSED once the writers are done and nothing is on its way. */
  #emptyResult(): number {
    const h = this.h;
    return (Atomics.load(h, FLAGS) & FLAG_CLOSED) !== 0 && Atomics.load(h, PENDING) === 0 ? CLOSED : EMPTY;
  }

  /** Whether a record is waiting, or the writers are done (a read would not block). */
  readable(): boolean {
    return this.count > 0 || this.#emptyResult() === CLOSED;
  }

  /**
   * Reserves up to `most` slots for puts that will arrive later with `reserved` set (none once closed;
   * no more than the free slots of a bounded queue). Returns how many it reserved.
   */
  reserve(most: number): number {
    const h = this.h;
    if (most <= 0) return 0;
    this.#lock(PUT_LOCK);
    try {
      if ((Atomics.load(h, FLAGS) & FLAG_CLOSED) !== 0) return 0;
      const maxsize = h[MAXSIZE] as number;
      const free = maxsize > 0 ? maxsize - this.count - Atomics.load(h, PENDING) : most;
      const granted = free < most ? (free > 0 ? free : 0) : most;
      if (granted > 0) Atomics.add(h, PENDING, granted);
      return granted;
    } finally {
      this.#unlock(PUT_LOCK);
    }
  }

  /** Gives back `count` reserved slots that will not be filled, waking whoever that concerns. */
  unreserve(count: number): void {
    const h = this.h;
    if (count <= 0) return;
    const left = Atomics.sub(h, PENDING, count) - count;
    if ((h[MAXSIZE] as number) > 0 && Atomics.load(h, PUT_WAITERS) > 0) {
      Atomics.add(h, SPACE, 1);
      notify(h, SPACE);
    }
    if (left === 0 && (Atomics.load(h, FLAGS) & FLAG_CLOSED) !== 0) {
      // The last outstanding item of a closed queue will not come: consumers may now see the end.
      Atomics.add(h, ITEMS, 1);
      notify(h, ITEMS);
    }
  }

  /** How many reserved slots are outstanding. */
  get pending(): number {
    return Atomics.load(this.h, PENDING);
  }

  /** Allocates a ticket for a record whose value travels on the side path. */
  nextTicket(): number {
    return Atomics.add(this.h, TICKET, 1);
  }

  /** Checks a byte budget argument. */
  static checkMaxsize(maxsize: unknown): number {
    if (maxsize === undefined) return 0;
    if (typeof maxsize !== 'number' || !Number.isInteger(maxsize) || maxsize > 0x7fffffff) {
      throw new InvalidArgumentError(`maxsize must be an integer (0 or less for unbounded), got ${String(maxsize)}`);
    }
    return maxsize < 0 ? 0 : maxsize;
  }
}

const RECORD_SCRATCH = new Uint8Array(RECORD_HEADER);
const EMPTY_BYTES = new Uint8Array(0);

/** Little-endian float64 bytes of `value`, for a Number record. */
export function numberBytes(value: number): Uint8Array {
  scratchNumber[0] = value;
  return scratchNumberBytes;
}

const int32Bytes = new Uint8Array(4);

/** Little-endian bytes of the 32-bit integer `value`, for an Int32 record. */
export function int32ToBytes(value: number): Uint8Array {
  int32Bytes[0] = value & 0xff;
  int32Bytes[1] = (value >>> 8) & 0xff;
  int32Bytes[2] = (value >>> 16) & 0xff;
  int32Bytes[3] = (value >>> 24) & 0xff;
  return int32Bytes;
}
