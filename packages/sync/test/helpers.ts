import { afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Process } from '@multiproc/process';
import { Pool } from '@multiproc/pool';

export const RUNTIMES = ['thread', 'process'] as const;
export type Runtime = (typeof RUNTIMES)[number];

const processes: Process[] = [];
const pools: Pool[] = [];
const dirs: string[] = [];

/** Starts a process that the suite ends after the test if it is still running. */
export function start(target: unknown, args: unknown[], runtime: Runtime): Process {
  const child = new Process({ target: target as never, args: args as never, runtime });
  processes.push(child);
  child.start();
  return child;
}

/** Runs processes to completion and returns their exit codes. */
export async function runAll(children: Process[]): Promise<Array<number | null>> {
  return Promise.all(children.map((child) => child.join()));
}

/** A pool that the suite terminates after the test. */
export function pool(options: ConstructorParameters<typeof Pool>[0]): Pool {
  const created = new Pool(options);
  pools.push(created);
  return created;
}

/** A counter file for child processes (which share no memory). */
export function counterFile(): { path: string; read(): number } {
  const dir = mkdtempSync(join(tmpdir(), 'multiproc-sync-'));
  dirs.push(dir);
  const path = join(dir, 'counter');
  writeFileSync(path, '0');
  return { path, read: () => Number(readFileSync(path, 'utf8')) };
}

/** A temporary directory removed after the test. */
export function tempDir(): { path(name: string): string; read<T>(name: string): T } {
  const dir = mkdtempSync(join(tmpdir(), 'multiproc-sync-'));
  dirs.push(dir);
  return { path: (name) => join(dir, name), read: (name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  for (const child of processes.splice(0)) {
    if (child.exitCode === null && child.pid !== undefined) {
      child.kill();
      await child.join();
    }
  }
  await Promise.all(pools.splice(0).map((p) => p.terminate()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
