/**
 * The errors reference (`docs/errors.md`) must name every error class and every error code the packages
 * define, so a new error cannot ship undocumented. Codes are found where the sources use them as string
 * literals (`'ERR_...'`, `'ABORT_ERR'`), classes where they are declared (`class XError extends ...`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGES = fileURLToPath(new URL('../../../packages/', import.meta.url));
const REFERENCE = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const files = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) => {
    try {
      return sources(join(PACKAGES, entry.name, 'src'));
    } catch {
      return [];
    }
  });
const text = files.map((file) => readFileSync(file, 'utf8')).join('\n');
const codes = [...new Set([...text.matchAll(/'((?:ERR_[A-Z_]+)|ABORT_ERR)'/g)].map((m) => m[1] as string))].sort();
// Exported error classes (internal helpers such as the codec's ReviverNotLoaded are not exported and not listed).
const classes = [...new Set([...text.matchAll(/^export (?:abstract )?class (\w+Error) extends/gm)].map((m) => m[1] as string))].sort();

describe('errors reference', () => {
  it('finds the error codes and classes of the packages', () => {
    expect(codes.length).toBeGreaterThan(20);
    expect(classes).toContain('MultiprocError');
    expect(classes).toContain('WorkerCrashedError');
  });

  it.each(codes)('documents the code %s', (code) => {
    expect(REFERENCE).toContain(`\`${code}\``);
  });

  it.each(classes)('documents the class %s', (name) => {
    expect(REFERENCE).toContain(`### \`${name}\``);
  });
});
