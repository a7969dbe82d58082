import { activeChildren, Process } from '@multiproc/process';
import type { Queue } from '@multiproc/channel';

export const RUNTIMES = ['thread', 'process'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** Queues and pipe ends a test made; closed after each test so no waiter is left behind. */
export const closers: Array<{ close(): void }> = [];
export function track<T extends { close(): void }>(handle: T): T {
  closers.push(handle);
  return handle;
}

/** Starts a process (tracked: killed after the test if still running). */
export function start(options: ConstructorParameters<typeof Process>[0]): Process {
  const child = new Process(options);
  child.start();
  return child;
}

/** Ends every process a test left running, then closes its queues and pipes. */
export async function cleanup(): Promise<void> {
  for (const child of activeChildren()) {
    if (child.exitCode === null && child.pid !== undefined) {
      child.kill();
      await child.join();
    }
  }
  for (const handle of closers.splice(0)) handle.close();
}

/** Gets `n` items from a queue, each within `timeoutMs`. */
export async function take<T>(queue: Queue<T>, n: number, timeoutMs = 20_000): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await queue.get({ timeout: timeoutMs }));
  return out;
}

/** Settles with the error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The error a function throws (fails the test if it returns). */
export function thrown(run: () => unknown): Error & { code?: string } {
  try {
    run();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected an error, but the call returned');
}
