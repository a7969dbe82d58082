// The inputs of the site's build, hashed: scripts/build.mjs writes the hash next to its output and the browser
// test rebuilds only when the hash no longer matches (a fresh `pnpm build` has just built the same inputs).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const app = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repo = join(app, '..', '..');
export const dist = join(app, '.vitepress', 'dist');
export const stampFile = join(dist, '.inputs-sha256');

const SKIP = new Set(['node_modules', 'dist', 'cache', '.turbo', '.tsc']);

/** @param {string} path @returns {string[]} */
function files(path) {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .filter((name) => !SKIP.has(name))
    .sort()
    .flatMap((name) => files(join(path, name)));
}

/** Every file the site is built from: the guides, the packages' sources and configs, the site's own files. */
/** @returns {string[]} */
export function inputFiles() {
  const packages = join(repo, 'packages');
  const perPackage = readdirSync(packages)
    .sort()
    .flatMap((name) => ['src', 'package.json', 'tsconfig.build.json'].flatMap((part) => files(join(packages, name, part))));
  return [
    ...files(join(repo, 'docs')),
    ...files(join(repo, 'tsconfig.base.json')),
    ...perPackage,
    ...['package.json', 'typedoc.json', 'scripts', 'public', '.vitepress'].flatMap((part) => files(join(app, part))),
  ];
}

export function inputsHash() {
  const hash = createHash('sha256');
  for (const file of inputFiles()) {
    hash.update(relative(repo, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** True when .vitepress/dist was built from the inputs as they are now. */
export function isBuildFresh() {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === inputsHash();
}
