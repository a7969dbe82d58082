import { packageBuild } from '../../tooling/tsup.base.js';

// No code splitting: index.js is one file (every worker loads it, and each extra module costs a new
// worker's start-up time); sync-helper.js, which runs in a helper thread of its own, carries its own copy.
export default packageBuild({ entry: ['src/sync-helper.ts'], splitting: false });
