import { packageBuild } from '../../tooling/tsup.base.js';

// worker.ts is its own entry: workers import it by URL to find the pool's worker loop task.
export default packageBuild({ entry: ['src/worker.ts'] });
