/**
 * Writes the TypeScript blocks of the guides into a scratch directory, one folder per page, type-checks
 * them all in one TypeScript program against the real packages (their published `.d.ts`, resolved through
 * the docs app's `node_modules` exactly as a user's project resolves them), and compiles them to
 * JavaScript with `tsc`'s emitter, so the runnable ones execute as a user's built program does (worker
 * threads on Node.js 20 cannot load `.ts`, so task modules run compiled).
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import type { CodeBlock } from './extract.js';

/** A block as written to disk. */
export interface PlacedBlock {
  readonly block: CodeBlock;
  /** The `.ts` file it was written to. */
  readonly source: string;
  /** The compiled `.js` file. */
  readonly output: string;
}

/** One type error, mapped back to the Markdown page. */
export interface BlockDiagnostic {
  /** `guide/pool.md:42` — the page and line of the offending code. */
  readonly where: string;
  readonly message: string;
}

/** The result of {@link compileBlocks}. */
export interface CompiledBlocks {
  readonly root: string;
  readonly placed: PlacedBlock[];
  readonly diagnostics: BlockDiagnostic[];
}

/**
 * The compiler options of the check: the house style's strict flags (unused locals aside: examples declare
 * things to show their type), ES2022 output, Node's ESM resolution. `await using` is compiled down by
 * TypeScript (5.2+), as in a user's project on Node.js 20.
 */
export function compilerOptions(typeRoots: string): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.es2024.sharedmemory.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    typeRoots: [typeRoots],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: true,
    forceConsistentCasingInFileNames: true,
    sourceMap: false,
    declaration: false,
    newLine: ts.NewLineKind.LineFeed,
  };
}

function pageDir(root: string, page: string): string {
  return join(root, page.replace(/\.md$/, '').replace(/[^\w/-]/g, '_'));
}

/**
 * Writes, type-checks and compiles every TypeScript block.
 *
 * @param blocks - the blocks of all pages (non-TypeScript ones are skipped).
 * @param nodeModules - the `node_modules` folder whose packages the blocks import (the docs app's).
 * @param typeRoots - where `@types/node` lives.
 * @throws Error when a page defines the same module file twice.
 */
export function compileBlocks(blocks: readonly CodeBlock[], nodeModules: string, typeRoots: string): CompiledBlocks {
  const root = mkdtempSync(join(tmpdir(), 'multiproc-docs-'));
  symlinkSync(nodeModules, join(root, 'node_modules'), 'dir');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'docs-code-blocks', private: true, type: 'module' }));

  const placed: PlacedBlock[] = [];
  const modules = new Map<string, CodeBlock>();
  for (const block of blocks) {
    if (block.kind === 'other') continue;
    const dir = pageDir(root, block.page);
    mkdirSync(dir, { recursive: true });
    let name: string;
    if (block.kind === 'module') {
      name = block.fileName as string;
      const key = join(dir, name);
      const earlier = modules.get(key);
      if (earlier) throw new Error(`${block.page}:${block.line}: ${name} is already defined on this page (line ${earlier.line})`);
      modules.set(key, block);
    } else {
      name = `block-${block.line}.ts`;
    }
    const source = join(dir, name);
    mkdirSync(dirname(source), { recursive: true });
    // Every block is an ES module (top-level await, its own scope) even when it imports nothing.
    writeFileSync(source, `${block.code}\nexport {};\n`);
    placed.push({ block, source, output: source.replace(/\.ts$/, '.js') });
  }

  const options = compilerOptions(typeRoots);
  const program = ts.createProgram({ rootNames: placed.map((p) => p.source), options });
  const bySource = new Map(placed.map((p) => [p.source, p]));
  const diagnostics: BlockDiagnostic[] = [];
  const emitted = program.emit();
  for (const diagnostic of [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file;
    const owner = file ? bySource.get(file.fileName) : undefined;
    if (file && owner && diagnostic.start !== undefined) {
      const { line } = file.getLineAndCharacterOfPosition(diagnostic.start);
      diagnostics.push({ where: `${owner.block.page}:${owner.block.line + 1 + line}`, message });
    } else {
      diagnostics.push({ where: file?.fileName ?? '(program)', message });
    }
  }
  return { root, placed, diagnostics };
}
