/** WatchLab's probe defaults: pure constants, kept with the workflow that fills them in. */
export const WATCH_DEFAULTS = {
  intervalMs: 50,
  failures: 2,
  frozenGraceMs: 300,
  restartGraceMs: 3_000,
  maxDurationMs: 60_000,
} as const;
