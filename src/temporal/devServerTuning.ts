/**
 * Settings that take the dev server's built-in rate limits out of every lab step (README, "Temporal
 * dev server settings"). `temporal server start-dev` runs one history shard whose queue readers wait
 * on a limiter of 20 reads/s (burst 20) before every read: once a worker's first second is spent,
 * each workflow or activity task waits ~45 ms for its turn. Keys are case-sensitive and a wrong one is
 * silently ignored, so each was checked by measurement (bench: activity round-trip).
 */

/** `--dynamic-config-value KEY=JSON` pairs. */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, number | boolean | string>> = {
  // Transfer queue: every new workflow/activity task goes through it (the 20/s limit above).
  'history.transferProcessorMaxPollRPS': 1000,
  // Timer queue: timers, retries, timeouts (e.g. the sticky-queue timeout after a worker crash).
  'history.timerProcessorMaxPollRPS': 1000,
  // Visibility queue: search attributes reach the list API through it (the cluster-lock check reads it).
  'history.visibilityProcessorMaxPollRPS': 1000,
  // The server hands a scheduled activity straight back in the workflow task's reply when the worker
  // asks for it (the SDK does for activities on its own task queue): no matching round trip.
  'system.enableActivityEagerExecution': true,
  // A workflow task whose worker died while holding it (SIGKILL, OOM) is handed to another worker only
  // when this expires: it was the whole of the 10 s crash-resume time. It applies where a start request
  // sets none (the lab sets none). Lab workflow tasks take milliseconds, and the SDK already calls a
  // workflow activation that runs 2 s deadlocked; a task that does time out is retried, not failed.
  'history.defaultWorkflowTaskTimeout': '2s',
};

/**
 * `--sqlite-pragma` pairs, only for a history file (in-memory stores have no journal). WAL with
 * synchronous=normal syncs at checkpoints instead of every commit: a crash of the server process
 * loses nothing, a power loss or OS crash can lose the last commits (README).
 */
export const DEV_SERVER_SQLITE_PRAGMAS: Readonly<Record<string, string>> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};

export function devServerTuningArgs(options: { persistent: boolean }): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  if (options.persistent) {
    for (const [pragma, value] of Object.entries(DEV_SERVER_SQLITE_PRAGMAS)) args.push('--sqlite-pragma', `${pragma}=${value}`);
  }
  return args;
}
