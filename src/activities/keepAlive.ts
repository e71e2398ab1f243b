/**
 * Every lab activity heartbeats while it runs (activityContext.startKeepAlive), whether or not it has
 * progress of its own to report: with the short heartbeat timeouts of src/workflows/activityOptions.ts,
 * a run whose worker was killed gets the activity retried within seconds.
 */
import { startKeepAlive } from './activityContext.js';

/** Often enough for a heartbeat timeout of a few seconds, with room for a busy event loop. */
export const KEEP_ALIVE_EVERY_MS = 1_000;

type AnyAsync = (...args: never[]) => Promise<unknown>;

export function withKeepAlive<T extends Record<string, AnyAsync>>(activities: T, everyMs = KEEP_ALIVE_EVERY_MS): T {
  const wrapped: Record<string, AnyAsync> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      const stop = startKeepAlive(everyMs);
      try {
        return await fn(...args);
      } finally {
        stop();
      }
    };
  }
  return wrapped as T;
}
