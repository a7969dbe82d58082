/**
 * The multiproc example: a real CPU-heavy job on a Pool, then Python's seed examples, each on both runtimes.
 * Run it from the repository root with `npx -y pnpm@10.34.9 run example` (it builds what it needs first).
 *
 *   1. renders a Mandelbrot set to a PNG twice, on one thread and on a Pool (imap over bands of rows, with a
 *      progress bar), checks both images are identical, and prints the speedup;
 *   2-9. Python's multiprocessing seed examples in TypeScript, under getContext('thread') and
 *      getContext('process'): a child printing numbers, a pool mapping squares, a producer and consumer
 *      over a Queue, 10 processes incrementing a shared Value under its lock, a daemon process, workers
 *      sleeping in parallel, a Pipe, a Barrier.
 *
 * Options: `--out <file>` where to write the PNG (default: out/mandelbrot.png in this app's folder).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuCount, getContext, Pool, type Context } from 'multiproc';
import mandelbrot, { type RowBand, type View } from './mandelbrot.js';
import { encodePng } from './png.js';
import { progressBar } from './progress.js';
import seeds from './seed-tasks.js';

const { values: flags } = parseArgs({ options: { out: { type: 'string' } } });
const OUT = resolve(flags.out ?? fileURLToPath(new URL('../out/mandelbrot.png', import.meta.url)));

const VIEW: View = { width: 1600, height: 1000, centerX: -0.65, centerY: 0, span: 3.2, maxIterations: 3000 };
const ROWS_PER_BAND = 8;
const CONTEXTS: Context[] = [getContext('thread'), getContext('process')];

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
/** CPU time this process (all its threads) used since `since`, and what share of `cores` that is over `wallMs`. */
function cpuNote(since: NodeJS.CpuUsage, wallMs: number, cores: number): string {
  const used = process.cpuUsage(since);
  const cpuMs = (used.user + used.system) / 1000;
  return `CPU time ${seconds(cpuMs)}, ${Math.round((100 * cpuMs) / (wallMs * cores))}% of ${cores === 1 ? 'one core' : `${cores} cores`}`;
}
const heading = (text: string): void => console.log(`\n== ${text} ==`);

console.log(`multiproc example on Node.js ${process.version}, ${cpuCount()} CPUs`);

// 1. The CPU-heavy job --------------------------------------------------------------------------------------
{
  const { width, height, maxIterations } = VIEW;
  heading(`1. Mandelbrot set, ${width}x${height} pixels, up to ${maxIterations} iterations: one thread, then a Pool`);
  const bands: RowBand[] = [];
  for (let row = 0; row < height; row += ROWS_PER_BAND) {
    bands.push({ view: VIEW, startRow: row, endRow: Math.min(height, row + ROWS_PER_BAND) });
  }

  // The same task function, called directly on the main thread.
  let started = performance.now();
  let cpu = process.cpuUsage();
  const single: Uint8Array[] = [];
  const singleBar = progressBar('one thread', bands.length, 'bands');
  for (const band of bands) {
    single.push(mandelbrot.renderRows(band));
    singleBar.update(single.length);
  }
  singleBar.finish();
  const singleMs = performance.now() - started;
  console.log(`  one thread: ${seconds(singleMs)} (${cpuNote(cpu, singleMs, 1)})`);

  // A Pool of worker threads, one per CPU; imap yields the bands in order as they are done. The time includes
  // starting the pool and closing it.
  const workers = cpuCount();
  started = performance.now();
  cpu = process.cpuUsage();
  const pooled: Uint8Array[] = [];
  {
    await using pool = new Pool(workers);
    const poolBar = progressBar(`pool of ${workers}`, bands.length, 'bands');
    for await (const rows of pool.imap(mandelbrot.renderRows, bands)) {
      pooled.push(rows);
      poolBar.update(pooled.length);
    }
    poolBar.finish();
  }
  const poolMs = performance.now() - started;
  console.log(
    `  pool of ${workers} worker threads (imap over ${bands.length} bands of ${ROWS_PER_BAND} rows): ${seconds(poolMs)} (${cpuNote(cpu, poolMs, workers)})`,
  );

  const image = Buffer.concat(pooled);
  console.log(`  images identical: ${image.equals(Buffer.concat(single)) ? 'yes' : 'NO'}`);
  // On a machine busy with other work the workers get less than their cores, and the CPU shares above say so.
  console.log(`  speedup: ${(singleMs / poolMs).toFixed(2)}x over one thread (${workers} workers, ${cpuCount()} CPUs)`);
  const png = encodePng(width, height, image);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, png);
  console.log(`  wrote ${OUT} (${width}x${height}, ${Math.round(png.length / 1024)} KB)`);
}

// 2-9. Python's seed examples, on both runtimes ----------------------------------------------------------

heading('2. a child process prints numbers');
for (const ctx of CONTEXTS) {
  const child = new ctx.Process({ target: seeds.printNumbers, args: [5] });
  child.start();
  console.log(`  ${ctx.runtime}: ${child.name} exited with code ${await child.join()}`);
}

heading('3. a pool maps squares');
for (const ctx of CONTEXTS) {
  await using pool = new ctx.Pool(2);
  const squares = await pool.map(seeds.square, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  console.log(`  ${ctx.runtime}: [${squares.join(', ')}]`);
}

heading('4. a producer and a consumer over a Queue');
for (const ctx of CONTEXTS) {
  const queue = new ctx.Queue<number | null>();
  const producer = new ctx.Process({ target: seeds.produce, args: [queue, 5] });
  producer.start();
  const got: number[] = [];
  for (let item = await queue.get(); item !== null; item = await queue.get()) got.push(item);
  console.log(`  ${ctx.runtime}: consumed ${got.join(', ')} then the end marker; producer exited with code ${await producer.join()}`);
  queue.close();
}

heading('5. 10 processes increment a shared Value under its lock');
for (const ctx of CONTEXTS) {
  const counter = new ctx.Value('i', 0);
  const children = Array.from({ length: 10 }, () => new ctx.Process({ target: seeds.increment, args: [counter, 50] }));
  for (const child of children) child.start();
  await Promise.all(children.map((child) => child.join()));
  console.log(`  ${ctx.runtime}: counter = ${counter.value} (10 processes x 50 increments)`);
}

heading('6. a daemon process');
for (const ctx of CONTEXTS) {
  const started = new ctx.Queue<boolean>();
  const daemon = new ctx.Process({ target: seeds.daemonWork, args: [started], daemon: true });
  daemon.start();
  const isDaemon = await started.get();
  started.close();
  console.log(
    `  ${ctx.runtime}: ${daemon.name} (pid ${daemon.pid}) runs forever, daemon = ${isDaemon}, alive = ${daemon.isAlive()}; never joined: it ends when this program exits`,
  );
}

heading('7. three workers sleep 1000 ms each, at the same time');
for (const ctx of CONTEXTS) {
  const log = new ctx.Queue<string>();
  const started = performance.now();
  const sleepers = [1, 2, 3].map((id) => new ctx.Process({ target: seeds.sleeper, args: [id, 1_000, log] }));
  for (const sleeper of sleepers) sleeper.start();
  const codes = await Promise.all(sleepers.map((sleeper) => sleeper.join()));
  const elapsed = Math.round(performance.now() - started);
  console.log(`  ${ctx.runtime}:`);
  for (let i = 0; i < 6; i++) console.log(`    ${await log.get()}`);
  console.log(`  ${ctx.runtime}: all 3 exited with codes ${codes.join(', ')} after ${elapsed} ms (one after another: 3000 ms or more)`);
  log.close();
}

heading('8. a Pipe between parent and child');
for (const ctx of CONTEXTS) {
  const [parentEnd, childEnd] = ctx.Pipe<string>();
  const child = new ctx.Process({ target: seeds.pipeChild, args: [childEnd] });
  child.start();
  parentEnd.send('hello from the parent');
  console.log(`  ${ctx.runtime}: ${await parentEnd.recv()}; child exited with code ${await child.join()}`);
  parentEnd.close();
  childEnd.close();
}

heading('9. a Barrier for three');
for (const ctx of CONTEXTS) {
  const barrier = new ctx.Barrier(3);
  const log = new ctx.Queue<string>();
  const parties = [1, 2, 3].map((id) => new ctx.Process({ target: seeds.barrierParty, args: [barrier, id, log] }));
  for (const party of parties) party.start();
  const codes = await Promise.all(parties.map((party) => party.join()));
  console.log(`  ${ctx.runtime}:`);
  for (let i = 0; i < 6; i++) console.log(`    ${await log.get()}`);
  console.log(`  ${ctx.runtime}: all 3 exited with codes ${codes.join(', ')}`);
  log.close();
}

console.log('\ndone');
