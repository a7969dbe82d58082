/**
 * The list of benchmarks, in the order `node src/index.mjs` runs them. To add one, write
 * src/benchmarks/<name>.mjs exporting a default { name, title, defaults: { runs, warmup }, run(ctx) }
 * whose run resolves { header, rows, align?, notes?, targets?, data? }, and add it here. `targets` is a list of
 * { target, value, met } that the runner repeats in the summary at the end.
 */
import eventLatency from './event-latency.mjs';
import lockUncontended from './lock-uncontended.mjs';
import poolApplyThroughput from './pool-apply-throughput.mjs';
import poolCpuSpeedup from './pool-cpu-speedup.mjs';
import poolLatency from './pool-latency.mjs';
import poolMap from './pool-map.mjs';
import processStart from './process-start.mjs';
import queueThroughput from './queue-throughput.mjs';
import pipeLatency from './pipe-latency.mjs';
import valueIncrements from './value-increments.mjs';

export const benchmarks = [
  processStart,
  poolApplyThroughput,
  poolMap,
  poolCpuSpeedup,
  poolLatency,
  lockUncontended,
  valueIncrements,
  eventLatency,
  queueThroughput,
  pipeLatency,
];
