/**
 * The checker behind `code-blocks.test.ts` must itself be strict: these tests feed it pages and outputs it
 * has to refuse, so that a green docs run means the blocks really were checked.
 */
import { describe, expect, it } from 'vitest';
import { checkOutput, expectedOutput, extractBlocks, matchesLine } from './code-blocks/extract.js';

const page = [
  '# A page',
  '```ts',
  "console.log([1, 2]); // [ 1, 2 ]",
  "console.log('a // b'); // a // b",
  'const x = 1; // not an output: no console.log',
  '```',
  '```ts no-run',
  'await new Promise(() => {});',
  '```',
  '```ts file=tasks.ts',
  'export const t = 1;',
  '```',
  '````md',
  '```js',
  'inside a longer fence: not a block of its own',
  '```',
  '````',
  '```sh',
  'npm install multiproc',
  '```',
].join('\n');

describe('the code-block checker', () => {
  it('classifies blocks by their info string', () => {
    const blocks = extractBlocks('page.md', page);
    expect(blocks.map((b) => [b.line, b.kind, b.fileName])).toEqual([
      [2, 'run', undefined],
      [7, 'no-run', undefined],
      [10, 'module', 'tasks.ts'],
      [13, 'other', undefined],
      [18, 'other', undefined],
    ]);
  });

  it('takes the comment after console.log(...) as the expected output, ignoring // in strings', () => {
    const [block] = extractBlocks('page.md', page);
    expect(expectedOutput(block!.code)).toEqual([
      { line: 1, text: '[ 1, 2 ]' },
      { line: 2, text: 'a // b' },
    ]);
  });

  it('refuses unchecked code languages, unknown flags and unterminated fences', () => {
    expect(() => extractBlocks('p.md', '```js\nx\n```')).toThrow(/not checked/);
    expect(() => extractBlocks('p.md', '```typescript\nx\n```')).toThrow(/not checked/);
    expect(() => extractBlocks('p.md', '```ts norun\nx\n```')).toThrow(/unknown flag/);
    expect(() => extractBlocks('p.md', '```ts\nx\n')).toThrow(/unterminated/);
  });

  it('matches output lines in order, whitespace-insensitively, with ... as a wildcard', () => {
    expect(matchesLine('[ 1,  2 ]', '[ 1, 2 ]')).toBe(true);
    expect(matchesLine('took 12 ms', 'took ... ms')).toBe(true);
    expect(matchesLine('[ 1, 2, 3 ]', '[ 1, 2 ]')).toBe(false);
    const expected = [
      { line: 1, text: 'a' },
      { line: 2, text: 'b' },
    ];
    expect(checkOutput('x\na\ny\nb\n', expected)).toBeUndefined();
    expect(checkOutput('b\na\n', expected)).toMatch(/"b" \(block line 2\) not found/);
    expect(checkOutput('a\n', expected)).toMatch(/not found/);
  });
});
