/**
 * Shard moves run from a session (`citus_drain_node` / `rebalance_table_shards`) instead of a Citus
 * background job, for Citus versions that cannot move the shard groups of one co-location group in
 * parallel (12.x; `parallel_transfer_colocated_shards` came with 13.2). There a background job gains
 * nothing over the session (its tasks run one after another), and it is slower:
 *
 * - every online move waits for its subscription to catch up in a loop that sleeps 1 s between checks
 *   (multi_logical_replication.c, WaitForGroupedLogicalRepTargetsToCatchUp, 3 waits per move, not
 *   configurable), though catching up takes ~0.1 s here. The sleep ends early when the process' latch is
 *   set; a SIGHUP sets it in a regular backend, and `citus_drain_node` runs each move in a regular
 *   backend of its own (a loopback connection). So while online moves run, a second session calls
 *   `pg_reload_conf()` every WAKE_MS: the coordinator's processes re-read an unchanged configuration
 *   (one "received SIGHUP" line each in its log) and each wait ends within WAKE_MS of catching up.
 *   Background-task executors ignore SIGHUP: that is why this needs the session.
 * - each background task starts a new background worker, ~0.1-0.3 s per move on 2 busy cores.
 *
 * The moves stay what Citus does (online with logical replication, or block_writes), one committed
 * transaction per shard group. Progress comes from get_rebalance_progress(). A retry after a dead
 * worker first waits for the moves its predecessor's session may still be running, then calls the
 * same function again, which moves only what is left.
 */
import { Context } from '@temporalio/activity';
import type { Client } from 'pg';
import { LabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { JobProgress, RunningMove, SessionMovesRequest } from '../../workflows/rebalanceTypes.js';
import { cancellationSignalIfActivity, heartbeatIfActivity } from '../activityContext.js';
import { coordinatorOf, errorMessage, withNodeClient } from './connect.js';
import { assertCitusExtension } from './databaseAndExtension.js';
import { labWorker, readCitusNodes, type CitusNode } from './citusNodes.js';
import { workflowPublisher, type ProgressPublisher } from './rebalanceFollow.js';

/** How often the waker ends Citus' 1 s catch-up sleeps (see above). */
export const WAKE_MS = 50;
const PROGRESS_MS = 250;
export const SESSION_MOVES_APPLICATION_NAME = 'citus-lab session moves';
const APPLICATION_NAME = SESSION_MOVES_APPLICATION_NAME;
/** Citus runs each move of a session's drain or rebalance in a loopback backend named like this. */
const CITUS_MOVE_BACKENDS = 'citus_rebalancer gpid=%';
const STOP_TIMEOUT_MS = 60_000;

interface GroupRow {
  group_key: string;
  shardid: string;
  sourceport: number;
  sourcename: string;
  targetport: number;
  targetname: string;
  bytes: string;
  done: boolean;
  running: boolean;
  status: string | null;
}

/** One row per shard group being moved (the co-located shards move together), from every session's plan. */
async function readGroups(client: Client): Promise<GroupRow[]> {
  const { rows } = await client.query<GroupRow>(
    `SELECT d.colocationid || ':' || s.shardminvalue AS group_key, min(p.shardid)::text AS shardid,
            min(p.sourcename) AS sourcename, min(p.sourceport) AS sourceport,
            min(p.targetname) AS targetname, min(p.targetport) AS targetport,
            sum(p.shard_size)::text AS bytes, bool_and(p.progress = 2) AS done, bool_or(p.progress = 1) AS running,
            max(p.status::text) FILTER (WHERE p.progress = 1) AS status
       FROM get_rebalance_progress() p
       JOIN pg_dist_shard s ON s.shardid = p.shardid
       JOIN pg_dist_partition d ON d.logicalrelid = s.logicalrelid
      GROUP BY 1 ORDER BY 2`,
  );
  return rows;
}

function progressOf(groups: GroupRow[], nodes: readonly CitusNode[], state: string): Omit<JobProgress, 'seq' | 'observedAt'> {
  const name = (host: string, port: number) => nodes.find((n) => n.host === host && n.port === port)?.name ?? `${host}:${port}`;
  const running: RunningMove[] = groups
    .filter((g) => g.running)
    .map((g) => ({
      shard: Number(g.shardid),
      from: name(g.sourcename, g.sourceport),
      to: name(g.targetname, g.targetport),
      ...(g.status ? { phase: g.status } : {}),
    }));
  const done = groups.filter((g) => g.done);
  const bytes = (list: GroupRow[]) => list.reduce((sum, g) => sum + Number(g.bytes), 0);
  return {
    jobId: 0,
    state,
    movesDone: done.length,
    movesTotal: groups.length,
    tasksDone: 0,
    tasksTotal: 0,
    running,
    bytesDone: bytes(done),
    bytesTotal: bytes(groups),
  };
}

/** Pids of sessions still running our moves (a previous attempt's, whose worker died). */
async function ourSessions(client: Client): Promise<number[]> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND pid <> pg_backend_pid()`,
    [APPLICATION_NAME],
  );
  return rows.map((r) => r.pid);
}

function previousAttempt(): boolean {
  try {
    return Context.current().info.attempt > 1;
  } catch {
    return false;
  }
}

export async function moveShardsInSession(
  env: LabEnvironment,
  request: SessionMovesRequest,
  publish: ProgressPublisher | undefined = workflowPublisher(),
): Promise<JobProgress> {
  const coordinator = coordinatorOf(env);
  const online = request.transferMode !== 'block_writes';
  return withNodeClient(env, coordinator.name, env.spec.database, async (watcher) => {
    await assertCitusExtension(watcher, env.spec.database, coordinator.name);
    const nodes = await readCitusNodes(watcher, env);
    let seq = 0;
    let last = progressOf([], nodes, 'running');
    let lastKey = '';
    const report = async (state: string) => {
      const groups = await readGroups(watcher).catch(() => undefined);
      // The plan disappears when the session ends: keep the last one seen, all of it done.
      if (groups?.length) last = progressOf(groups, nodes, state);
      else if (state === 'finished') last = { ...last, state, movesDone: last.movesTotal, bytesDone: last.bytesTotal, running: [] };
      const progress: JobProgress = { ...last, seq: ++seq, observedAt: new Date().toISOString() };
      heartbeatIfActivity(progress);
      const key = JSON.stringify([progress.state, progress.movesDone, progress.movesTotal, progress.running]);
      if (publish && key !== lastKey) {
        lastKey = key;
        await publish(progress);
      }
      return progress;
    };

    // A predecessor's session keeps moving after its worker died: let it finish its moves first.
    if (previousAttempt()) {
      while ((await ourSessions(watcher)).length) {
        await report('running');
        await new Promise((r) => setTimeout(r, PROGRESS_MS));
      }
    }

    return withNodeClient(env, coordinator.name, env.spec.database, async (mover) => {
      await mover.query(`SET application_name = '${APPLICATION_NAME}'`);
      const { rows } = await mover.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const moverPid = rows[0]?.pid;
      const sql =
        request.operation === 'drain'
          ? 'SELECT citus_drain_node($1, $2, shard_transfer_mode := $3::citus.shard_transfer_mode)'
          : 'SELECT rebalance_table_shards(shard_transfer_mode := $1::citus.shard_transfer_mode)';
      let args: unknown[] = [request.transferMode];
      if (request.operation === 'drain') {
        // Citus knows the node by the address it was registered with (the cluster address).
        const target = labWorker(env, request.node ?? '');
        args = [target.clusterHost, target.clusterPort, request.transferMode];
      }
      let finished = false;
      let failure: unknown;
      const moving = mover.query(sql, args).then(
        () => void (finished = true),
        (err: unknown) => {
          finished = true;
          failure = err;
        },
      );
      const signal = cancellationSignalIfActivity();
      let lastProgressAt = 0;
      while (!finished) {
        if (signal?.aborted) {
          // Citus rolls back the move in flight (each move is one transaction); moved groups stay moved.
          await watcher.query('SELECT pg_cancel_backend($1)', [moverPid]);
          await moving;
          throw signal.reason;
        }
        if (online) await watcher.query('SELECT pg_reload_conf()');
        if (Date.now() - lastProgressAt >= PROGRESS_MS) {
          lastProgressAt = Date.now();
          await report('running');
        }
        await Promise.race([moving, new Promise((r) => setTimeout(r, online ? WAKE_MS : PROGRESS_MS))]);
      }
      if (failure) {
        throw new LabError(
          'CommandFailed',
          `${request.operation === 'drain' ? 'citus_drain_node' : 'rebalance_table_shards'} failed after ${last.movesDone} of ` +
            `${last.movesTotal} moves: ${errorMessage(failure)}; moved shards stay moved and the rest stay where they were: ` +
            'fix the cause and run the same command again to continue.',
          { cause: failure, details: { progress: last } },
        );
      }
      return report('finished');
    });
  });
}

/**
 * Stops session moves (a cancelled or failed run's): cancels our session, whose in-flight move Citus
 * rolls back, and waits until no move backend is left. Returns how many sessions it cancelled. The
 * run's own activity does the same when it hears of a cancel, but it may hear late (heartbeats are
 * throttled), and the run must not finish while a move still runs.
 */
export async function stopSessionMoves(client: Client): Promise<number> {
  const { rowCount } = await client.query(
    `SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND pid <> pg_backend_pid()`,
    [APPLICATION_NAME],
  );
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  for (;;) {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE (application_name = $1 OR application_name LIKE $2) AND state = 'active' AND pid <> pg_backend_pid()`,
      [APPLICATION_NAME, CITUS_MOVE_BACKENDS],
    );
    if (Number(rows[0]?.n ?? 0) === 0) return rowCount ?? 0;
    if (Date.now() > deadline) throw new LabError('CommandFailed', 'shard moves of a cancelled session are still running a minute after pg_cancel_backend.');
    heartbeatIfActivity({ stoppingSessionMoves: true });
    await new Promise((r) => setTimeout(r, 250));
  }
}
