import { packageBuild } from '../../tooling/tsup.base.js';

// One entry: every shareable class registers its reviver under the URL of the one bundle file.
export default packageBuild();
