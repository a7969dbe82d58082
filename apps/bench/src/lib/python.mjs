/**
 * Runs one of the Python scripts in src/python (python3, or $PYTHON) and reads the JSON object it prints on
 * its last line of stdout. Never rejects: when Python is missing, fails or prints something else, it
 * resolves `{ error }`, and the benchmark shows its Python rows as n/a with that reason.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs `python3 src/python/<script> [command] [--flag value]...`.
 * @param {string} script - the file name in src/python, e.g. 'sync_bench.py'.
 * @param {string | undefined} command - the subcommand, if the script has them.
 * @param {Record<string, string | number>} flags - `--key value` pairs.
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<object>} the script's JSON object, or `{ error }`.
 */
export function runPythonScript(script, command, flags, { timeoutMs = 300_000 } = {}) {
  const python = process.env.PYTHON ?? 'python3';
  const path = fileURLToPath(new URL(`../python/${script}`, import.meta.url));
  const argv = [path, ...(command === undefined ? [] : [command]), ...Object.entries(flags).flatMap(([key, value]) => [`--${key}`, String(value)])];
  return new Promise((resolve) => {
    execFile(python, argv, { maxBuffer: 16 * 1024 * 1024, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        resolve({ error: error.code === 'ENOENT' ? `${python} not found (set PYTHON=...)` : `${python} failed: ${stderr.trim() || error.message}` });
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()));
      } catch (parseError) {
        resolve({ error: `could not parse the Python script's output: ${parseError.message}` });
      }
    });
  });
}
