#!/usr/bin/env node
// Lays out the site's sources in apps/docs/content/ (generated, gitignored), for VitePress (srcDir: 'content'):
//   1. copies the hand-written guides from the repository's docs/ folder (the one source of truth for them);
//   2. copies apps/docs/public/ (favicon) to content/public/, VitePress's public folder;
//   3. generates the API reference of every package (packages/*) as Markdown into content/api/ with TypeDoc,
//      typedoc-plugin-markdown and typedoc-vitepress-theme (apps/docs/typedoc.json), which also writes the
//      sidebar of the reference (content/api/typedoc-sidebar.json) that .vitepress/config.mts reads.
// A copy, not srcDir: '../../docs', so that generated files never land in docs/ (whose Markdown is type-checked
// and executed by the code-block test) and the site's URLs put guides and API side by side.
// Runs offline: nothing here or in `vitepress build` touches the network.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, repo } from './inputs.mjs';

export const content = join(app, 'content');

export async function prepare() {
  const guides = join(repo, 'docs');
  if (!existsSync(join(guides, 'index.md'))) {
    throw new Error(`${join(guides, 'index.md')} is missing: the site's home page comes from docs/index.md`);
  }
  if (existsSync(join(guides, 'api'))) {
    throw new Error('docs/api/ would clash with the generated API reference (content/api/): rename it');
  }
  rmSync(content, { recursive: true, force: true });
  mkdirSync(content, { recursive: true });
  cpSync(guides, content, { recursive: true });
  cpSync(join(app, 'public'), join(content, 'public'), { recursive: true });

  const typedoc = spawnSync(join(app, 'node_modules', '.bin', 'typedoc'), ['--options', 'typedoc.json', '--logLevel', 'Warn'], {
    cwd: app,
    stdio: 'inherit',
  });
  if (typedoc.status !== 0) {
    throw new Error(`typedoc failed (${typedoc.error ?? `exit ${typedoc.status}`})`);
  }
  if (!existsSync(join(content, 'api', 'typedoc-sidebar.json'))) {
    throw new Error('typedoc wrote no content/api/typedoc-sidebar.json');
  }
  console.log('docs: guides and API reference laid out in apps/docs/content/');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await prepare();
}
