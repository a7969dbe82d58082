/**
 * Finds the fenced code blocks of the Markdown guides in `docs/`. A block's info string says what the
 * docs test does with it:
 *
 * - ` ```ts ` — a runnable program: type-checked, compiled and executed with real workers; it must exit 0,
 *   and every comment that follows a `console.log(...)` on the same line is an expected output line.
 * - ` ```ts no-run ` — type-checked only (it needs a server, waits forever on purpose, or is a fragment
 *   that reads better without its surroundings).
 * - ` ```ts file=tasks.ts ` — a module that other blocks of the same page import (`./tasks.js`): it is
 *   type-checked and compiled to JavaScript next to them, as a user would build a task module.
 *
 * Blocks in any other language that looks like code (js, mjs, tsx...) are refused: everything that looks
 * like TypeScript or JavaScript in the guides must be checked. Shell, text and JSON blocks are not code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One fenced block of a Markdown page. */
export interface CodeBlock {
  /** The page, relative to the docs root, e.g. `guide/pool.md`. */
  readonly page: string;
  /** The 1-based line of the opening fence. */
  readonly line: number;
  /** The language (first word of the info string). */
  readonly lang: string;
  /** The whole info string. */
  readonly info: string;
  /** The code, without the fences (indentation of an indented fence removed). */
  readonly code: string;
  /** `'run'`, `'no-run'` or `'module'` for TypeScript blocks, `'other'` for the rest. */
  readonly kind: 'run' | 'no-run' | 'module' | 'other';
  /** For `'module'` blocks: the file name other blocks import it by (`tasks.ts`). */
  readonly fileName: string | undefined;
}

/** Languages that are code and must be TypeScript blocks the checker understands. */
const CODE_LANGS = new Set(['js', 'javascript', 'mjs', 'cjs', 'jsx', 'tsx', 'mts', 'cts', 'typescript']);
const TS_FLAGS = new Set(['no-run']);

/** Every Markdown file under `root`, relative paths, sorted. */
export function markdownFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'public') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) out.push(relative(root, path));
    }
  };
  walk(root);
  return out.sort();
}

/**
 * Parses the fenced blocks of one page.
 *
 * @throws Error for an unterminated fence, a code block in a language the checker refuses, or an unknown
 *   flag on a `ts` block.
 */
export function extractBlocks(page: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1] ?? '';
    const fence = open[2] ?? '```';
    const info = (open[3] ?? '').trim();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
      if (close && close[1]?.[0] === fence[0] && (close[1]?.length ?? 0) >= fence.length) break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    if (j >= lines.length) throw new Error(`${page}:${i + 1}: unterminated code fence`);
    const words = info.split(/\s+/).filter(Boolean);
    // VitePress syntax after the language: {1,3} highlights, :line-numbers, [title].
    const lang = (words[0] ?? '').replace(/[{:[].*$/, '').toLowerCase();
    const flags = words.slice(1);
    let kind: CodeBlock['kind'] = 'other';
    let fileName: string | undefined;
    if (lang === 'ts') {
      kind = 'run';
      for (const flag of flags) {
        if (TS_FLAGS.has(flag)) kind = 'no-run';
        else if (flag.startsWith('file=')) {
          fileName = flag.slice('file='.length);
          if (!/^[\w.-]+\.ts$/.test(fileName)) throw new Error(`${page}:${i + 1}: file= must name a .ts file, got ${fileName}`);
          kind = 'module';
        } else if (!/^(\{.*\}|:line-numbers.*|\[.*\])$/.test(flag)) {
          throw new Error(`${page}:${i + 1}: unknown flag "${flag}" on a ts block (use no-run or file=NAME.ts)`);
        }
      }
    } else if (CODE_LANGS.has(lang)) {
      throw new Error(`${page}:${i + 1}: a \`${lang}\` block is not checked; write it as \`ts\` (or \`ts no-run\`)`);
    }
    blocks.push({ page, line: i + 1, lang, info, code: body.join('\n'), kind, fileName });
    i = j;
  }
  return blocks;
}

/** Every block of every page under `root`. */
export function extractAll(root: string): CodeBlock[] {
  return markdownFiles(root).flatMap((page) => extractBlocks(page, readFileSync(join(root, page), 'utf8')));
}

/** One output line a runnable block promises: the comment after a `console.log(...)` call. */
export interface ExpectedLine {
  /** The 1-based line inside the block. */
  readonly line: number;
  /** The text, with `...` standing for anything. */
  readonly text: string;
}

/**
 * The expected output of a runnable block: for each line that calls `console.log(...)` and ends in a
 * `// comment`, the comment. The program's stdout must contain these lines in this order (other lines
 * may come between them); runs of whitespace compare equal, and `...` in a comment matches anything.
 */
export function expectedOutput(code: string): ExpectedLine[] {
  const out: ExpectedLine[] = [];
  code.split('\n').forEach((source, index) => {
    if (!/\bconsole\.log\(/.test(source)) return;
    const comment = trailingComment(source);
    if (comment !== undefined) out.push({ line: index + 1, text: comment });
  });
  return out;
}

/** The `// ...` comment ending a line of code, ignoring `//` inside strings, templates and regexps. */
function trailingComment(source: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '/' && source[i + 1] === '/') return source.slice(i + 2).trim();
  }
  return undefined;
}

/** Whether an output line matches an expected line (whitespace runs equal, `...` matches anything). */
export function matchesLine(actual: string, expected: string): boolean {
  const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();
  const pattern = norm(expected)
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(norm(actual));
}

/**
 * Checks that `expected` lines appear in `stdout` in order.
 *
 * @returns `undefined` when they do, else a description of the first line that was not found.
 */
export function checkOutput(stdout: string, expected: readonly ExpectedLine[]): string | undefined {
  const lines = stdout.split('\n');
  let at = 0;
  for (const want of expected) {
    const found = lines.findIndex((line, index) => index >= at && matchesLine(line, want.text));
    if (found < 0) return `expected output "${want.text}" (block line ${want.line}) not found in order`;
    at = found + 1;
  }
  return undefined;
}
