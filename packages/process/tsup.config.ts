import { packageBuild } from '../../tooling/tsup.base.js';

// The worker bootstrap files are their own entries so that `new URL('./bootstrap-*.js', import.meta.url)`
// still resolves next to index.js after bundling. No code splitting: a worker's start-up time is mostly
// module loading (the fewer files and the less code, the better), so index.js is one file with all of
// the package, and the bootstraps are a few lines that import it (see src/bootstrap-thread.ts).
export default packageBuild({ entry: ['src/bootstrap-thread.ts', 'src/bootstrap-process.ts'], splitting: false });
