import { describe, expect, it } from 'vitest';
// The ring itself (internal), one thread: its 32-bit counts wrap around, and each view keeps stale copies of
// the other side's counts. The cross-thread behaviour is in ring-stress.test.ts.
import { EMPTY, FULL, Kind, OK, PUT_BYTES, PUT_SEQ, Ring, TAKE_BYTES, TAKE_SEQ } from '../src/internal/ring.js';

/** The payload of record `i`: 0-60 bytes, each `(i + k) & 0xff`. */
function payload(i: number): Uint8Array {
  const out = new Uint8Array((i * 7) % 61);
  for (let k = 0; k < out.length; k++) out[k] = (i + k) & 0xff;
  return out;
}

function expectTaken(ring: Ring, i: number): void {
  expect(ring.tryTake()).toBe(OK);
  expect(ring.takenKind).toBe(Kind.Bytes);
  expect(Array.from(ring.takenBytes ?? [])).toEqual(Array.from(payload(i)));
}

/** Starts every count of `ring` just below where it wraps (items past 2^31, bytes past 2^32). */
function nearWrap(ring: Ring): void {
  ring.h[PUT_SEQ] = ring.h[TAKE_SEQ] = 0x7fffffff - 40;
  ring.h[PUT_BYTES] = ring.h[TAKE_BYTES] = -700;
}

describe('the shared ring\'s counts', () => {
  it('carry records intact through the wrap of the item and byte counts, across views opened late', () => {
    const producer = Ring.create(0, 256); // small: records wrap around the buffer's end, and it grows
    nearWrap(producer);
    const consumer = Ring.open(producer.buffers); // a view with nothing seen yet
    let put = 0;
    let taken = 0;
    for (let round = 0; round < 400; round++) {
      const burst = (round % 9) + 1;
      for (let k = 0; k < burst; k++) expect(producer.tryPut(Kind.Bytes, payload(put++))).toBe(OK);
      const drain = round % 3 === 0 ? burst + 1 : burst - 1;
      for (let k = 0; k < drain && taken < put; k++) expectTaken(consumer, taken++);
      expect(producer.count).toBe(put - taken);
    }
    while (taken < put) expectTaken(consumer, taken++);
    expect(consumer.tryTake()).toBe(EMPTY);
    expect(producer.h[PUT_SEQ]).toBeLessThan(0); // the item count did wrap
    // A third view, opened only now, sees the right state at once, as producer and as consumer.
    const late = Ring.open(producer.buffers);
    expect(late.count).toBe(0);
    expect(late.tryTake()).toBe(EMPTY);
    expect(late.tryPut(Kind.Bytes, payload(put))).toBe(OK);
    expectTaken(consumer, put);
  });

  it('keep a bounded ring bounded for every view, however stale its copy of the take count', () => {
    const producer = Ring.create(3, 256);
    nearWrap(producer);
    const consumer = Ring.open(producer.buffers);
    let put = 0;
    let taken = 0;
    for (let round = 0; round < 200; round++) {
      while (producer.tryPut(Kind.Bytes, payload(put)) === OK) put++;
      expect(put - taken).toBe(3);
      // A view that has never looked (its copy of the take count is zero) is refused as well.
      expect(Ring.open(producer.buffers).tryPut(Kind.Bytes, payload(put))).toBe(FULL);
      const drain = (round % 3) + 1;
      for (let k = 0; k < drain; k++) expectTaken(consumer, taken++);
    }
    expect(producer.h[PUT_SEQ]).toBeLessThan(0);
  });
});
