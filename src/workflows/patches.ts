/**
 * patched() ids for changes made to workflow code after runs were recorded. Each change that adds,
 * removes or reorders commands goes behind one, so histories of older runs still replay; once no
 * open run can predate it, the branch becomes deprecatePatch() and later goes away (README).
 */

/** Mutating workflows check the per-cluster lock (activities/temporal/clusterLock.ts) first. */
export const CLUSTER_LOCK_PATCH = 'cluster-lock-v1';

/**
 * Failure reports are best effort: none after a refusal (bad input, busy cluster, nothing deployed),
 * otherwise one attempt of `writeFailureReport` (which never creates the lab's directory) with a short
 * timeout, instead of `writeReport` with the SQL retry policy.
 */
export const BEST_EFFORT_FAILURE_REPORT_PATCH = 'best-effort-failure-report-v1';

/** DeployLab starts the lab's FHIR API and waits until `/ready` answers (steps start-api, wait-api-ready). */
export const API_PATCH = 'api-v1';

/** VerifyLab checks the API too (step api-checks: metadata, a patient read, a search on one shard). */
export const API_VERIFY_PATCH = 'api-verify-v1';

/** HaDrill also probes through the API (classes api-read-failed-node, api-read-healthy-node). */
export const API_DRILL_PATCH = 'api-drill-v1';

/**
 * RebalanceAndDrain on a Citus without parallel transfer of co-located shard groups (12.x) moves in
 * its own session instead of a background job (activities/postgres/rebalance/sessionMoves.ts).
 */
export const SESSION_MOVES_PATCH = 'session-moves-v1';

/** DeployLab creates standbys (`--standbys N`) after wait-ready and starts the lab's WatchLab at the end. */
export const STANDBYS_PATCH = 'standbys-v1';

/** HaDrill's `--fault kill|destroy|partition` and `--expect restart|failover` (what recovered the group). */
export const HA_DRILL_MODES_PATCH = 'ha-drill-modes-v1';

/**
 * FailoverNode does fence -> promote -> update-node in one activity (takeOverGroup) instead of three,
 * and WatchLab hands it the plan from the probe round that found the loss (no plan activity): three
 * Temporal round trips fewer before the group takes writes again.
 */
export const FAILOVER_TAKEOVER_PATCH = 'failover-takeover-v1';

/**
 * SwitchoverNode plans first (step `plan`, recorded in history) and gives the plan to switchoverGroup,
 * so a retry after a crash that followed the coordinator's COMMIT finishes instead of failing.
 */
export const SWITCHOVER_PLAN_PATCH = 'switchover-plan-v1';

/**
 * DeployLab, RegisterWorkers, VerifyLab, RebalanceAndDrain and HaDrill give their activities a short
 * heartbeat timeout (activityOptions.quickHeartbeat): every activity heartbeats while it runs, so one
 * whose worker died is retried within seconds instead of after its start-to-close timeout.
 */
export const QUICK_HEARTBEAT_PATCH = 'quick-heartbeat-v1';

/**
 * HaDrill retries its probe load and its wait for the node's recovery after a lost worker; the retry
 * resumes from the last attempt's checkpoint (heartbeat details) and the result names the span no
 * one was measuring (probes: `interruptions`; recovery: `unobserved`).
 */
export const DRILL_RESUME_PATCH = 'drill-resume-v1';
