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

/** What each running activity last heartbeated itself: the keep-alive re-sends it (see startKeepAlive). */
const lastDetails = new WeakMap<Context, { details: unknown }>();

export function heartbeatIfActivity(details: unknown): void {
  const context = currentContext();
  if (!context) return;
  lastDetails.set(context, { details });
  context.heartbeat(details);
}

/**
 * What the previous attempt of this activity last heartbeated (its checkpoint), when this is a retry
 * and it heartbeated anything; undefined on a first attempt or outside an activity.
 */
export function previousAttemptDetails(): unknown {
  const context = currentContext();
  return context && context.info.attempt > 1 ? (context.info.heartbeatDetails as unknown) : undefined;
}

/** When the first attempt of this activity was scheduled (epoch ms); undefined outside an activity. */
export function firstScheduledAtIfActivity(): number | undefined {
  return currentContext()?.info.scheduledTimestampMs;
}

/** This activity's attempt number (1 outside an activity). */
export function attemptIfActivity(): number {
  return currentContext()?.info.attempt ?? 1;
}

/**
 * Heartbeats every `everyMs` while an activity runs, so a short heartbeat timeout tells the server
 * within seconds that the worker running it died, and the activity is retried then rather than after
 * its start-to-close timeout. Each beat repeats the activity's own latest details, or until it has
 * sent any, the previous attempt's checkpoint: a bare beat would overwrite that checkpoint with
 * nothing, and a retry that died before its first own beat would leave the next one without it.
 * Returns the function that stops it; a no-op outside an activity.
 */
export function startKeepAlive(everyMs: number): () => void {
  const context = currentContext();
  if (!context) return () => undefined;
  const beat = () => {
    const own = lastDetails.get(context);
    context.heartbeat(own ? own.details : (context.info.heartbeatDetails as unknown));
  };
  beat();
  const timer = setInterval(beat, everyMs);
  return () => clearInterval(timer);
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
