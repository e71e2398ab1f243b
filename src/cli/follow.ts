/**
 * Follows a run to its end: polls the `progress` query for the renderer and waits for the result.
 * Queries carry a short deadline, because a query waits for a worker and there may be none yet.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { progressQuery, type Progress } from '../workflows/progress.js';
import { InterruptedError } from './errors.js';
import type { ProgressRenderer } from './render.js';

export type RunOutcome<R> = { ok: true; result: R } | { ok: false; error: unknown };

export interface FollowOptions {
  renderer: ProgressRenderer;
  pollIntervalMs?: number;
  queryTimeoutMs?: number;
  /** Ctrl-C: stop following (the run goes on) and reject with InterruptedError. */
  signal?: AbortSignal;
  /** Ask once more after the end so the last step transitions get printed (needs a worker to answer). */
  finalQuery?: boolean;
  /** Called once when no progress could be read for `afterMs` (e.g. to tell the user no worker runs). */
  onSilence?: { afterMs: number; run(): Promise<void> };
}

export async function followRun<W extends Workflow>(
  client: Client,
  handle: WorkflowHandle<W>,
  options: FollowOptions,
): Promise<RunOutcome<WorkflowResultType<W>>> {
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const queryTimeoutMs = options.queryTimeoutMs ?? 2000;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;

  let outcome: RunOutcome<WorkflowResultType<W>> | undefined;
  const ended = client
    .withAbortSignal(signal, () => handle.result())
    .then(
      (result) => (outcome = { ok: true, result }),
      (error: unknown) => (outcome = { ok: false, error }),
    );

  const queryProgress = async (): Promise<Progress | undefined> => {
    try {
      return await client.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(progressQuery));
    } catch {
      // Not answerable yet (no worker, first task pending) or already closed: the next poll retries.
      return undefined;
    }
  };

  let lastProgressAt = Date.now();
  let silenceReported = false;
  try {
    while (outcome === undefined) {
      if (options.signal?.aborted) throw new InterruptedError('interrupted');
      const progress = await queryProgress();
      if (progress) {
        lastProgressAt = Date.now();
        options.renderer.update(progress);
      } else if (options.onSilence && !silenceReported && Date.now() - lastProgressAt >= options.onSilence.afterMs) {
        silenceReported = true;
        await options.onSilence.run().catch(() => undefined);
      }
      if (outcome !== undefined) break;
      await Promise.race([ended, sleep(pollIntervalMs, undefined, { signal }).catch(() => undefined)]);
    }
  } catch (err) {
    options.renderer.finish();
    throw err;
  } finally {
    stop.abort();
  }
  await ended;
  // Ctrl-C also aborts the result call; its failure says nothing about the run.
  if (options.signal?.aborted && !outcome?.ok) {
    options.renderer.finish();
    throw new InterruptedError('interrupted');
  }
  if (options.finalQuery) {
    const last = await queryProgress();
    if (last) options.renderer.update(last);
  }
  options.renderer.finish();
  return outcome as RunOutcome<WorkflowResultType<W>>;
}
