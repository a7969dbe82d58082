/**
 * Synchronous proxy calls (`RemoteObjects.callSync`) from a real forked child to its owner: the child's
 * main thread blocks while its sync-call helper thread makes the call over the owner's share endpoint.
 * Every reply must reach the call it answers (never an earlier or later one), errors included, and a
 * helper thread that dies mid-call must fail that call promptly instead of leaving the caller blocked
 * for ever; the next call then starts a fresh helper.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CH } from './fixtures/mux-server.js';
import { SyncTarget } from './fixtures/sync-target.js';
import { startRemoteServer, within, type RemoteServer } from './helpers.js';

type Outcome = { ok: true; value: unknown } | { ok: false; name?: string; code?: string; message: string };

describe('synchronous proxy calls from a child process', () => {
  let server: RemoteServer | undefined;

  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('give every call its own reply, in order, with errors in between', async () => {
    server = startRemoteServer('process');
    const target = new SyncTarget();
    const script: [string, unknown[]][] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 50 === 7) script.push(['fail', [`bad ${i}`]]);
      else if (i % 50 === 8) script.push(['later', [20, { late: i }]]);
      else script.push(['echo', [{ i, text: `n${i}` }]]);
    }
    const outcomes = await within(server.mux.request<Outcome[]>(CH.syncCalls, { target, script }), 30_000, 'the sync calls');
    expect(outcomes).toHaveLength(script.length);
    outcomes.forEach((outcome, i) => {
      if (i % 50 === 7) expect(outcome).toEqual({ ok: false, name: 'TypeError', code: undefined, message: `bad ${i}` });
      else if (i % 50 === 8) expect(outcome).toEqual({ ok: true, value: { late: i } });
      else expect(outcome).toEqual({ ok: true, value: { i, text: `n${i}` } });
    });
    expect(target.calls).toBe(script.length);
  });

  it('fail promptly with ClosedError when the helper thread dies mid-call, and the next call works', async () => {
    server = startRemoteServer('process');
    const target = new SyncTarget();
    const script: [string, unknown[]][] = [
      ['echo', ['before']],
      ['exitHelper', []],
      ['echo', ['after']],
      ['fail', ['still an error']],
      ['echo', ['last']],
    ];
    // Before the fix the caller blocked on Atomics.wait for ever here.
    const outcomes = await within(server.mux.request<Outcome[]>(CH.syncCalls, { target, script }), 20_000, 'the sync calls');
    expect(outcomes[0]).toEqual({ ok: true, value: 'before' });
    expect(outcomes[1]).toMatchObject({ ok: false, name: 'ClosedError', code: 'ERR_CLOSED' });
    expect((outcomes[1] as { message: string }).message).toMatch(/helper thread exited/);
    expect(outcomes.slice(2)).toEqual([
      { ok: true, value: 'after' },
      { ok: false, name: 'TypeError', code: undefined, message: 'still an error' },
      { ok: true, value: 'last' },
    ]);
  });
});
