/**
 * Shard moves run from a session instead of a Citus background job, for Citus versions that cannot
 * move the shard groups of one co-location group in parallel (12.x; `parallel_transfer_colocated_shards`
 * came with 13.2). There nothing can run two moves at once anyway: every move takes the co-location
 * group's placement lock without waiting (a second move fails), and every logical-replication move
 * waits for one database-wide lock (12.1 shard_transfer.c TransferShards, multi_logical_replication.c
 * AcquireLogicalReplicationLock). So the moves run one after another, and what is left to win is the
 * time around each move:
 *
 * - The session asks Citus for its plan (`get_rebalance_table_shards_plan`, the function
 *   `citus_drain_node` / `rebalance_table_shards` use) and calls `citus_move_shard_placement` for
 *   each shard group itself, as those functions do. They run each move in a new loopback connection
 *   (a forked backend with cold caches, TLS and SCRAM on the lab); one session keeps one backend warm.
 *   Measured on the bench's 16-group drain (2 busy cores): block_writes 17.6-22.1 s vs 22.2-24.7 s
 *   for citus_drain_node. Progress is the plan and the moves done, known here without polling
 *   get_rebalance_progress() (each call asks every worker for shard sizes).
 * - Every online move waits for its subscription to catch up in a loop that sleeps 1 s between checks
 *   (WaitForGroupedLogicalRepTargetsToCatchUp, 3 waits per move, not configurable), though catching up
 *   takes ~0.1 s here. The sleep ends early when the backend's latch is set, which a SIGHUP does. So
 *   while our mover sleeps there (wait event `Extension`), a second session calls `pg_reload_conf()`
 *   every WAKE_MS: the coordinator's processes re-read an unchanged configuration and the wait ends
 *   within WAKE_MS of catching up. Only then: a reload every 50 ms costs the coordinator ~13% of a core.
 *   Background-task executors ignore SIGHUP: that is why this needs the session.
 *
 * The moves stay what Citus does (online with logical replication, or block_writes), one committed
 * transaction per shard group. A retry after a dead worker first waits for the moves its
 * predecessor's session may still be running, then asks for a new plan, which holds only what is left.
 */
import type { Client } from 'pg';
import { LabError } from '../../../errors.js';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import type { JobProgress, RunningMove, SessionMovesRequest } from '../../../workflows/rebalance/rebalanceTypes.js';
import { attemptIfActivity, cancellationSignalIfActivity, heartbeatIfActivity } from '../../activityContext.js';
import { coordinatorOf, errorMessage, withNodeClient } from '../connect.js';
import { assertCitusExtension } from '../databaseAndExtension.js';
import { labWorker, readCitusNodes, type CitusNode } from '../citusNodes.js';
import { workflowPublisher, type ProgressPublisher } from './rebalanceFollow.js';

/** How often the waker ends Citus' 1 s catch-up sleeps (see above). */
export const WAKE_MS = 50;
const PROGRESS_MS = 250;
/** How often the running move's phase is read (get_rebalance_progress asks the workers for sizes). */
const PHASE_MS = 1000;
export const SESSION_MOVES_APPLICATION_NAME = 'citus-lab session moves';
const APPLICATION_NAME = SESSION_MOVES_APPLICATION_NAME;
/** citus_drain_node / rebalance_table_shards (which earlier versions of this code called) run each move in a loopback backend named like this. */
const CITUS_MOVE_BACKENDS = 'citus_rebalancer gpid=%';
const STOP_TIMEOUT_MS = 60_000;

/** One planned move of a shard group (its co-located shards move with it). */
interface PlannedMove {
  shardid: string;
  sourcename: string;
  sourceport: number;
  targetname: string;
  targetport: number;
  bytes: number;
  groupKey: string;
}

interface PlanRow {
  shardid: string;
  sourcename: string;
  sourceport: number;
  targetname: string;
  targetport: number;
  bytes: string;
  group_key: string;
}

/**
 * Citus' own plan, one entry per shard group: the plan function lists every co-located shard of a
 * move one after another, and moving one of them moves the group.
 */
export async function readMovePlan(client: Client, drainOnly: boolean, from?: { host: string; port: number }): Promise<PlannedMove[]> {
  const { rows } = await client.query<PlanRow>(
    `SELECT p.shardid::text, p.sourcename, p.sourceport, p.targetname, p.targetport, p.shard_size::text AS bytes,
            d.colocationid || ':' || s.shardminvalue AS group_key
       FROM get_rebalance_table_shards_plan(drain_only := $1) WITH ORDINALITY AS p
       JOIN pg_dist_shard s ON s.shardid = p.shardid
       JOIN pg_dist_partition d ON d.logicalrelid = s.logicalrelid
      ORDER BY p.ordinality`,
    [drainOnly],
  );
  const moves: PlannedMove[] = [];
  for (const r of rows) {
    // A drain moves the named node's shards only (citus_drain_node's filter); the plan covers every node marked draining.
    if (from && (r.sourcename !== from.host || r.sourceport !== from.port)) continue;
    const last = moves.at(-1);
    const sameMove =
      last?.groupKey === r.group_key &&
      `${last.sourcename}:${last.sourceport}>${last.targetname}:${last.targetport}` === `${r.sourcename}:${r.sourceport}>${r.targetname}:${r.targetport}`;
    if (last && sameMove) {
      last.bytes += Number(r.bytes);
      continue;
    }
    const { shardid, sourcename, sourceport, targetname, targetport } = r;
    moves.push({ shardid, sourcename, sourceport, targetname, targetport, bytes: Number(r.bytes), groupKey: r.group_key });
  }
  return moves;
}

/** Pids of other sessions still running moves: ours (a previous attempt's, whose worker died) or Citus' loopback ones. */
async function activeMoveSessions(client: Client): Promise<number[]> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE (application_name = $1 OR application_name LIKE $2) AND state = 'active' AND pid <> pg_backend_pid()`,
    [APPLICATION_NAME, CITUS_MOVE_BACKENDS],
  );
  return rows.map((r) => r.pid);
}

/** The phase Citus reports for the move in flight (Copying Data, Catching Up, ...), if it says. */
async function runningPhase(client: Client): Promise<string | undefined> {
  const { rows } = await client.query<{ status: string | null }>(
    `SELECT max(status::text) AS status FROM get_rebalance_progress() WHERE progress = 1`,
  );
  return rows[0]?.status ?? undefined;
}

export async function moveShardsInSession(
  env: LabEnvironment,
  request: SessionMovesRequest,
  publish: ProgressPublisher | undefined = workflowPublisher(),
): Promise<JobProgress> {
  const coordinator = coordinatorOf(env);
  const online = request.transferMode !== 'block_writes';
  const drain = request.operation === 'drain';
  const callName = 'citus_move_shard_placement';
  return withNodeClient(env, coordinator.name, env.spec.database, async (watcher) => {
    await assertCitusExtension(watcher, env.spec.database, coordinator.name);
    const nodes = await readCitusNodes(watcher, env);
    const name = (host: string, port: number) => nodes.find((n: CitusNode) => n.host === host && n.port === port)?.name ?? `${host}:${port}`;
    let seq = 0;
    let plan: PlannedMove[] = [];
    let done = 0;
    let bytesDone = 0;
    let current: PlannedMove | undefined;
    let phase: string | undefined;
    let lastKey = '';
    const report = async (state: string) => {
      const running: RunningMove[] = [];
      if (current) {
        const { shardid, sourcename, sourceport, targetname, targetport } = current;
        running.push({ shard: Number(shardid), from: name(sourcename, sourceport), to: name(targetname, targetport), ...(phase ? { phase } : {}) });
      }
      const progress: JobProgress = {
        jobId: 0,
        state,
        movesDone: done,
        movesTotal: plan.length,
        tasksDone: 0,
        tasksTotal: 0,
        running,
        bytesDone,
        bytesTotal: plan.reduce((sum, m) => sum + m.bytes, 0),
        seq: ++seq,
        observedAt: new Date().toISOString(),
      };
      heartbeatIfActivity(progress);
      const key = JSON.stringify([progress.state, progress.movesDone, progress.movesTotal, progress.running]);
      if (publish && key !== lastKey) {
        lastKey = key;
        await publish(progress);
      }
      return progress;
    };

    // A predecessor's session keeps moving after its worker died: let it finish its move first.
    if (attemptIfActivity() > 1) {
      while ((await activeMoveSessions(watcher)).length) {
        await report('running');
        await new Promise((r) => setTimeout(r, PROGRESS_MS));
      }
    }

    return withNodeClient(env, coordinator.name, env.spec.database, async (mover) => {
      await mover.query(`SET application_name = '${APPLICATION_NAME}'`);
      const { rows } = await mover.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const moverPid = rows[0]?.pid;
      const fail = (err: unknown): never => {
        throw new LabError(
          'CommandFailed',
          `${callName} failed after ${done} of ${plan.length} moves: ${errorMessage(err)}; moved shards stay moved and the rest stay ` +
            'where they were: fix the cause and run the same command again to continue.',
          { cause: err, details: { progress: { movesDone: done, movesTotal: plan.length } } },
        );
      };

      let from: { host: string; port: number } | undefined;
      try {
        if (drain) {
          // Citus knows the node by the address it was registered with (the cluster address).
          const target = labWorker(env, request.node ?? '');
          from = { host: target.clusterHost, port: target.clusterPort };
          // What citus_drain_node does first, in its own transaction: it stays set if a move fails.
          await mover.query(
            `SELECT citus_set_node_property(nodename, nodeport, 'shouldhaveshards', false)
               FROM pg_dist_node WHERE nodename = $1 AND nodeport = $2 AND shouldhaveshards`,
            [from.host, from.port],
          );
        }
        // What both Citus functions do before they move: every node gets the reference tables.
        await mover.query('SELECT replicate_reference_tables($1::citus.shard_transfer_mode)', [request.transferMode]);
        plan = await readMovePlan(mover, drain, from);
      } catch (err) {
        fail(err);
      }

      const signal = cancellationSignalIfActivity();
      for (const move of plan) {
        // A cancel heard between two moves starts no further one.
        if (signal?.aborted) throw signal.reason;
        current = move;
        phase = undefined;
        await report('running');
        let finished = false;
        let failure: unknown;
        const moving = mover
          .query(`SELECT citus_move_shard_placement($1, $2, $3, $4, $5, shard_transfer_mode := $6::citus.shard_transfer_mode)`, [
            move.shardid,
            move.sourcename,
            move.sourceport,
            move.targetname,
            move.targetport,
            request.transferMode,
          ])
          .then(
            () => void (finished = true),
            (err: unknown) => {
              finished = true;
              failure = err;
            },
          );
        let lastProgressAt = Date.now();
        let lastPhaseAt = Date.now();
        while (!finished) {
          if (signal?.aborted) {
            // Citus rolls back the move in flight (each move is one transaction); moved groups stay moved.
            await watcher.query('SELECT pg_cancel_backend($1)', [moverPid]);
            await moving;
            throw signal.reason;
          }
          // Only while the mover sleeps between catch-up checks (or waits on a worker: same wait event).
          if (online) {
            await watcher.query(`SELECT pg_reload_conf() FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Extension'`, [moverPid]);
          }
          if (Date.now() - lastPhaseAt >= PHASE_MS) {
            lastPhaseAt = Date.now();
            phase = (await runningPhase(watcher).catch(() => phase)) ?? phase;
          }
          if (Date.now() - lastProgressAt >= PROGRESS_MS) {
            lastProgressAt = Date.now();
            await report('running');
          }
          await Promise.race([moving, new Promise((r) => setTimeout(r, online ? WAKE_MS : PROGRESS_MS))]);
        }
        if (failure) fail(failure);
        done++;
        bytesDone += move.bytes;
      }
      current = undefined;
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
    if ((await activeMoveSessions(client)).length === 0) return rowCount ?? 0;
    if (Date.now() > deadline) throw new LabError('CommandFailed', 'shard moves of a cancelled session are still running a minute after pg_cancel_backend.');
    heartbeatIfActivity({ stoppingSessionMoves: true });
    await new Promise((r) => setTimeout(r, 250));
  }
}
