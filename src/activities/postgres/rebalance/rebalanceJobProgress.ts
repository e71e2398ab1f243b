/**
 * Where a Citus background rebalance job stands, read from pg_dist_background_job/_task and
 * get_rebalance_progress(): moves done of total, the moves running now (with lab node names and
 * their phase), bytes, and the latest task error.
 */
import type { Client } from 'pg';
import type { JobProgress, RunningMove } from '../../../workflows/rebalance/rebalanceTypes.js';
import type { CitusNode } from '../citusNodes.js';

const MOVE = /citus_move_shard_placement\((\d+)\s*,\s*(\d+)\s*,\s*(\d+)/;

export const TERMINAL_JOB_STATES: ReadonlySet<string> = new Set(['finished', 'cancelled', 'failed']);

interface TaskRow {
  task_id: string;
  status: string;
  command: string;
  retry_count: number | null;
  message: string;
}

export interface JobSnapshot {
  progress: Omit<JobProgress, 'seq' | 'observedAt'>;
  /** The task that failed most often, for the give-up rule. */
  worstTask?: { taskId: number; failures: number; message: string };
}

/** Bytes of each move task's shard group (the shard and its co-located shards), measured once per follow. */
export async function moveSizes(client: Client, jobId: number): Promise<Map<number, number>> {
  const { rows } = await client.query<{ task_id: string; bytes: string }>(
    `WITH moves AS (
       SELECT t.task_id, (regexp_match(t.command, 'citus_move_shard_placement\\((\\d+)'))[1]::bigint AS shardid
         FROM pg_dist_background_task t WHERE t.job_id = $1),
     sizes AS (SELECT shard_id, max(size) AS size FROM citus_shard_sizes() GROUP BY shard_id)
     SELECT m.task_id, sum(sz.size) AS bytes
       FROM moves m
       JOIN pg_dist_shard s1 ON s1.shardid = m.shardid
       JOIN pg_dist_partition p1 ON p1.logicalrelid = s1.logicalrelid
       JOIN pg_dist_partition p2 ON p2.colocationid = p1.colocationid
       JOIN pg_dist_shard s2 ON s2.logicalrelid = p2.logicalrelid AND s2.shardminvalue = s1.shardminvalue
       JOIN sizes sz ON sz.shard_id = s2.shardid
      GROUP BY m.task_id`,
    [jobId],
  );
  return new Map(rows.map((r) => [Number(r.task_id), Number(r.bytes)]));
}

function runningMove(command: string, nodes: readonly CitusNode[], phases: ReadonlyMap<string, string>): RunningMove {
  const match = MOVE.exec(command);
  if (!match) return { command: command.replace(/^SELECT\s+(pg_catalog\.)?/i, '') };
  const name = (id: string) => nodes.find((n) => n.nodeId === Number(id))?.name ?? `node ${id}`;
  const phase = phases.get(match[1] ?? '');
  return { shard: Number(match[1]), from: name(match[2] ?? ''), to: name(match[3] ?? ''), ...(phase ? { phase } : {}) };
}

export async function readJob(
  client: Client,
  jobId: number,
  nodes: readonly CitusNode[],
  sizes: ReadonlyMap<number, number>,
): Promise<JobSnapshot | undefined> {
  const job = await client.query<{ state: string; started_at: Date | null; finished_at: Date | null }>(
    'SELECT state::text AS state, started_at, finished_at FROM pg_dist_background_job WHERE job_id = $1',
    [jobId],
  );
  const row = job.rows[0];
  if (!row) return undefined;
  const tasks = await client.query<TaskRow>(
    `SELECT task_id, status::text AS status, command, retry_count, message
       FROM pg_dist_background_task WHERE job_id = $1 ORDER BY task_id`,
    [jobId],
  );
  const running = tasks.rows.filter((t) => t.status === 'running');
  const phases = new Map<string, string>();
  if (running.length) {
    const progress = await client.query<{ shardid: string; status: string | null }>(
      'SELECT shardid::text, status::text FROM get_rebalance_progress()',
    );
    for (const p of progress.rows) if (p.status) phases.set(p.shardid, p.status);
  }
  const isMove = (t: TaskRow) => MOVE.test(t.command);
  const moves = tasks.rows.filter(isMove);
  const done = tasks.rows.filter((t) => t.status === 'done');
  const bytes = (list: TaskRow[]) => list.reduce((sum, t) => sum + (sizes.get(Number(t.task_id)) ?? 0), 0);
  const failing = tasks.rows
    .filter((t) => t.status !== 'done' && ((t.retry_count ?? 0) > 0 || t.status === 'error'))
    .sort((a, b) => (b.retry_count ?? 0) - (a.retry_count ?? 0));
  const worst = failing[0];
  return {
    progress: {
      jobId,
      state: row.state,
      movesDone: moves.filter((t) => t.status === 'done').length,
      movesTotal: moves.length,
      tasksDone: done.length,
      tasksTotal: tasks.rows.length,
      running: running.map((t) => runningMove(t.command, nodes, phases)),
      bytesDone: bytes(done),
      bytesTotal: bytes(moves),
      ...(worst?.message ? { lastError: worst.message.trim() } : {}),
      ...(row.started_at ? { startedAt: row.started_at.toISOString() } : {}),
      ...(row.finished_at ? { finishedAt: row.finished_at.toISOString() } : {}),
    },
    ...(worst
      ? { worstTask: { taskId: Number(worst.task_id), failures: Math.max(worst.retry_count ?? 0, worst.status === 'error' ? 1 : 0), message: worst.message.trim() } }
      : {}),
  };
}
