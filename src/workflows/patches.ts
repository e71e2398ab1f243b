/**
 * patched() ids for changes made to workflow code after runs were recorded. Each change that adds,
 * removes or reorders commands goes behind one, so histories of older runs still replay; once no
 * open run can predate it, the branch becomes deprecatePatch() and later goes away (README).
 */

/** Mutating workflows check the per-cluster lock (activities/temporal/clusterLock.ts) first. */
export const CLUSTER_LOCK_PATCH = 'cluster-lock-v1';

/**
 * RebalanceAndDrain on a Citus without parallel transfer of co-located shard groups (12.x) moves in
 * its own session instead of a background job (activities/postgres/sessionMoves.ts).
 */
export const SESSION_MOVES_PATCH = 'session-moves-v1';
