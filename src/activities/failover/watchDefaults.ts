/** WatchLab's probe defaults; a module of its own because workflow code imports it (no pg, no Node built-ins). */
export const WATCH_DEFAULTS = {
  intervalMs: 50,
  failures: 2,
  frozenGraceMs: 300,
  restartGraceMs: 3_000,
  maxDurationMs: 60_000,
} as const;
