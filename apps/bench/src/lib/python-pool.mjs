/**
 * Client of src/python/pool_bench.py: a Python multiprocessing.Pool kept running in a python3 child process
 * and driven one command at a time, so the Python row can be measured round-robin with the Node rows.
 *
 *   const py = await openPythonPool({ processes: 2 });   // { error } when python3 is missing or fails
 *   const { ms } = await py.request({ op: 'apply', n: 100000 });
 *   await py.close();
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../python/pool_bench.py', import.meta.url));

/**
 * @param {{ processes: number }} options
 * @returns {Promise<{ version: string, pid: number, startMethod: string, request: (cmd: object) => Promise<any>, close: () => Promise<void> } | { error: string }>}
 */
export function openPythonPool({ processes }) {
  const python = process.env.PYTHON ?? 'python3';
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(python, [SCRIPT, '--processes', String(processes)], { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ error: `${python} could not start: ${error.message}` });
      return;
    }
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      stderr += text;
    });
    const waiting = [];
    let failure;
    let ready = false;
    const fail = (why) => {
      failure ??= why;
      if (!ready) resolve({ error: failure });
      for (const w of waiting.splice(0)) w.reject(new Error(failure));
    };
    child.on('error', (error) => fail(error.code === 'ENOENT' ? `${python} not found (set PYTHON=...)` : `${python}: ${error.message}`));
    child.on('exit', (code, signal) => fail(`${python} exited (${signal ?? code})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        return; // not ours (a stray print)
      }
      if (!ready) {
        ready = true;
        resolve({
          version: message.python,
          pid: child.pid,
          startMethod: message.start_method,
          request(cmd) {
            if (failure) return Promise.reject(new Error(failure));
            return new Promise((res, rej) => {
              waiting.push({ resolve: res, reject: rej });
              child.stdin.write(`${JSON.stringify(cmd)}\n`);
            });
          },
          close() {
            return new Promise((res) => {
              if (child.exitCode !== null || child.signalCode !== null) {
                res();
                return;
              }
              child.once('exit', () => res());
              child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
              setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
            });
          },
        });
        return;
      }
      const w = waiting.shift();
      if (!w) return;
      if (message.error) w.reject(new Error(`python: ${message.error}`));
      else w.resolve(message);
    });
  });
}
