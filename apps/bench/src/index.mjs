#!/usr/bin/env node
/**
 * multiproc benchmarks. Usage:
 *   node src/index.mjs                   run every benchmark
 *   node src/index.mjs process-start     run only the named one(s)
 *   node src/index.mjs --list            list the benchmarks
 * Options: --runs N / --warmup N (override each benchmark's defaults), --json FILE (also write raw results).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { benchmarks } from './benchmarks/index.mjs';
import { startLoadMeter } from './lib/load.mjs';
import { formatTable } from './lib/table.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string' },
    warmup: { type: 'string' },
    json: { type: 'string' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || values.list) {
  if (values.help) console.log('usage: node src/index.mjs [name...] [--runs N] [--warmup N] [--json FILE] [--list]\n');
  console.log('benchmarks:');
  for (const b of benchmarks) console.log(`  ${b.name.padEnd(22)} ${b.title}`);
  process.exit(0);
}

const unknown = positionals.filter((name) => !benchmarks.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = positionals.length > 0 ? benchmarks.filter((b) => positionals.includes(b.name)) : benchmarks;

function count(text, name) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got ${text}`);
    process.exit(2);
  }
  return n;
}
const runsOverride = count(values.runs, 'runs');
const warmupOverride = count(values.warmup, 'warmup');

const cpus = os.cpus();
const machine = `${os.availableParallelism?.() ?? cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${os.platform()} ${os.release()}, Node ${process.version}`;
console.log(`multiproc benchmarks, ${new Date().toISOString()}`);
console.log(machine);

const results = [];
for (const bench of selected) {
  const runs = runsOverride ?? bench.defaults.runs;
  const warmup = warmupOverride ?? bench.defaults.warmup;
  console.log(`\n## ${bench.name}: ${bench.title}`);
  console.log(`${runs} runs after ${warmup} warm-up runs each\n`);
  const started = performance.now();
  const meter = startLoadMeter();
  const result = await bench.run({ runs, warmup, log: (line) => console.error(`  [${bench.name}] ${line}`) });
  const load = meter.stop();
  console.log(formatTable(result.header, result.rows, result.align));
  if (result.notes?.length) console.log(`\n${result.notes.join('\n')}`);
  const seconds = (performance.now() - started) / 1000;
  const cores = os.availableParallelism?.() ?? cpus.length;
  const busy = Number.isFinite(load.othersCores)
    ? `; other processes on the machine used ${load.othersCores.toFixed(2)} of ${cores} cores on average meanwhile`
    : '';
  console.log(`(${bench.name} took ${seconds.toFixed(1)} s${busy})`);
  results.push({ name: bench.name, runs, warmup, seconds, load, ...result });
}

const targets = results.flatMap((r) => (r.targets ?? []).map((t) => ({ bench: r.name, ...t })));
if (targets.length > 0) {
  console.log('\n## Summary of targets\n');
  for (const t of targets) console.log(`- ${t.met ? 'met    ' : 'NOT met'}  ${t.bench}: ${t.target}: ${t.value}`);
  const met = targets.filter((t) => t.met).length;
  console.log(`\n${met} of ${targets.length} targets met`);
}

if (values.json) {
  writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2)}\n`);
  console.log(`\nraw results written to ${values.json}`);
}

// Everything measured has been printed and closed; a peer pool that failed to close (see poolifier in
// lib/pools.mjs) must not keep the run from ending.
process.exitCode = 0;
setTimeout(() => process.exit(0), 1000).unref();
