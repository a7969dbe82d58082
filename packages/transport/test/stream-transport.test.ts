/**
 * StreamTransport: the conformance suite over a real TCP socket pair, a unix socket pair and a child's
 * stdio (fixtures/echo-stdio-child.js), plus the framing itself: frames cut into any chunks arrive
 * whole, an oversized or corrupt frame closes the link with a ProtocolError, bad arguments are refused.
 */
import { PassThrough } from 'node:stream';
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FRAME_BYTES, InvalidArgumentError, StreamTransport } from '@multiproc/transport';
import { echoPair, runConformance } from './conformance.js';
import type { PeerReport } from './fixtures/echo-peer.js';
import { reportFrom, socketPair, spawnChild, waitFor, within } from './helpers.js';

for (const kind of ['tcp', 'unix'] as const) {
  runConformance(
    `StreamTransport (${kind === 'tcp' ? 'TCP socket pair on 127.0.0.1' : 'unix socket pair'})`,
    async () => {
      const sockets = await socketPair(kind);
      const local = new StreamTransport(sockets.client);
      const remote = new StreamTransport(sockets.server);
      return echoPair(local, remote, async () => {
        remote.close();
        local.close();
        await sockets.dispose();
      });
    },
    { unrefKind: kind === 'tcp' ? 'socket' : 'unix-socket', holdsEventLoop: true },
  );
}

runConformance(
  "StreamTransport (a child's stdio)",
  async () => {
    const handle = spawnChild('echo-stdio-child.js', [], true);
    const local = new StreamTransport({ readable: handle.child.stdout!, writable: handle.child.stdin! });
    return {
      local,
      peer: {
        report: reportFrom<PeerReport>(handle, 'stderr'),
        dispose: () => handle.dispose(),
        diagnostics: () => handle.diagnostics(),
      },
    };
  },
  { unrefKind: 'stdio', holdsEventLoop: true },
);

function frame(message: unknown): Buffer {
  const body = serialize(message);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

describe('StreamTransport framing', () => {
  it('reassembles frames however the bytes are chunked', async () => {
    const incoming = new PassThrough();
    const outgoing = new PassThrough();
    const transport = new StreamTransport({ readable: incoming, writable: outgoing });
    const received: unknown[] = [];
    transport.onMessage((message) => received.push(message));
    const messages = [1, 'two', { three: [3] }, new Map([[4, 'four']]), 'x'.repeat(10_000), 6n];
    const bytes = Buffer.concat(messages.map(frame));
    // One byte at a time for the first frames, then odd-sized chunks spanning frame boundaries.
    let offset = 0;
    for (; offset < 40; offset++) incoming.write(bytes.subarray(offset, offset + 1));
    for (const size of [3, 17, 1, 4096, 5]) {
      incoming.write(bytes.subarray(offset, offset + size));
      offset += size;
    }
    incoming.write(bytes.subarray(offset));
    await waitFor(() => received.length === messages.length, 'all frames');
    expect(received).toEqual(messages);
    transport.close();
  });

  it('writes one length-prefixed frame per message', async () => {
    const outgoing = new PassThrough();
    const transport = new StreamTransport({ readable: new PassThrough(), writable: outgoing });
    const chunks: Buffer[] = [];
    outgoing.on('data', (chunk: Buffer) => chunks.push(chunk));
    transport.send({ hello: 'world' });
    transport.send([1, 2, 3]);
    await waitFor(() => Buffer.concat(chunks).length >= frame({ hello: 'world' }).length + frame([1, 2, 3]).length, 'the frames');
    expect(Buffer.concat(chunks)).toEqual(Buffer.concat([frame({ hello: 'world' }), frame([1, 2, 3])]));
    transport.close();
  });

  it('closes the link with a ProtocolError when a frame is larger than maxFrameBytes', async () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(1024 * 1024 * 1024);
    const incoming = new PassThrough();
    const errors: unknown[] = [];
    incoming.on('error', (error) => errors.push(error));
    const transport = new StreamTransport({ readable: incoming, writable: new PassThrough() }, { maxFrameBytes: 64 });
    const received: unknown[] = [];
    transport.onMessage((message) => received.push(message));
    const closed = new Promise<void>((resolve) => transport.onClose(resolve));
    incoming.write(frame('small'));
    incoming.write(frame('y'.repeat(1000)));
    await within(closed, 5_000, 'the close');
    expect(received).toEqual(['small']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as { code?: string }).code).toBe('ERR_PROTOCOL');
  });

  it('closes the link with a ProtocolError when a frame cannot be deserialized', async () => {
    const incoming = new PassThrough();
    const errors: unknown[] = [];
    incoming.on('error', (error) => errors.push(error));
    const transport = new StreamTransport({ readable: incoming, writable: new PassThrough() });
    transport.onMessage(() => {});
    const closed = new Promise<void>((resolve) => transport.onClose(resolve));
    const garbage = Buffer.from([0, 0, 0, 4, 0xff, 0xfe, 0xfd, 0xfc]);
    incoming.write(garbage);
    await within(closed, 5_000, 'the close');
    expect((errors[0] as { code?: string }).code).toBe('ERR_PROTOCOL');
  });

  it('closes when the readable side ends', async () => {
    const incoming = new PassThrough();
    const transport = new StreamTransport({ readable: incoming, writable: new PassThrough() });
    transport.onMessage(() => {});
    const closed = new Promise<void>((resolve) => transport.onClose(resolve));
    incoming.end();
    await within(closed, 5_000, 'the close');
    expect(transport.closed).toBe(true);
  });

  it('refuses what is not a stream', () => {
    let thrown: unknown;
    try {
      new StreamTransport({} as never);
    } catch (error) {
      thrown = error;
    }
    expect(InvalidArgumentError.isInstance(thrown)).toBe(true);
  });

  it('shares no memory and transfers nothing', () => {
    const transport = new StreamTransport({ readable: new PassThrough(), writable: new PassThrough() });
    expect(transport.capabilities).toEqual({ sharedMemory: false, transfer: false });
    transport.close();
  });
});
