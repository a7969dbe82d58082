/**
 * Timing helpers. Variants of one benchmark are measured round-robin (one run of each per round, the
 * order rotated every round), so that drift in machine load affects all of them alike instead of
 * favouring whichever ran first.
 */
import { performance } from 'node:perf_hooks';

/**
 * @typedef {object} Variant
 * @property {string} name
 * @property {() => Promise<unknown>} run one timed operation (start to finish); if it resolves `{ ms }`
 *   (a time the operation measured itself, e.g. in a Python child process), that is the sample instead
 * @property {() => Promise<void>} [setup] once, before warm-up
 * @property {() => Promise<void>} [teardown] once, at the end
 * @property {() => Promise<void>} [after] after each run, untimed (e.g. let background work it started settle,
 *   so that it does not slow the next variant's timed run)
 */

/**
 * @param {Variant[]} variants
 * @param {{ runs: number, warmup: number, onRound?: (round: number) => void }} options
 * @returns {Promise<Map<string, number[]>>} ms per run, by variant name (warm-up runs excluded)
 */
export async function roundRobin(variants, { runs, warmup, onRound }) {
  const samples = new Map(variants.map((v) => [v.name, []]));
  for (const v of variants) await v.setup?.();
  try {
    for (let round = 0; round < warmup + runs; round++) {
      const shift = round % variants.length;
      const order = [...variants.slice(shift), ...variants.slice(0, shift)];
      for (const v of order) {
        const t0 = performance.now();
        const result = await v.run();
        const ms = typeof result?.ms === 'number' ? result.ms : performance.now() - t0;
        if (round >= warmup) samples.get(v.name).push(ms);
        await v.after?.();
      }
      onRound?.(round);
    }
  } finally {
    for (const v of variants) await v.teardown?.();
  }
  return samples;
}
