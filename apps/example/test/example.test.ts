/**
 * Runs the example as users run it, as a real program in its own Node.js process (built from src first, so the
 * test always checks the current code), and checks what it prints and the PNG it writes. The example is the
 * README's first command, so it must keep working.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('..', import.meta.url));
const RUNTIMES = ['thread', 'process'] as const;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  exitedAt: number;
}

function runExample(out: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(APP, 'dist/main.js'), '--out', out], { cwd: APP, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    // 'close' (not 'exit'): both pipes are drained and closed, so no handle is left open.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, exitedAt: Date.now() });
    });
  });
}

/** The lines between a section heading and the next heading (or the final "done"). */
function section(stdout: string, heading: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  expect(start, `section "${heading}" in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('== ') || line === 'done');
  return rest.slice(0, end === -1 ? undefined : end).filter((line) => line.trim() !== '');
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An independent PNG reader: every chunk's CRC, the IHDR fields, and the inflated scanlines. */
function readPng(file: Buffer): { width: number; height: number; pixels: Buffer } {
  expect([...file.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer): number => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const types: string[] = [];
  const idat: Buffer[] = [];
  let header: Buffer | undefined;
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const data = file.subarray(at + 8, at + 8 + length);
    expect(crc(file.subarray(at + 4, at + 8 + length)), `CRC of ${type}`).toBe(file.readUInt32BE(at + 8 + length));
    types.push(type);
    if (type === 'IHDR') header = data;
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  expect(types[0]).toBe('IHDR');
  expect(types.at(-1)).toBe('IEND');
  expect(header).toBeDefined();
  const width = header!.readUInt32BE(0);
  const height = header!.readUInt32BE(4);
  expect([...header!.subarray(8)]).toEqual([8, 2, 0, 0, 0]); // 8-bit RGB, deflate, filter 0, no interlace
  const raw = inflateSync(Buffer.concat(idat));
  const stride = 1 + width * 3;
  expect(raw.length).toBe(height * stride);
  const pixels = Buffer.alloc(width * height * 3);
  for (let row = 0; row < height; row++) {
    expect(raw[row * stride], `filter byte of row ${row}`).toBe(0);
    raw.copy(pixels, row * width * 3, row * stride + 1, (row + 1) * stride);
  }
  return { width, height, pixels };
}

describe('the example app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'multiproc-example-'));
  const out = join(dir, 'mandelbrot.png');
  let run: Run;

  beforeAll(async () => {
    // Build dist from the current sources, as the root `example` script does (workers load the compiled .js).
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: APP, encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    run = await runExample(out);
  }, 240_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs to the end, exits with code 0 and prints nothing to stderr', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.signal).toBeNull();
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^multiproc example on Node\.js v\d+\.\d+\.\d+, \d+ CPUs\n/);
    expect(run.stdout).toMatch(/\ndone\n$/);
  });

  it('renders the Mandelbrot set on one thread and on a pool, with progress, identical images and a speedup', () => {
    const lines = section(run.stdout, '== 1.');
    const heading = /^== 1\. Mandelbrot set, (\d+)x(\d+) pixels, up to (\d+) iterations/.exec(run.stdout.split('\n')[2] ?? '');
    expect(heading, run.stdout).not.toBeNull();
    const bands = Number(/imap over (\d+) bands/.exec(run.stdout)?.[1]);
    expect(bands).toBeGreaterThan(1);
    // Not a terminal: the progress bar prints a line at each quarter, for each run.
    for (const label of ['one thread', `pool of ${/pool of (\d+):/.exec(run.stdout)?.[1]}`]) {
      const progress = lines.filter((line) => line.startsWith(`  ${label}: `) && /^ {2}[^:]+: \d+% \(\d+\/\d+ bands\)$/.test(line));
      expect(progress.map((line) => /: (\d+)% \(/.exec(line)?.[1])).toEqual(['25', '50', '75', '100']);
      expect(progress.at(-1)).toBe(`  ${label}: 100% (${bands}/${bands} bands)`);
    }
    const single = lines.map((line) => /^ {2}one thread: (\d+\.\d\d) s \(CPU time \d+\.\d\d s, \d+% of one core\)$/.exec(line)).find(Boolean);
    const pooled = lines
      .map((line) => /^ {2}pool of \d+ worker threads \(imap over \d+ bands of \d+ rows\): (\d+\.\d\d) s \(CPU time \d+\.\d\d s, \d+% of \d+ cores\)$/.exec(line))
      .find(Boolean);
    expect(single, lines.join('\n')).toBeDefined();
    expect(pooled, lines.join('\n')).toBeDefined();
    expect(lines).toContain('  images identical: yes');
    // The speedup depends on how busy the machine is; it must be printed, positive, and the ratio of the times.
    const speedup = Number(/^ {2}speedup: (\d+\.\d\d)x over one thread \(\d+ workers, \d+ CPUs\)$/m.exec(run.stdout)?.[1]);
    expect(Number.isFinite(speedup)).toBe(true);
    expect(speedup).toBeGreaterThan(0);
    expect(speedup).toBeCloseTo(Number(single![1]) / Number(pooled![1]), 1);
    expect(lines.at(-1)!.startsWith(`  wrote ${out} (${heading![1]}x${heading![2]}, `), lines.at(-1)).toBe(true);
    expect(lines.at(-1)).toMatch(/, \d+ KB\)$/);
  });

  it('writes a valid PNG of the announced size that shows the set', () => {
    const heading = /Mandelbrot set, (\d+)x(\d+) pixels/.exec(run.stdout)!;
    const { width, height, pixels } = readPng(readFileSync(out));
    expect([width, height]).toEqual([Number(heading[1]), Number(heading[2])]);
    let black = 0;
    for (let i = 0; i < pixels.length; i += 3) if (pixels[i] === 0 && pixels[i + 1] === 0 && pixels[i + 2] === 0) black++;
    const share = black / (width * height);
    // The set covers about a fifth of this view: neither an empty image nor a black one.
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.5);
    // The middle of the main cardioid (c = -0.2 + 0i, at the view's centre row) is in the set: black.
    const column = Math.round(((-0.2 - -0.65) / 3.2) * width + width / 2);
    const at = (Math.floor(height / 2) * width + column) * 3;
    expect([...pixels.subarray(at, at + 3)]).toEqual([0, 0, 0]);
    // A corner is far outside: coloured.
    expect([...pixels.subarray(0, 3)]).not.toEqual([0, 0, 0]);
  });

  it('2. a child prints numbers, on both runtimes', () => {
    const lines = section(run.stdout, '== 2.');
    expect(lines).toHaveLength(14);
    for (const [i, runtime] of RUNTIMES.entries()) {
      const part = lines.slice(i * 7, i * 7 + 7);
      const name = /^ {2}(Process-\d+) \((\w+)\) prints:$/.exec(part[0]!);
      expect(name?.[2], part.join('\n')).toBe(runtime);
      expect(part.slice(1, 6)).toEqual(['  0', '  1', '  2', '  3', '  4']);
      expect(part[6]).toBe(`  ${runtime}: ${name![1]} exited with code 0`);
    }
  });

  it('3. a pool maps squares', () => {
    expect(section(run.stdout, '== 3.')).toEqual(
      RUNTIMES.map((runtime) => `  ${runtime}: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]`),
    );
  });

  it('4. a producer and a consumer over a Queue', () => {
    expect(section(run.stdout, '== 4.')).toEqual(
      RUNTIMES.map((runtime) => `  ${runtime}: consumed 0, 1, 2, 3, 4 then the end marker; producer exited with code 0`),
    );
  });

  it('5. 10 processes increment a shared Value under its lock: no update lost', () => {
    expect(section(run.stdout, '== 5.')).toEqual(RUNTIMES.map((runtime) => `  ${runtime}: counter = 500 (10 processes x 50 increments)`));
  });

  it('6. a daemon process runs unjoined and does not outlive the program', async () => {
    const lines = section(run.stdout, '== 6.');
    expect(lines).toHaveLength(2);
    const pids = RUNTIMES.map((runtime, i) => {
      const match = new RegExp(
        `^  ${runtime}: Process-\\d+ \\(pid (\\d+)\\) runs forever, daemon = true, alive = true; never joined: it ends when this program exits$`,
      ).exec(lines[i]!);
      expect(match, lines[i]).not.toBeNull();
      return Number(match![1]);
    });
    // The program exited on its own (the daemons did not keep it alive), and the daemon child process ended with it.
    const deadline = run.exitedAt + 10_000;
    while (isRunning(pids[1]!) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isRunning(pids[1]!)).toBe(false);
  });

  it('7. three workers sleep at the same time: every one starts before any wakes up', () => {
    const lines = section(run.stdout, '== 7.');
    expect(lines).toHaveLength(16);
    for (const [i, runtime] of RUNTIMES.entries()) {
      const part = lines.slice(i * 8, i * 8 + 8);
      expect(part[0]).toBe(`  ${runtime}:`);
      expect(part.slice(1, 4).sort()).toEqual([1, 2, 3].map((id) => `    worker ${id} started, sleeping 1000 ms`));
      expect(part.slice(4, 7).sort()).toEqual([1, 2, 3].map((id) => `    worker ${id} woke up`));
      expect(part[7]).toMatch(new RegExp(`^  ${runtime}: all 3 exited with codes 0, 0, 0 after \\d+ ms \\(one after another: 3000 ms or more\\)$`));
    }
  });

  it('8. a Pipe carries a message to the child and its answer back', () => {
    expect(section(run.stdout, '== 8.')).toEqual(
      RUNTIMES.map((runtime) => `  ${runtime}: child got "hello from the parent", says hello back; child exited with code 0`),
    );
  });

  it('9. a Barrier lets nobody through until all three parties arrived, each with its own index', () => {
    const lines = section(run.stdout, '== 9.');
    expect(lines).toHaveLength(16);
    for (const [i, runtime] of RUNTIMES.entries()) {
      const part = lines.slice(i * 8, i * 8 + 8);
      expect(part[0]).toBe(`  ${runtime}:`);
      expect(part.slice(1, 4).sort()).toEqual([1, 2, 3].map((id) => `    party ${id} waiting`));
      const passed = part.slice(4, 7).map((line) => /^ {4}party (\d) passed \(index (\d)\)$/.exec(line));
      expect(passed.every(Boolean), part.join('\n')).toBe(true);
      expect(passed.map((match) => match![1]).sort()).toEqual(['1', '2', '3']);
      expect(passed.map((match) => match![2]).sort()).toEqual(['0', '1', '2']);
      expect(part[7]).toBe(`  ${runtime}: all 3 exited with codes 0, 0, 0`);
    }
  });
});
