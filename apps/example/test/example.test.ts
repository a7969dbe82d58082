/**
 * Runs the demo as users run it, as a real program in its own Node.js process, and checks what it
 * prints: the demo is the README's first command, so it must keep working.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ENTRY = fileURLToPath(new URL('../src/main.mjs', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runDemo(): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    // 'close' (not 'exit'): both pipes are drained and closed, so no handle is left open.
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The lines between a section heading and the next heading. */
function section(stdout: string, heading: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  expect(start, `section "${heading}" in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('== ') || line === 'done');
  return rest.slice(0, end === -1 ? undefined : end).filter((line) => line.trim() !== '');
}

describe('the example app', () => {
  let run: Run;

  beforeAll(async () => {
    run = await runDemo();
  });

  it('runs to the end and exits with code 0', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.signal).toBeNull();
    expect(run.stdout).toMatch(/\ndone\n$/);
  });

  it('prints nothing to stderr but the two expected uncaught errors', () => {
    const unexpected = run.stderr
      .split('\n')
      .filter((line) => line !== '' && !/^Process Process-\d+:$/.test(line) && !/^ {4}at /.test(line))
      .filter((line) => line !== 'Error: this error is expected: it shows exit code 1');
    expect(unexpected, run.stderr).toEqual([]);
  });

  it('a child prints 0..9 on both runtimes, all of it before join resolves', () => {
    const lines = section(run.stdout, '== 1.');
    const numbers = Array.from({ length: 10 }, (_, i) => `  ${i}`);
    expect(lines).toEqual([
      '  [Process-1, runtime thread] counting to 9:',
      ...numbers,
      'thread: Process-1 exited with code 0',
      '  [Process-2, runtime process] counting to 9:',
      ...numbers,
      'process: Process-2 exited with code 0',
    ]);
  });

  it('three sleeping workers run at the same time: all start before any ends, all exit 0', () => {
    const lines = section(run.stdout, '== 2.');
    for (const runtime of ['thread', 'process']) {
      const from = lines.indexOf(`${runtime}:`);
      const to = lines.findIndex((line) => line.startsWith(`${runtime}: all 3 joined`));
      expect(from, lines.join('\n')).toBeGreaterThanOrEqual(0);
      expect(to).toBeGreaterThan(from);
      const events = lines.slice(from + 1, to).map((line) => line.trim());
      expect(events).toHaveLength(6);
      // Every worker started before any finished: the sleeps overlapped instead of running in turn.
      expect(events.slice(0, 3).every((line) => / started, sleeping /.test(line)), events.join('\n')).toBe(true);
      expect(events.slice(3).every((line) => / done$/.test(line)), events.join('\n')).toBe(true);
      expect(lines[to]).toMatch(new RegExp(`^${runtime}: all 3 joined with codes 0, 0, 0 after \\d+ ms`));
    }
  });

  it("reports Python's exit codes on both runtimes, and prints the uncaught errors to stderr", () => {
    expect(section(run.stdout, '== 3.')).toEqual([
      'thread: returned -> 0, process.exit(3) -> 3, uncaught error -> 1, terminate() -> -15, kill() -> -9',
      'process: returned -> 0, process.exit(3) -> 3, uncaught error -> 1, terminate() -> -15, kill() -> -9',
    ]);
    expect(run.stderr.match(/Error: this error is expected: it shows exit code 1/g)).toHaveLength(2);
  });
});
