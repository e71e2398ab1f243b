/**
 * Everything that would stop shards from moving, checked before any of them does: wal_level on every
 * node (online modes), a primary key or replica identity on every distributed and reference table
 * (online modes; Citus >= 11.3 refuses the whole job otherwise), the drain target, and whether
 * someone else's rebalance is already running. Every failure is collected, so one message names
 * every offending node and table.
 */
import type { Client } from 'pg';
import { LabError } from '../../../errors.js';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import type { CheckResult } from '../../results.js';
import type { PreflightProblem, PreflightReport, PreflightRequest } from '../../../workflows/rebalance/rebalanceTypes.js';
import { coordinatorOf, errorMessage, withNodeClient } from '../connect.js';
import { supportsParallelTransfer } from './rebalanceJob.js';
import { assertCitusExtension } from '../databaseAndExtension.js';
import { citusNodeOf, labWorker, readCitusNodes, type CitusNode } from '../citusNodes.js';
import { clusterAddress } from '../registerWorkers.js';

const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 30_000;

/** Job states that still move (or are about to move) shards. */
export const ACTIVE_JOB_STATES = ['scheduled', 'running', 'cancelling', 'failing'] as const;

interface Check {
  name: string;
  problems: PreflightProblem[];
  passMessage: string;
  durationMs: number;
}

async function timed(name: string, fn: () => Promise<{ problems: PreflightProblem[]; passMessage: string }>): Promise<Check> {
  const started = performance.now();
  const result = await fn();
  return { name, ...result, durationMs: Math.round(performance.now() - started) };
}

function toCheckResult(check: Check): CheckResult {
  return {
    name: check.name,
    status: check.problems.length ? 'FAIL' : 'PASS',
    message: check.problems.length ? check.problems.map((p) => p.message).join('; ') : check.passMessage,
    durationMs: check.durationMs,
  };
}

async function walLevels(env: LabEnvironment): Promise<{ problems: PreflightProblem[]; passMessage: string }> {
  const results = await Promise.all(
    env.nodes().map(async (node) => {
      try {
        const level = await withNodeClient(
          env,
          node.name,
          env.spec.database,
          async (client) => (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level ?? 'unknown',
          { connectTimeoutMs: CONNECT_TIMEOUT_MS, statementTimeoutMs: STATEMENT_TIMEOUT_MS },
        );
        return { node, level };
      } catch (err) {
        return { node, error: errorMessage(err) };
      }
    }),
  );
  const problems: PreflightProblem[] = [];
  for (const r of results) {
    const where = `${r.node.name} (${clusterAddress(r.node)})`;
    if ('error' in r) {
      problems.push({ kind: 'node_unreachable', subject: r.node.name, message: `${where} cannot be checked: ${r.error}` });
    } else if (r.level !== 'logical') {
      problems.push({
        kind: 'wal_level',
        subject: r.node.name,
        message:
          `wal_level is ${r.level} on ${where}, online moves need logical: set wal_level = logical and restart the node ` +
          '(or use --transfer-mode block_writes)',
      });
    }
  }
  return { problems, passMessage: `wal_level = logical on all ${results.length} nodes` };
}

/** Distributed and reference tables without a primary key, a replica identity index, or REPLICA IDENTITY FULL. */
export async function tablesWithoutIdentity(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ table: string }>(
    `SELECT p.logicalrelid::regclass::text AS table
       FROM pg_dist_partition p
       JOIN pg_class c ON c.oid = p.logicalrelid
      WHERE (p.partmethod = 'h' OR (p.partmethod = 'n' AND p.repmodel = 't'))
        AND NOT (c.relreplident = 'f'
             OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))
             OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))
      ORDER BY 1`,
  );
  return rows.map((r) => r.table);
}

function identityProblems(tables: string[]): PreflightProblem[] {
  if (!tables.length) return [];
  const list = tables.join(', ');
  return [
    {
      kind: 'replica_identity',
      subject: list,
      message:
        `tables without a primary key or replica identity: ${list}; online moves could not replicate their updates and ` +
        `deletes: add --fix-identity ${tables.join(',')} (REPLICA IDENTITY FULL, or table:col+col for a primary key) ` +
        'or use --transfer-mode block_writes',
    },
  ];
}

function targetProblems(request: PreflightRequest, env: LabEnvironment, nodes: CitusNode[]): { problems: PreflightProblem[]; passMessage: string; target?: PreflightReport['target'] } {
  const canHold = nodes.filter((n) => n.active && n.shouldHaveShards);
  if (request.operation === 'rebalance') {
    const problems: PreflightProblem[] = nodes
      .filter((n) => !n.isCoordinator && !n.active)
      .map((n) => ({
        kind: 'node_inactive' as const,
        subject: n.name,
        message: `${n.name} (${n.address}) is registered but inactive: start it and run register-workers, or remove it from Citus`,
      }));
    if (!canHold.length) {
      problems.push({ kind: 'no_workers', subject: env.spec.cluster, message: 'no active node may hold shards: run register-workers first' });
    }
    const unregistered = env.nodes().filter((n) => n.role === 'worker' && !citusNodeOf(nodes, n)).map((n) => n.name);
    const note = unregistered.length ? ` (${unregistered.join(', ')} not registered, left out)` : '';
    return { problems, passMessage: `${canHold.length} nodes may hold shards: ${canHold.map((n) => n.name).join(', ')}${note}` };
  }

  const worker = labWorker(env, request.node ?? '');
  const citus = citusNodeOf(nodes, worker);
  const address = clusterAddress(worker);
  const target = {
    node: worker.name,
    address,
    registered: citus !== undefined,
    active: citus?.active ?? false,
    shouldHaveShards: citus?.shouldHaveShards ?? false,
  };
  if (!citus) {
    if (request.remove) return { problems: [], passMessage: `${worker.name} (${address}) is not in Citus' metadata: already removed`, target };
    return {
      target,
      passMessage: '',
      problems: [
        { kind: 'node_not_registered', subject: worker.name, message: `${worker.name} (${address}) is not registered in Citus, so it holds no shards: nothing to drain` },
      ],
    };
  }
  const problems: PreflightProblem[] = [];
  if (!citus.active) {
    problems.push({
      kind: 'node_inactive',
      subject: worker.name,
      message: `${worker.name} (${address}) is inactive in Citus: start it and run register-workers before draining it`,
    });
  }
  const others = canHold.filter((n) => n.nodeId !== citus.nodeId);
  if (!others.length) {
    problems.push({
      kind: 'last_worker',
      subject: worker.name,
      message:
        `${worker.name} is the last node that may hold shards, so its shards have nowhere to go: add a worker ` +
        '(deploy --workers N) or let another node hold shards before draining it',
    });
  }
  return {
    problems,
    target,
    passMessage: `${worker.name} (${address}) is active with ${citus.placements} placements; ${others.length} other nodes may take them`,
  };
}

async function runningJobs(client: Client): Promise<{ problems: PreflightProblem[]; passMessage: string; lastJobId: number }> {
  const jobs = await client.query<{ job_id: string; state: string; job_type: string; started_at: Date | null }>(
    `SELECT job_id, state::text, job_type::text, started_at FROM pg_dist_background_job
      WHERE state::text = ANY($1::text[]) ORDER BY job_id`,
    [ACTIVE_JOB_STATES],
  );
  const last = await client.query<{ last: string }>('SELECT coalesce(max(job_id), 0) AS last FROM pg_dist_background_job');
  // Moves run from a session (citus_drain_node, rebalance_table_shards, citus_move_shard_placement) show up here only.
  const sessions = jobs.rows.length
    ? { rows: [] as Array<{ moves: string }> }
    : await client.query<{ moves: string }>('SELECT count(*) AS moves FROM get_rebalance_progress()');
  const problems: PreflightProblem[] = jobs.rows.map((j) => ({
    kind: 'rebalance_running' as const,
    subject: `job ${j.job_id}`,
    message:
      `background ${j.job_type} job ${j.job_id} is ${j.state}${j.started_at ? ` since ${j.started_at.toISOString()}` : ''} and was not started by ` +
      `this run: wait for it (SELECT * FROM citus_rebalance_status()) or stop it (SELECT citus_job_cancel(${j.job_id})), then run again`,
  }));
  const sessionMoves = Number(sessions.rows[0]?.moves ?? 0);
  if (sessionMoves > 0) {
    problems.push({
      kind: 'rebalance_running',
      subject: 'session',
      message: `a session is moving ${sessionMoves} shards right now (citus_drain_node or rebalance_table_shards): wait for it to finish, then run again`,
    });
  }
  return { problems, passMessage: 'no other rebalance or drain is running', lastJobId: Number(last.rows[0]?.last ?? 0) };
}

function failure(request: PreflightRequest, env: LabEnvironment, problems: PreflightProblem[]): LabError {
  const what = request.operation === 'drain' ? `drain ${request.node ?? ''}` : 'rebalance';
  const type = problems.some((p) => p.kind === 'rebalance_running') ? 'RebalanceRunning' : 'PreflightFailed';
  return new LabError(
    type,
    `cannot ${what} in lab ${env.spec.cluster}, nothing was moved: ${problems.map((p) => p.message).join('; ')}.`,
    { details: { problems } },
  );
}

export async function rebalancePreflight(env: LabEnvironment, request: PreflightRequest): Promise<PreflightReport> {
  // An unknown node is bad input, not a finding: refused before any connection.
  if (request.operation === 'drain') labWorker(env, request.node ?? '');
  const online = request.transferMode !== 'block_writes';
  const coordinator = coordinatorOf(env);

  const [walCheck, coordinatorChecks] = await Promise.all([
    online
      ? timed('wal_level', () => walLevels(env))
      : Promise.resolve<Check>({ name: 'wal_level', problems: [], passMessage: 'not needed: block_writes copies without logical replication', durationMs: 0 }),
    withNodeClient(
      env,
      coordinator.name,
      env.spec.database,
      async (client) => {
        await assertCitusExtension(client, env.spec.database, coordinator.name);
        const identity = await timed('replica identity', async () => {
          if (!online) return { problems: [], passMessage: 'not needed: block_writes copies without logical replication' };
          const tables = await tablesWithoutIdentity(client);
          return { problems: identityProblems(tables), passMessage: 'every distributed and reference table has a primary key or replica identity' };
        });
        const nodes = await readCitusNodes(client, env);
        let target: PreflightReport['target'];
        const targetCheck = await timed(request.operation === 'drain' ? 'drain target' : 'nodes', async () => {
          const r = targetProblems(request, env, nodes);
          target = r.target;
          return r;
        });
        let lastJobId = 0;
        const jobs = await timed('running rebalance', async () => {
          const r = await runningJobs(client);
          lastJobId = r.lastJobId;
          return r;
        });
        const parallelTransfer = await supportsParallelTransfer(client);
        return { checks: [identity, targetCheck, jobs], target, lastJobId, parallelTransfer };
      },
      { statementTimeoutMs: STATEMENT_TIMEOUT_MS },
    ),
  ]);

  const checks = [walCheck, ...coordinatorChecks.checks];
  const problems = checks.flatMap((c) => c.problems);
  if (request.enforce && problems.length) throw failure(request, env, problems);
  return {
    status: problems.length ? 'FAIL' : 'PASS',
    checks: checks.map(toCheckResult),
    problems,
    lastJobId: coordinatorChecks.lastJobId,
    parallelTransfer: coordinatorChecks.parallelTransfer,
    ...(coordinatorChecks.target ? { target: coordinatorChecks.target } : {}),
  };
}
