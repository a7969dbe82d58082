import { setTimeout as sleep } from 'node:timers/promises';
import { Process } from '@multiproc/process';
import { RawArray, Value } from '@multiproc/shared';
import { Event, Lock } from '@multiproc/sync';
import tasks from './fixtures/_exp-tasks.mjs';
const BASE_MS = Number(process.hrtime.bigint() / 1_000_000n);
const M = Number(process.env.M ?? 1_000_000);
const mode = process.argv[2] ?? 'rlock';
for (let run = 0; run < 6; run++) {
  const value = mode === 'lock' ? new Value('i', 0, { lock: new Lock() }) : new Value('i', 0);
  const go = new Event(); const out = new RawArray('d', 4); const ready = new RawArray('i', 2);
  const ws = [0, 1].map((slot) => new Process({ target: tasks.inc, args: [value, mode === 'solo' && slot === 1 ? 0 : M, go, ready, out, slot, BASE_MS, mode !== 'sync'], daemon: true }));
  ws.forEach((w) => w.start());
  while (ready.get(0) === 0 || ready.get(1) === 0) await sleep(1);
  await sleep(5); go.set();
  await Promise.all(ws.map((w) => w.join()));
  const ms = (Math.max(out.get(1), out.get(3)) - Math.min(out.get(0), out.get(2))) / 1e6;
  console.log(mode, 'run', run, ((mode === 'solo' ? M : 2 * M) / ms / 1000).toFixed(2) + 'M/s', 'a:', ((out.get(1) - out.get(0)) / 1e6).toFixed(1), 'b:', ((out.get(3) - out.get(2)) / 1e6).toFixed(1), value.value === (mode === 'solo' ? M : 2 * M) ? 'ok' : 'BAD');
}
