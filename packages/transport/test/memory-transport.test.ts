/**
 * The in-memory pair: the conformance suite (both ends in this thread), plus that messages are real
 * structured clones (no shared references) delivered asynchronously.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryTransportPair } from '@multiproc/transport';
import { echoPair, runConformance } from './conformance.js';
import { waitFor } from './helpers.js';

runConformance(
  'in-memory pair',
  async () => {
    const [local, remote] = createMemoryTransportPair();
    return echoPair(local, remote);
  },
  { unrefKind: 'memory', holdsEventLoop: false },
);

describe('in-memory pair specifics', () => {
  it('delivers structured clones, asynchronously', async () => {
    const [a, b] = createMemoryTransportPair();
    const received: unknown[] = [];
    b.onMessage((message) => received.push(message));
    const sent = { list: [1, 2], when: new Date(5) };
    a.send(sent);
    expect(received).toHaveLength(0);
    await waitFor(() => received.length === 1, 'the message');
    expect(received[0]).toEqual(sent);
    expect(received[0]).not.toBe(sent);
    sent.list.push(3);
    expect((received[0] as typeof sent).list).toEqual([1, 2]);
    a.close();
    await waitFor(() => b.closed, 'the close');
  });

  it('refuses values structured clone refuses, at the sender', () => {
    const [a, b] = createMemoryTransportPair();
    expect(() => a.send({ fn: () => 1 })).toThrow();
    a.close();
    b.close();
  });
});
