/**
 * Follows a Citus background rebalance job to its end. Every poll heartbeats the progress (so a
 * cancelled run is told within a poll, and a dead worker is noticed within the heartbeat timeout,
 * after which a retry on another worker follows the same job), and changes are signalled to the
 * workflow, whose query and step detail the CLI shows. Citus retries a failed move for half an hour;
 * a task that failed `maxTaskFailures` times stops the job here instead, with its error.
 */
import { Context } from '@temporalio/activity';
import { LabError } from '../../../errors.js';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import { rebalanceProgressSignal } from '../../../workflows/rebalance/rebalanceProgress.js';
import type { JobProgress } from '../../../workflows/rebalance/rebalanceTypes.js';
import { heartbeatIfActivity, pause } from '../../activityContext.js';
import { coordinatorOf, withNodeClient } from '../connect.js';
import { readCitusNodes } from '../citusNodes.js';
import { moveSizes, readJob } from './rebalanceJobProgress.js';

export interface FollowOptions {
  pollMs?: number;
  maxTaskFailures: number;
}

export type ProgressPublisher = (progress: JobProgress) => Promise<void>;

const DEFAULT_POLL_MS = 250;
/** Signals carry changes; an unchanged job is re-sent this often so bytes and phases stay fresh. */
const REFRESH_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 15_000;
const CANCEL_GRACE_MS = 2_000;

/** Signals the activity's own workflow run; nothing outside an activity (tests, benches). */
export function workflowPublisher(): ProgressPublisher | undefined {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return undefined;
  }
  const execution = ctx.info.workflowExecution;
  if (!execution) return undefined;
  return async (progress) => {
    try {
      await ctx.client.workflow.getHandle(execution.workflowId, execution.runId).signal(rebalanceProgressSignal, progress);
    } catch {
      // Progress is best effort: a closed run or a busy server must not fail the move.
    }
  };
}

function changeKey(p: JobProgress): string {
  return JSON.stringify([p.state, p.movesDone, p.tasksDone, p.running, p.lastError]);
}

function jobEnded(progress: JobProgress, why: string): LabError {
  return new LabError(
    'CommandFailed',
    `background job ${progress.jobId} ${why} after ${progress.movesDone} of ${progress.movesTotal} moves` +
      `${progress.lastError ? ` (last task error: ${progress.lastError})` : ''}; moved shards stay moved and the rest stay ` +
      'where they were: fix the cause and run the same command again to continue.',
    { nonRetryable: true, details: { progress } },
  );
}

export async function followRebalanceJob(
  env: LabEnvironment,
  jobId: number,
  options: FollowOptions,
  publish: ProgressPublisher | undefined = workflowPublisher(),
): Promise<JobProgress> {
  const coordinator = coordinatorOf(env);
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  return withNodeClient(
    env,
    coordinator.name,
    env.spec.database,
    async (client) => {
      const nodes = await readCitusNodes(client, env);
      // Sizes are for the progress display only: a Citus without citus_shard_sizes() just shows no bytes.
      const sizes = await moveSizes(client, jobId).catch(() => new Map<number, number>());
      let seq = 0;
      let lastKey = '';
      let lastSent = 0;
      for (;;) {
        const snapshot = await readJob(client, jobId, nodes, sizes);
        if (!snapshot) {
          throw new LabError('CommandFailed', `background job ${jobId} does not exist on the coordinator.`, { nonRetryable: true });
        }
        const progress: JobProgress = { ...snapshot.progress, seq: ++seq, observedAt: new Date().toISOString() };
        heartbeatIfActivity(progress);
        const key = changeKey(progress);
        if (publish && (key !== lastKey || Date.now() - lastSent >= REFRESH_MS)) {
          lastKey = key;
          lastSent = Date.now();
          await publish(progress);
        }
        switch (progress.state) {
          case 'finished':
            return progress;
          case 'cancelled':
            // When this run is being cancelled, its workflow stops the job while this activity may not have
            // heard of the cancel yet: give it a moment to arrive (pause then rejects with it).
            await pause(CANCEL_GRACE_MS);
            throw jobEnded(progress, 'was cancelled outside this run');
          case 'failed':
            throw jobEnded(progress, 'failed');
        }
        const worst = snapshot.worstTask;
        if (worst && worst.failures >= options.maxTaskFailures && progress.state === 'running') {
          await client.query('SELECT citus_job_cancel($1)', [jobId]);
          throw jobEnded(progress, `was stopped because task ${worst.taskId} failed ${worst.failures} times`);
        }
        // Rejects with the cancellation when the run is cancelled; the workflow then stops the job.
        await pause(pollMs);
      }
    },
    { statementTimeoutMs: STATEMENT_TIMEOUT_MS },
  );
}
