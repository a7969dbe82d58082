import { afterEach } from 'vitest';
import { Process } from '@multiproc/process';
import { Pool } from '@multiproc/pool';

export const RUNTIMES = ['thread', 'process'] as const;
export type Runtime = (typeof RUNTIMES)[number];

const processes: Process[] = [];
const pools: Pool[] = [];

/** Starts a process that the suite ends after the test if it is still running. */
export function start(target: unknown, args: unknown[], runtime: Runtime): Process {
  const child = new Process({ target: target as never, args: args as never, runtime });
  processes.push(child);
  child.start();
  return child;
}

/** A pool that the suite terminates after the test. */
export function pool(options: ConstructorParameters<typeof Pool>[0]): Pool {
  const created = new Pool(options);
  pools.push(created);
  return created;
}

afterEach(async () => {
  for (const child of processes.splice(0)) {
    if (child.exitCode === null && child.pid !== undefined) {
      child.kill();
      await child.join();
    }
  }
  await Promise.all(pools.splice(0).map((p) => p.terminate()));
});
