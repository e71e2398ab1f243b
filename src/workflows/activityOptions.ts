/**
 * Timeout and retry presets, by the kind of work an activity does. LabErrors that retrying cannot
 * fix arrive as non-retryable ApplicationFailures, so these policies only govern transient trouble.
 */
import type { ActivityOptions } from '@temporalio/workflow';

const transientRetry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '15s',
  maximumAttempts: 5,
} as const;

/**
 * A few SQL statements against running nodes. They take seconds; the timeout is also how long a
 * run waits before retrying one whose worker died mid-call (these do not heartbeat), so keep it short.
 */
export const SQL_STEP: ActivityOptions = {
  startToCloseTimeout: '60s',
  retry: transientRetry,
};

/** Platform work that may take a while (initdb, starting processes, pulling images): heartbeats. */
export const PLATFORM_STEP: ActivityOptions = {
  startToCloseTimeout: '15m',
  heartbeatTimeout: '60s',
  retry: { ...transientRetry, maximumAttempts: 3 },
};

/** Bulk data (COPY of the sample set): long, heartbeats while streaming. */
export const DATA_STEP: ActivityOptions = {
  startToCloseTimeout: '60m',
  // The load heartbeats every few thousand rows: a dead worker is noticed within this.
  heartbeatTimeout: '30s',
  retry: { ...transientRetry, maximumAttempts: 3 },
};

/** Waiting for nodes: the activity polls and heartbeats; its own deadline is in its arguments. */
export function waitingStep(timeoutSeconds: number): ActivityOptions {
  return {
    startToCloseTimeout: `${timeoutSeconds + 60}s`,
    heartbeatTimeout: '20s',
    retry: { ...transientRetry, maximumAttempts: 2 },
  };
}

/**
 * The FAIL report a failed run writes on its way out: best effort, so one attempt with a short
 * timeout. A report that cannot be written must not keep the failed run (and its CLI) waiting.
 */
export const FAILURE_REPORT_STEP: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { maximumAttempts: 1 },
};

/**
 * How long a run waits for a silent activity before retrying it elsewhere: every lab activity
 * heartbeats each second while it runs (src/activities/keepAlive.ts), so silence this long means its
 * worker died (SIGKILL, OOM, a lost machine). Long enough that a busy event loop is not taken for a
 * dead worker: a retry while the first attempt still runs would do its work twice at once.
 */
export const QUICK_HEARTBEAT_TIMEOUT = '10s';

/**
 * `options` with the short heartbeat timeout, for runs that have `quick-heartbeat-v1`
 * (src/workflows/patches.ts); older runs keep the options they were started with.
 */
export function quickHeartbeat(options: ActivityOptions, quick: boolean): ActivityOptions {
  return quick ? { ...options, heartbeatTimeout: QUICK_HEARTBEAT_TIMEOUT } : options;
}
