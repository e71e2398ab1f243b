/**
 * patched() ids for changes made to workflow code after runs were recorded. Each change that adds,
 * removes or reorders commands goes behind one, so histories of older runs still replay; once no
 * open run can predate it, the branch becomes deprecatePatch() and later goes away (README).
 */

/** Mutating workflows check the per-cluster lock (activities/temporal/clusterLock.ts) first. */
export const CLUSTER_LOCK_PATCH = 'cluster-lock-v1';

/** DeployLab creates standbys (`--standbys N`) after wait-ready and starts the lab's WatchLab at the end. */
export const STANDBYS_PATCH = 'standbys-v1';

/** HaDrill's `--fault kill|destroy|partition` and `--expect restart|failover` (what recovered the group). */
export const HA_DRILL_MODES_PATCH = 'ha-drill-modes-v1';
