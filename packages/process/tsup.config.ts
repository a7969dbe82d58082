import { defineConfig } from 'tsup';

// The worker bootstrap files are their own entries so that `new URL('./bootstrap-*.js', import.meta.url)`
// still resolves next to index.js after bundling.
export default defineConfig({
  tsconfig: 'tsconfig.build.json',
  entry: ['src/index.ts', 'src/bootstrap-thread.ts', 'src/bootstrap-process.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts'] },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
});
