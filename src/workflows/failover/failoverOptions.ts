/** Activity presets for failover work: short, retried quickly (a 1 s back-off would be the whole outage budget). */
import type { ActivityOptions } from '@temporalio/workflow';

export const FAST_HA_STEP: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 10 },
};

/** Rebuilding a standby (pg_rewind or a base backup): minutes at most on a lab, heartbeats not needed. */
export const REBUILD_STEP: ActivityOptions = {
  startToCloseTimeout: '15m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s', maximumAttempts: 5 },
};

/** The switchover holds the group's writes inside one activity: a retry after a crash finishes the update. */
export const SWITCHOVER_STEP: ActivityOptions = {
  startToCloseTimeout: '2m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 5 },
};
