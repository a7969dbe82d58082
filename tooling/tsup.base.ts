import { defineConfig } from 'tsup';

/**
 * The build every package shares: ESM and the .d.ts of src/index.ts, for Node 20, with source maps.
 * `entry` adds files that must exist on their own next to index.js (worker entry points that are loaded by
 * URL); `splitting: false` keeps index.js one file (see packages/process/tsup.config.ts).
 */
export function packageBuild(options: { entry?: string[]; splitting?: boolean } = {}) {
  return defineConfig({
    tsconfig: 'tsconfig.build.json',
    entry: ['src/index.ts', ...(options.entry ?? [])],
    format: ['esm'],
    dts: { entry: ['src/index.ts'] },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: options.splitting ?? true,
  });
}
