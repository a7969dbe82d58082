/**
 * Helpers of the sync/shared benchmarks (lock-uncontended, value-increments, event-latency): running a task
 * in a Process to completion, the shared clock, and the Python script src/python/sync_bench.py.
 */
import { Process } from '@multiproc/process';
import { runPythonScript } from './python.mjs';


/** Starts a Process running `target(...args)`; resolves when it exits with 0 (rejects otherwise, or after `timeoutMs`). */
export async function runTask(target, args, runtime, { timeoutMs = 120_000 } = {}) {
  const p = new Process({ target, args, runtime, daemon: true });
  p.start();
  return finish(p, timeoutMs);
}

/** Waits for a started Process to exit with 0 (kills it after `timeoutMs`). */
export async function finish(p, timeoutMs = 120_000) {
  const code = await p.join(timeoutMs);
  if (code === null) {
    p.kill();
    await p.join();
    throw new Error(`${p.name} (${p.runtime}) did not finish within ${timeoutMs / 1000} s`);
  }
  if (code !== 0) throw new Error(`${p.name} (${p.runtime}) exited with ${code}`);
}

/**
 * The base of the shared clock: a whole number of milliseconds of process.hrtime (CLOCK_MONOTONIC), passed to
 * the tasks so that every side stamps nanoseconds since the same instant (small enough for a double).
 */
export const BASE_MS = Number(process.hrtime.bigint() / 1_000_000n);

/** Nanoseconds since BASE_MS on the shared clock (the tasks' `stamp`). */
export function stamp() {
  return Number(process.hrtime.bigint() - BigInt(BASE_MS) * 1_000_000n);
}

/**
 * Runs `python3 sync_bench.py <command> [--flag value]...`; resolves its JSON object, or { error } when
 * Python is missing or fails (the Python rows then show n/a).
 */
export function runSyncPython(command, flags, { timeoutMs = 120_000 } = {}) {
  return runPythonScript('sync_bench.py', command, flags, { timeoutMs });
}

/** "12.34" millions, or "n/a". */
export function millions(value, digits = 2) {
  return Number.isFinite(value) ? (value / 1e6).toFixed(digits) : 'n/a';
}

/** A rate with a unit: "35.91M", "5.41k", "812", or "n/a". */
export function rate(value) {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(2)}k`;
  return value.toFixed(0);
}

/** A duration given in nanoseconds, with a unit: "27.8 ns", "184.8 us", "3.20 ms", or "n/a". */
export function duration(ns) {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 1e3) return `${ns.toFixed(1)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} us`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

/** A ratio: "4.45x", or two significant digits below 0.01 ("0.00015x"), or "n/a". */
export function ratio(value, digits = 2) {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 0.01 ? `${value.toPrecision(2)}x` : `${value.toFixed(digits)}x`;
}

/** Microseconds with one decimal, or "n/a". */
export function us(value) {
  return Number.isFinite(value) ? value.toFixed(1) : 'n/a';
}
