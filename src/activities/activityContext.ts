/**
 * Heartbeats and cancellation when running as a Temporal activity, and nothing at all otherwise, so the
 * same functions run unchanged from tests, benches and scripts.
 */
import { Context } from '@temporalio/activity';

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    // Not inside an activity (a test or script called us directly).
    return undefined;
  }
}

export function heartbeatIfActivity(details: unknown): void {
  currentContext()?.heartbeat(details);
}

/** Aborted when Temporal cancels the activity; undefined outside an activity. */
export function cancellationSignalIfActivity(): AbortSignal | undefined {
  return currentContext()?.cancellationSignal;
}

/** Sleeps, waking early (with the abort reason) when the activity is cancelled. */
export function pause(ms: number, signal = cancellationSignalIfActivity()): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
