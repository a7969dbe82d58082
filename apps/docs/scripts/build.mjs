#!/usr/bin/env node
// `pnpm build` of the site: lay out content/ (guides + TypeDoc API reference), then `vitepress build` into
// .vitepress/dist, then stamp the output with the hash of its inputs (see inputs.mjs). Offline throughout.
import { writeFileSync } from 'node:fs';
import { build } from 'vitepress';
import { app, inputsHash, stampFile } from './inputs.mjs';
import { prepare } from './prepare.mjs';

const started = performance.now();
const hash = inputsHash();
await prepare();
await build(app);
writeFileSync(stampFile, `${hash}\n`);
console.log(`docs: site built in ${((performance.now() - started) / 1000).toFixed(1)} s -> apps/docs/.vitepress/dist`);
// vitepress leaves its workers' handles behind; the build is complete.
process.exit(0);
