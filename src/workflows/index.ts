/** Every workflow the worker registers. Only deterministic code may be reachable from here. */
export { deployLab } from './deployLab.js';
export { registerWorkers } from './registerWorkers.js';
export { verifyLab } from './verifyLab.js';
export { labStatus } from './labStatus.js';
export { cleanupLab } from './cleanupLab.js';
export { haDrill } from './drill/haDrill.js';
export { labTestSuite } from './labTestSuite.js';
export { rebalanceAndDrain } from './rebalance/rebalanceAndDrain.js';
export { failoverNode } from './failover/failoverNode.js';
export { switchoverNode } from './failover/switchoverNode.js';
export { watchLab } from './failover/watchLab.js';
