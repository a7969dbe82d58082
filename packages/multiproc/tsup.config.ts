import { packageBuild } from '../../tooling/tsup.base.js';

// One entry. The @multiproc/* packages stay external (they are dependencies), so the umbrella and a direct
// import of a package share one copy of every class, registry and reviver.
export default packageBuild();
