import { defineConfig } from 'tsup';

// One entry. The @multiproc/* packages stay external (they are dependencies), so the umbrella and a direct
// import of a package share one copy of every class, registry and reviver.
export default defineConfig({
  tsconfig: 'tsconfig.build.json',
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts'] },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
});
