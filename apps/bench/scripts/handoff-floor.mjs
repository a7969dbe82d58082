// The floor of a thread-to-thread round trip on this machine, with no pool code at all: the main thread
// hands a message to one worker thread and waits for the answer, 20,000 times; p50/p90/p99 in microseconds.
// The message travels on a MessagePort read with receiveMessageOnPort; the hand-off is a SharedArrayBuffer
// counter each side either spins on ('spin') or sleeps on with Atomics.wait / Atomics.notify ('futex').
// Run it as is (the threads go wherever the scheduler puts them) and under `taskset -c 0` (both threads on
// one core), from apps/bench:
//   node scripts/handoff-floor.mjs spin;  taskset -c 0 node scripts/handoff-floor.mjs spin
//   node scripts/handoff-floor.mjs futex; taskset -c 0 node scripts/handoff-floor.mjs futex
// (Spinning on one core waits for the scheduler's time slice: expect milliseconds; it stops after 200 trips.)
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

const mode = process.argv[2] ?? 'spin';
if (mode !== 'spin' && mode !== 'futex') throw new Error(`usage: handoff-floor.mjs spin|futex (got ${mode})`);
const TRIPS = 20_000;
const cells = new Int32Array(new SharedArrayBuffer(8)); // [0] task counter (main -> worker), [1] answer counter
const { port1, port2 } = new MessageChannel();
const worker = new Worker(
  `const { workerData, receiveMessageOnPort } = require('node:worker_threads');
  const { buffer, port, mode } = workerData;
  const cells = new Int32Array(buffer);
  let seen = 0;
  for (;;) {
    if (mode === 'futex') while (Atomics.load(cells, 0) === seen) Atomics.wait(cells, 0, seen, 1000);
    else while (Atomics.load(cells, 0) === seen);
    seen = Atomics.load(cells, 0);
    if (seen < 0) break;
    port.postMessage(receiveMessageOnPort(port)?.message);
    Atomics.store(cells, 1, seen);
    if (mode === 'futex') Atomics.notify(cells, 1);
  }`,
  { eval: true, workerData: { buffer: cells.buffer, port: port2, mode }, transferList: [port2] },
);
await new Promise((resolve) => setTimeout(resolve, 300));

const us = [];
const started = performance.now();
for (let i = 1; i <= TRIPS; i++) {
  const t0 = performance.now();
  port1.postMessage(i);
  Atomics.store(cells, 0, i);
  if (mode === 'futex') {
    Atomics.notify(cells, 0);
    while (Atomics.load(cells, 1) !== i) Atomics.wait(cells, 1, i - 1, 1000);
  } else {
    while (Atomics.load(cells, 1) !== i);
  }
  if (receiveMessageOnPort(port1)?.message !== i) throw new Error(`trip ${i}: wrong answer`);
  us.push((performance.now() - t0) * 1000);
  if (i === 200 && performance.now() - started > 1000) break;
}
Atomics.store(cells, 0, -1);
Atomics.notify(cells, 0);
await worker.terminate();
us.sort((a, b) => a - b);
const at = (q) => us[Math.min(us.length - 1, Math.floor(us.length * q))].toFixed(1);
console.log(`${mode}: ${us.length} round trips, p50 ${at(0.5)} us, p90 ${at(0.9)} us, p99 ${at(0.99)} us`);
