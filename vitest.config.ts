import { readdirSync, existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One Vitest project per package or app that has a test/ folder. Tests import the packages through
// their package.json exports, i.e. the built dist (worker threads cannot load .ts on Node 20), so
// `pnpm test` builds first.
const projects = ['packages', 'apps'].flatMap((group) =>
  readdirSync(new URL(`./${group}/`, import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(new URL(`./${group}/${entry.name}/test/`, import.meta.url)))
    .map((entry) => ({
      extends: true as const,
      test: {
        name: entry.name,
        root: `./${group}/${entry.name}`,
        include: ['test/**/*.test.ts'],
      },
    })),
);

export default defineConfig({
  test: {
    projects,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: [new URL('./tooling/vitest-setup.ts', import.meta.url).pathname],
    pool: 'forks',
    reporters: process.env['CI'] ? ['default', 'json'] : ['default'],
    outputFile: { json: './.vitest-results.json' },
  },
});
