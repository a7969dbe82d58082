/**
 * Runs one compiled block as its own Node.js program (its own process, so its workers, child processes
 * and exit code are real), with a time limit.
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';

/** How a block's program ended. */
export interface BlockRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

/**
 * Runs `node file` in the file's folder.
 *
 * @param file - the compiled `.js` of a block.
 * @param timeoutMs - kill it (SIGKILL, with its process group) after this long.
 */
export function runBlock(file: string, timeoutMs: number): Promise<BlockRun> {
  const env = { ...process.env };
  // The test runner's own loader flags must not leak into the program under test.
  delete env['NODE_OPTIONS'];
  for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      cwd: dirname(file),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close', not 'exit': both pipes are drained and closed, so the test leaves no handle open.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Math.round(performance.now() - started) });
    });
  });
}
