/**
 * Starting and stopping the Citus background job that moves shards (citus_rebalance_start), with
 * ownership: a retried start must never launch a second job. The job id goes into the heartbeat as
 * soon as it exists; a retry that finds it there, or finds any job newer than the preflight's last
 * job id (only this run starts jobs on a locked cluster), adopts that job instead of starting one.
 * A job that was already running before the preflight is someone else's: RebalanceRunning.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { Client } from 'pg';
import { LabError } from '../../../errors.js';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import type { JobProgress, JobStart, JobStartRequest, SettingChange } from '../../../workflows/rebalance/rebalanceTypes.js';
import { heartbeatIfActivity } from '../../activityContext.js';
import { coordinatorOf, errorMessage, withNodeClient } from '../connect.js';
import { assertCitusExtension } from '../databaseAndExtension.js';
import { ensureJobSettings } from './backgroundJobSettings.js';
import { readCitusNodes } from '../citusNodes.js';
import { ACTIVE_JOB_STATES } from './rebalancePreflight.js';
import { moveSizes, readJob, TERMINAL_JOB_STATES } from './rebalanceJobProgress.js';
import { stopSessionMoves } from './sessionMoves.js';

const STOP_TIMEOUT_MS = 60_000;
const STOP_POLL_MS = 250;

interface StartCheckpoint {
  jobId: number | null;
  settings: SettingChange[];
}

/** What an earlier attempt of this activity heartbeated, if this is a retry. */
function previousCheckpoint(): StartCheckpoint | undefined {
  try {
    const details: unknown = Context.current().info.heartbeatDetails;
    if (details && typeof details === 'object' && 'jobId' in details) return details as StartCheckpoint;
  } catch {
    // Not inside an activity.
  }
  return undefined;
}

/** Citus 13.2+: the background job can move the shard groups of one co-location group in parallel. */
export async function supportsParallelTransfer(client: Client): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'citus_rebalance_start'
                      AND 'parallel_transfer_colocated_shards' = ANY(proargnames)) AS ok`,
  );
  return rows[0]?.ok === true;
}

function startError(err: unknown): unknown {
  const message = errorMessage(err);
  const running = /already running as job (\d+)/i.exec(message);
  if (running) {
    return new LabError(
      'RebalanceRunning',
      `Citus refused to start: ${message}, not started by this run: wait for it (SELECT * FROM citus_rebalance_status()) or ` +
        `stop it (SELECT citus_job_cancel(${running[1]})), then run again; nothing was moved.`,
      { cause: err },
    );
  }
  if (/REPLICA IDENTITY or PRIMARY KEY/i.test(message)) {
    return new LabError('PreflightFailed', `Citus refused to start: ${message}; add --fix-identity for that table or use --transfer-mode block_writes.`, {
      cause: err,
    });
  }
  return err;
}

export async function startRebalanceJob(env: LabEnvironment, request: JobStartRequest): Promise<JobStart> {
  const coordinator = coordinatorOf(env);
  const previous = previousCheckpoint();
  return withNodeClient(env, coordinator.name, env.spec.database, async (client) => {
    await assertCitusExtension(client, env.spec.database, coordinator.name);
    const parallelTransfer = await supportsParallelTransfer(client);
    if (previous) {
      if (previous.jobId === null) return { jobId: null, adopted: true, settings: previous.settings, parallelTransfer };
      const known = await client.query('SELECT 1 FROM pg_dist_background_job WHERE job_id = $1', [previous.jobId]);
      if (known.rowCount) return { jobId: previous.jobId, adopted: true, settings: previous.settings, parallelTransfer };
    }
    // An earlier attempt died between starting the job and heartbeating its id: the newest job since the preflight is it.
    const newer = await client.query<{ job_id: string }>(
      `SELECT job_id FROM pg_dist_background_job WHERE job_id > $1 AND job_type = 'rebalance' ORDER BY job_id DESC LIMIT 1`,
      [request.afterJobId],
    );
    const adopted = newer.rows[0];
    if (adopted) {
      const jobId = Number(adopted.job_id);
      heartbeatIfActivity({ jobId, settings: [] } satisfies StartCheckpoint);
      return { jobId, adopted: true, settings: [], parallelTransfer };
    }
    const foreign = await client.query<{ job_id: string; state: string }>(
      'SELECT job_id, state::text FROM pg_dist_background_job WHERE state::text = ANY($1::text[]) ORDER BY job_id LIMIT 1',
      [ACTIVE_JOB_STATES],
    );
    const other = foreign.rows[0];
    if (other) {
      throw new LabError(
        'RebalanceRunning',
        `background job ${other.job_id} (${other.state}) started before this run's preflight and is still moving shards: wait for it ` +
          `(SELECT * FROM citus_rebalance_status()) or stop it (SELECT citus_job_cancel(${other.job_id})), then run again; nothing was moved.`,
      );
    }

    const settings = await ensureJobSettings(client, request.parallelMoves);
    const args = [request.operation === 'drain', request.transferMode];
    const sql = parallelTransfer
      ? `SELECT citus_rebalance_start(drain_only := $1, shard_transfer_mode := $2::citus.shard_transfer_mode,
                                      parallel_transfer_colocated_shards := true,
                                      parallel_transfer_reference_tables := true) AS job_id`
      : 'SELECT citus_rebalance_start(drain_only := $1, shard_transfer_mode := $2::citus.shard_transfer_mode) AS job_id';
    let started: string | null | undefined;
    try {
      started = (await client.query<{ job_id: string | null }>(sql, args)).rows[0]?.job_id;
    } catch (err) {
      throw startError(err);
    }
    // NULL or 0: Citus found nothing to move ("No moves available for rebalancing").
    const jobId = started && Number(started) > 0 ? Number(started) : null;
    heartbeatIfActivity({ jobId, settings } satisfies StartCheckpoint);
    return { jobId, adopted: false, settings, parallelTransfer };
  });
}

/**
 * Cancels the job (citus_job_cancel, what citus_rebalance_stop does for the latest job) and waits until
 * it stopped. Without a job id (the run was stopped while starting it), the job started after the
 * preflight's `afterJobId`, if any, is the one; null when there is none, after stopping any session
 * moves (sessionMoves.ts) still running.
 */
export async function stopRebalanceJob(env: LabEnvironment, target: { jobId?: number; afterJobId: number }): Promise<JobProgress | null> {
  const coordinator = coordinatorOf(env);
  return withNodeClient(env, coordinator.name, env.spec.database, async (client) => {
    let jobId = target.jobId;
    if (jobId === undefined) {
      const newer = await client.query<{ job_id: string }>(
        `SELECT job_id FROM pg_dist_background_job WHERE job_id > $1 AND job_type = 'rebalance' ORDER BY job_id DESC LIMIT 1`,
        [target.afterJobId],
      );
      if (!newer.rows[0]) {
        // No job: on a Citus without parallel transfer the run moved from its session; stop that instead.
        await stopSessionMoves(client);
        return null;
      }
      jobId = Number(newer.rows[0].job_id);
    }
    const nodes = await readCitusNodes(client, env);
    const sizes = await moveSizes(client, jobId).catch(() => new Map<number, number>());
    let snapshot = await readJob(client, jobId, nodes, sizes);
    if (!snapshot) return null;
    if (!TERMINAL_JOB_STATES.has(snapshot.progress.state)) await client.query('SELECT citus_job_cancel($1)', [jobId]);
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (!TERMINAL_JOB_STATES.has(snapshot.progress.state)) {
      if (Date.now() > deadline) {
        throw new LabError('CommandFailed', `background job ${jobId} is still ${snapshot.progress.state} a minute after citus_job_cancel.`);
      }
      heartbeatIfActivity(snapshot.progress);
      // A plain sleep, not the cancellable pause: this runs because the run is being cancelled, and must finish.
      await sleep(STOP_POLL_MS);
      snapshot = (await readJob(client, jobId, nodes, sizes)) ?? snapshot;
    }
    return { ...snapshot.progress, seq: 0, observedAt: new Date().toISOString() };
  });
}
