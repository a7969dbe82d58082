import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, isTransport } from '@multiproc/transport';
import { Connection, EOFError, Pipe, Queue } from '@multiproc/channel';
import tasks from './fixtures/tasks.js';
import { RUNTIMES, cleanup, rejection, start, thrown, track } from './helpers.js';

afterEach(cleanup);

function pipe<T = unknown>(duplex = true): [Connection<T>, Connection<T>] {
  const ends = Pipe<T>(duplex);
  ends.forEach((end) => track(end));
  return ends;
}

describe('Pipe in one thread', () => {
  it('keeps message boundaries and order both ways; an empty message is a message', async () => {
    const [a, b] = pipe<unknown>();
    const messages = ['', 'x', '', { k: [1, 2] }, [], {}, 0, null, undefined, new Uint8Array(0), 'y'.repeat(100_000)];
    for (const message of messages) a.send(message);
    for (const message of messages) expect(await b.recv()).toStrictEqual(message);
    b.send('back');
    expect(await a.recv()).toBe('back');
    expect(await a.poll()).toBe(false);
  });

  it('one-way: Pipe(false) is [reader, writer] and the wrong end throws', async () => {
    const [reader, writer] = pipe<string>(false);
    expect([reader.readable, reader.writable, writer.readable, writer.writable]).toEqual([true, false, false, true]);
    writer.send('one way');
    expect(await reader.recv()).toBe('one way');
    expect(thrown(() => reader.send('no')).code).toBe('ERR_INVALID_STATE');
    expect((await rejection(writer.recv())).code).toBe('ERR_INVALID_STATE');
    expect(thrown(() => writer.recvSync()).code).toBe('ERR_INVALID_STATE');
    expect((await rejection(writer.poll())).code).toBe('ERR_INVALID_STATE');
  });

  it('recv drains what was sent, then throws EOFError once the other end closed; send then throws ClosedError', async () => {
    const [a, b] = pipe<number>();
    a.send(1);
    a.send(2);
    const pending = new Promise<unknown>((resolve) => {
      const [c, d] = pipe<number>();
      void d.recv().catch(resolve);
      setTimeout(() => c.close(), 50);
    });
    a.close();
    expect(a.closed).toBe(true);
    expect(b.closed).toBe(true);
    expect(await b.poll()).toBe(true);
    expect([await b.recv(), b.recvSync()]).toEqual([1, 2]);
    const eof = await rejection(b.recv());
    expect(EOFError.isInstance(eof)).toBe(true);
    expect(eof.code).toBe('ERR_EOF');
    expect(EOFError.isInstance(thrown(() => b.recvSync()))).toBe(true);
    expect(ClosedError.isInstance(thrown(() => b.send(3)))).toBe(true);
    expect(ClosedError.isInstance(thrown(() => a.send(3)))).toBe(true);
    expect(ClosedError.isInstance(await rejection(a.recv()))).toBe(true);
    expect(EOFError.isInstance(await pending)).toBe(true);
  });

  it('poll waits up to its timeout and wakes when a message arrives', async () => {
    const [a, b] = pipe();
    const started = Date.now();
    expect(await b.poll(100)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(b.pollSync()).toBe(false);
    setTimeout(() => a.send('late'), 50);
    expect(await b.poll(10_000)).toBe(true);
    expect(await b.poll(null)).toBe(true);
    expect(await b.recv()).toBe('late');
    expect((await rejection(b.poll(-1))).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('sendBytes, recvBytes and recvBytesInto keep byte messages whole', async () => {
    const [a, b] = pipe();
    const source = new TextEncoder().encode('hello world');
    a.sendBytes(source, 6, 5);
    a.sendBytes(source);
    a.sendBytes(new Uint8Array(0));
    a.sendBytes(new Float64Array([1.5]).buffer);
    a.sendBytes(Buffer.from('buffer'));
    expect(new TextDecoder().decode(await b.recvBytes())).toBe('world');
    // Too long for maxLength, or for the target: left in the pipe.
    expect((await rejection(b.recvBytes(4))).code).toBe('ERR_INVALID_ARGUMENT');
    expect((await rejection(b.recvBytesInto(new Uint8Array(20), 15))).code).toBe('ERR_INVALID_ARGUMENT');
    const into = new Uint8Array(20);
    expect(await b.recvBytesInto(into, 2)).toBe(11);
    expect(new TextDecoder().decode(into.subarray(2, 13))).toBe('hello world');
    expect(await b.recvBytes()).toEqual(new Uint8Array(0));
    expect(new Float64Array(b.recvBytesSync().slice().buffer)[0]).toBe(1.5);
    expect(Buffer.from(await b.recvBytes()).toString()).toBe('buffer');
    expect(thrown(() => a.sendBytes(source, 8, 10)).code).toBe('ERR_INVALID_ARGUMENT');
    // A message sent with send() is not bytes: recvBytes refuses it and leaves it for recv().
    a.send({ not: 'bytes' });
    expect((await rejection(b.recvBytes())).code).toBe('ERR_INVALID_STATE');
    expect(await b.recv()).toEqual({ not: 'bytes' });
  });

  it('a non-cloneable send throws at once and the pipe goes on', async () => {
    const [a, b] = pipe();
    expect(thrown(() => a.send({ f: () => 1 })).code).toBe('ERR_NOT_CLONEABLE');
    a.send('ok');
    expect(await b.recv()).toBe('ok');
    expect(await b.poll()).toBe(false);
  });
});

describe('Connection implements the Transport contract', () => {
  it('is a Transport of spec version 1 and delivers in order to onMessage listeners', async () => {
    const [a, b] = pipe<number>();
    expect(isTransport(a)).toBe(true);
    expect(a.specVersion).toBe(1);
    expect(typeof a.capabilities.sharedMemory).toBe('boolean');
    expect(typeof a.capabilities.transfer).toBe('boolean');
    a.send(0); // before anyone listened
    const seen: number[] = [];
    const off = b.onMessage((message) => seen.push(message as number));
    for (let i = 1; i < 500; i++) a.send(i);
    const deadline = Date.now() + 10_000;
    while (seen.length < 500 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => i));
    off();
    expect(b.listenerCount).toBe(0);
  });

  for (const side of ['this side', 'the peer'] as const) {
    it(`closed by ${side}: onClose fires once on both ends, closed is true, send throws ClosedError`, async () => {
      const [a, b] = pipe();
      let firedA = 0;
      let firedB = 0;
      const closedA = new Promise<void>((resolve) => a.onClose(() => (firedA++, resolve())));
      const closedB = new Promise<void>((resolve) => b.onClose(() => (firedB++, resolve())));
      (side === 'this side' ? a : b).close();
      await closedA;
      await closedB;
      expect(a.closed && b.closed).toBe(true);
      expect(ClosedError.isInstance(thrown(() => a.send('x')))).toBe(true);
      expect(ClosedError.isInstance(thrown(() => b.send('x')))).toBe(true);
      a.close();
      b.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect([firedA, firedB]).toEqual([1, 1]);
      let late = 0;
      a.onClose(() => late++);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(late).toBe(1);
      expect(a.listenerCount).toBe(0);
    });
  }

  it('unsubscribing removes listeners; an unref\'d listening end does not keep Node alive, a ref\'d one does', async () => {
    const [a] = pipe();
    const offA = a.onMessage(() => {});
    const offClose = a.onClose(() => {});
    expect(a.listenerCount).toBe(2);
    offA();
    offA();
    offClose();
    expect(a.listenerCount).toBe(0);
    const script = fileURLToPath(new URL('./fixtures/unref-pipe.mjs', import.meta.url));
    const run = (mode: string): Promise<number | null> =>
      new Promise((resolve) => {
        execFile(process.execPath, [script, mode], { timeout: 20_000 }, (error) =>
          resolve(error ? ((error as { code?: number }).code ?? null) : 0),
        );
      });
    expect(await run('unref')).toBe(0);
    expect(await run('ref')).toBe(7);
  });
});

describe.each(RUNTIMES)('Pipe across the %s runtime', (runtime) => {
  it('a duplex end passed to a child echoes messages, async and sync', async () => {
    for (const target of [tasks.echo, tasks.echoSync]) {
      const [parent, child] = Pipe<unknown>();
      track(parent);
      const echo = start({ target, args: [child], runtime });
      const messages = ['', 'a', { n: 1 }, [1, [2]], 'z'.repeat(50_000)];
      for (const message of messages) parent.send(message);
      for (const message of messages) expect(await parent.recv()).toEqual({ echo: message });
      parent.close();
      expect(await echo.join()).toBe(0);
    }
  });

  it('a child sends and closes: the reader drains, then gets EOFError', async () => {
    const [reader, writer] = Pipe<unknown>(false);
    track(reader);
    const child = start({ target: tasks.sendAll, args: [writer, ['', 1, 'two', { three: 3 }]], runtime });
    expect(await child.join()).toBe(0);
    expect(await reader.poll(10_000)).toBe(true);
    const got = [await reader.recv(), await reader.recv(), await reader.recv(), await reader.recv()];
    expect(got).toEqual(['', 1, 'two', { three: 3 }]);
    expect(EOFError.isInstance(await rejection(reader.recv()))).toBe(true);

    const [bytesIn, bytesOut] = Pipe(false);
    track(bytesIn);
    const sender = start({ target: tasks.sendBytes, args: [bytesOut], runtime });
    expect(await sender.join()).toBe(0);
    expect(Array.from(await bytesIn.recvBytes())).toEqual([2, 3, 4]);
    expect(Array.from(await bytesIn.recvBytes())).toEqual([]);
    expect(EOFError.isInstance(await rejection(bytesIn.recvBytes()))).toBe(true);
  });

  it('the wrong end of a one-way pipe throws in a child too', async () => {
    const [reader, writer] = pipe(false);
    void writer;
    const out = track(new Queue<unknown>());
    const child = start({ target: tasks.wrongEnd, args: [reader, out], runtime });
    expect(await out.get({ timeout: 20_000 })).toEqual(['InvalidStateError', 'ERR_INVALID_STATE']);
    expect(await child.join()).toBe(0);
  });

  it('a pipe end travels through a queue and works there', async () => {
    const [parent, child] = Pipe<unknown>();
    track(parent);
    const carrier = track(new Queue<unknown>());
    await carrier.put(child);
    const echo = start({ target: tasks.echoFromQueue, args: [carrier], runtime });
    parent.send('through a queue');
    expect(await parent.recv()).toEqual({ echo: 'through a queue' });
    parent.close();
    expect(await echo.join()).toBe(0);
  });
});
