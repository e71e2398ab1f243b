/** WatchLab's probe defaults, with the workflow that uses them (pure constants: the activities read them from here). */
export const WATCH_DEFAULTS = {
  intervalMs: 50,
  failures: 2,
  frozenGraceMs: 300,
  restartGraceMs: 3_000,
  maxDurationMs: 60_000,
} as const;
