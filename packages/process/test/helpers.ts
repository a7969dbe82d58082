import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeChildren, type Process } from '@multiproc/process';

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a fixture script in a fresh node process and collects its output. */
export function runScript(name: string, args: string[] = [], timeoutMs = 30_000): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fixture(name), ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const err = error as (Error & { code?: number | string; signal?: NodeJS.Signals; killed?: boolean }) | null;
      if (err?.killed) {
        reject(new Error(`${name} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
        signal: err?.signal ?? null,
        stdout,
        stderr,
      });
    });
  });
}

/** Starts a fixture script and returns the running child (the caller ends it). */
export function startScript(name: string, args: string[] = []): ChildProcess {
  return spawn(process.execPath, [fixture(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tempDir(): { path(name: string): string; read<T = unknown>(name: string): T; exists(name: string): boolean; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'multiproc-process-'));
  return {
    path: (name) => join(dir, name),
    read: (name) => JSON.parse(readFileSync(join(dir, name), 'utf8')),
    exists: (name) => existsSync(join(dir, name)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Ends every process a test left running (so a failing test does not leak workers into the next). */
export async function reapChildren(extra: Process[] = []): Promise<void> {
  for (const child of [...activeChildren(), ...extra]) {
    if (child.exitCode === null && child.pid !== undefined) {
      child.kill();
      await child.join();
    }
  }
}

export const RUNTIMES = ['thread', 'process'] as const;
