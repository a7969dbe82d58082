/**
 * Keeps the guides honest: every TypeScript block in `docs/**\/*.md` is type-checked against the real
 * packages, and every runnable one is compiled and executed as its own program with real worker threads
 * and child processes. A runnable block must exit 0 within its time limit and print, in order, each line
 * that a `console.log(...) // expected` comment promises. See `code-blocks/extract.ts` for the info-string
 * flags (`ts`, `ts no-run`, `ts file=tasks.ts`). The blocks are written to a scratch directory under the OS temp
 * folder, removed afterwards; set `KEEP_DOCS_BLOCKS=1` to keep it for debugging (its path is in the failure).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileBlocks, type CompiledBlocks } from './code-blocks/compile.js';
import { checkOutput, expectedOutput, extractAll, markdownFiles, type CodeBlock } from './code-blocks/extract.js';
import { runBlock } from './code-blocks/run.js';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../node_modules/', import.meta.url));
const TYPE_ROOTS = fileURLToPath(new URL('../../../node_modules/@types/', import.meta.url));
/** Generous: a block starts workers on a shared, busy 2-core machine. */
const RUN_TIMEOUT_MS = 60_000;

const blocks: CodeBlock[] = extractAll(DOCS);
const runnable = blocks.filter((block) => block.kind === 'run');
let compiled: CompiledBlocks | undefined;

beforeAll(() => {
  compiled = compileBlocks(blocks, NODE_MODULES, TYPE_ROOTS);
}, 120_000);

afterAll(() => {
  if (compiled && !process.env['KEEP_DOCS_BLOCKS']) rmSync(compiled.root, { recursive: true, force: true });
});

describe('docs code blocks', () => {
  it('finds the guides and their TypeScript blocks', () => {
    const pages = markdownFiles(DOCS);
    for (const page of ['index.md', 'getting-started.md', 'concepts.md', 'python.md', 'performance.md', 'errors.md']) {
      expect(pages).toContain(page);
    }
    for (const name of ['transport', 'process', 'pool', 'channel', 'sync', 'shared', 'multiproc']) {
      expect(pages).toContain(`guide/${name}.md`);
    }
    const typescript = blocks.filter((block) => block.kind !== 'other');
    console.log(
      `docs code blocks: ${typescript.length} TypeScript blocks type-checked (${runnable.length} run, ` +
        `${typescript.filter((b) => b.kind === 'no-run').length} no-run, ${typescript.filter((b) => b.kind === 'module').length} modules) in ${pages.length} pages`,
    );
    // Most blocks must run: no-run is for the few that cannot.
    expect(runnable.length).toBeGreaterThan(3 * typescript.filter((b) => b.kind === 'no-run').length);
  });

  it('resolves the packages the guides import', () => {
    for (const name of ['@multiproc/transport', '@multiproc/process', '@multiproc/pool', '@multiproc/channel', '@multiproc/sync', '@multiproc/shared', 'multiproc']) {
      expect(existsSync(`${NODE_MODULES}${name}/package.json`), `${name} in apps/docs/node_modules (declare it in apps/docs/package.json)`).toBe(true);
      const manifest = JSON.parse(readFileSync(`${NODE_MODULES}${name}/package.json`, 'utf8')) as { main?: string };
      expect(existsSync(`${NODE_MODULES}${name}/${manifest.main ?? 'dist/index.js'}`), `${name} is built`).toBe(true);
    }
  });

  it('type-checks every TypeScript block against the real packages', () => {
    const report = (compiled?.diagnostics ?? []).map((d) => `${d.where}: ${d.message}`).join('\n');
    expect(report).toBe('');
  });

  describe.each(runnable.map((block) => [`${block.page}:${block.line}`, block] as const))('runs %s', (_where, block) => {
    it('exits 0 and prints what it says', async () => {
      const placed = compiled?.placed.find((p) => p.block === block);
      expect(placed).toBeDefined();
      const run = await runBlock(placed!.output, RUN_TIMEOUT_MS);
      const context = `\n--- program: ${placed!.output} ---\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
      expect(run.timedOut, `did not finish within ${RUN_TIMEOUT_MS} ms${context}`).toBe(false);
      expect(run.code, `exit code${context}`).toBe(0);
      expect(checkOutput(run.stdout, expectedOutput(block.code)), context).toBeUndefined();
    }, RUN_TIMEOUT_MS + 15_000);
  });
});
