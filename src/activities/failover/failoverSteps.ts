/**
 * The steps of a failover, each idempotent so a retried or resumed run converges: plan (which standby
 * is most advanced), fence the old primary, promote the candidate, point Citus at it, rebuild the old
 * primary as a standby. The plan is recorded in history, so a resumed run fences and promotes the same members.
 */
import type { Client } from 'pg';
import { LabError } from '../../errors.js';
import type { RebuildResult } from '../../environments/haControl.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { connectNode, coordinatorOf, errorMessage, queryError, withNodeClient } from '../postgres/connect.js';
import type { FailoverPlan, MemberPosition, NodeUpdate, TakeoverOutcome } from './failoverTypes.js';
import { mostAdvanced, requireHa, withMemberClient } from './memberClient.js';

const POSITION_TIMEOUT_MS = 1_500;
/** How long citus_update_node waits for competing locks before it cancels their holders (force => true). */
export const LOCK_COOLDOWN_MS = 200;

/** Where a member stands: in recovery or not, and how far its WAL goes (replayed on a standby, written on a primary). */
export const MEMBER_POSITION_SQL = `SELECT pg_is_in_recovery() AS r,
  CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text AS lsn`;

/** A row of MEMBER_POSITION_SQL as the member's position. */
export function positionOf(member: string, row: Record<string, unknown> | undefined): MemberPosition {
  return { member, inRecovery: row?.r === true, lsn: typeof row?.lsn === 'string' ? row.lsn : '0/0' };
}

export async function memberPosition(env: LabEnvironment, member: string): Promise<MemberPosition> {
  return withMemberClient(
    env,
    member,
    async (client) => positionOf(member, (await client.query<Record<string, unknown>>(MEMBER_POSITION_SQL)).rows[0]),
    { connectTimeoutMs: POSITION_TIMEOUT_MS, statementTimeoutMs: POSITION_TIMEOUT_MS },
  );
}

export async function planFailover(env: LabEnvironment, group: string, target?: string): Promise<FailoverPlan> {
  const ha = requireHa(env);
  const members = ha.members(group);
  if (members.length === 0) throw new LabError('UnknownNode', `Lab "${env.spec.cluster}" has no group "${group}".`);
  const oldPrimary = members.find((m) => m.primary)?.name ?? group;
  const standbys = members.filter((m) => !m.primary && !m.fenced && m.dataPresent && (target === undefined || m.name === target));
  const positions: MemberPosition[] = [];
  for (const m of standbys) {
    try {
      positions.push(await memberPosition(env, m.name));
    } catch {
      // a standby that does not answer cannot take over
    }
  }
  // A standby already out of recovery was promoted by an earlier, interrupted attempt: finish with it.
  const promoted = positions.find((p) => !p.inRecovery);
  const best = promoted ?? (positions.length > 0 ? mostAdvanced(positions) : undefined);
  if (!best) {
    throw new LabError('NodeNotReady', `No standby of ${group} answers${target ? ` (asked for ${target})` : ''}: nothing to fail over to.`, {
      details: { group, members: members.map((m) => m.name) },
    });
  }
  return { group, oldPrimary, candidate: best.member, positions };
}

export async function fenceMember(env: LabEnvironment, member: string, how: 'fast' | 'kill'): Promise<{ member: string; wasRunning: boolean }> {
  return requireHa(env).fence(member, how);
}

export async function promoteMember(env: LabEnvironment, member: string): Promise<{ member: string; alreadyPrimary: boolean; at: number }> {
  const result = await requireHa(env).promote(member);
  return { ...result, at: Date.now() };
}

/** The pg_dist_node row of a group: the one whose port is any of the group's members'. */
export async function groupNodeRow(client: Client, ports: number[]): Promise<{ nodeid: number; nodename: string; nodeport: number } | undefined> {
  const { rows } = await client.query<{ nodeid: number; nodename: string; nodeport: number }>(
    `SELECT nodeid, nodename, nodeport FROM pg_dist_node
      WHERE nodeport = ANY($1::int[]) AND noderole = 'primary' AND groupid <> 0 ORDER BY nodeid`,
    [ports],
  );
  if (rows.length > 1) {
    throw new LabError('WorkerSetMismatch', `pg_dist_node lists ${rows.length} primaries for one group (${rows.map((r) => `${r.nodename}:${r.nodeport}`).join(', ')}).`);
  }
  return rows[0];
}

/** Points the group's pg_dist_node row at `member` (citus_update_node on the coordinator); unchanged when it already is. */
export async function updateGroupNode(env: LabEnvironment, group: string, member: string): Promise<NodeUpdate> {
  requireHa(env);
  if (group === 'coordinator') {
    throw new LabError('NotImplemented', 'Failing the coordinator over is not done yet: only worker groups move in pg_dist_node.');
  }
  return withNodeClient(env, coordinatorOf(env).name, env.spec.database, (client) => updateGroupNodeOn(env, client, group, member), UPDATE_SESSION);
}

const UPDATE_SESSION = { statementTimeoutMs: 30_000 };

/** updateGroupNode on an open session to the coordinator. */
async function updateGroupNodeOn(env: LabEnvironment, client: Client, group: string, member: string): Promise<NodeUpdate> {
  const ha = requireHa(env);
  const target = ha.member(member).node;
  const ports = ha.members(group).map((m) => m.node.port);
  const row = await groupNodeRow(client, ports);
  if (!row) throw new LabError('WorkerSetMismatch', `pg_dist_node has no row for group ${group}: register the workers first.`);
  const from = `${row.nodename}:${row.nodeport}`;
  const to = `${target.clusterHost}:${target.clusterPort}`;
  if (from === to) return { group, nodeId: row.nodeid, from, to, changed: false, at: Date.now() };
  await client.query('SELECT citus_update_node($1, $2, $3, true, $4)', [row.nodeid, target.clusterHost, target.clusterPort, LOCK_COOLDOWN_MS]);
  return { group, nodeId: row.nodeid, from, to, changed: true, at: Date.now() };
}

/** Where a crash test stops the worker inside takeOverGroup: right after that part's side effect. */
export type TakeoverHook = (part: 'fence' | 'promote' | 'update-node') => void | Promise<void>;

/**
 * fence -> promote -> update-node of a recorded plan in one activity: a failover's writes come back
 * after one Temporal round trip instead of three (each was 0.1-1 s on a loaded dev server). Each part
 * is idempotent, so a retry after a crash anywhere repeats the done ones harmlessly; the plan (who is
 * fenced, who is promoted) comes from history, never from a second look at a half-changed group.
 */
export async function takeOverGroup(env: LabEnvironment, plan: FailoverPlan, after: TakeoverHook = () => undefined): Promise<TakeoverOutcome> {
  if (plan.group === 'coordinator') {
    throw new LabError('NotImplemented', 'Failing the coordinator over is not done yet: only worker groups move in pg_dist_node.');
  }
  // The coordinator session opens while the old primary is fenced and the standby promoted (a
  // SCRAM handshake is tens of ms on a loaded machine): citus_update_node runs the moment it may.
  const coordinator = connectNode(env, coordinatorOf(env), env.spec.database, UPDATE_SESSION);
  coordinator.catch(() => undefined);
  try {
    const fenceAt = Date.now();
    const fenced = await fenceMember(env, plan.oldPrimary, 'kill');
    const fence = { ...fenced, startedAt: fenceAt, endedAt: Date.now() };
    await after('fence');
    const promoted = await promoteMember(env, plan.candidate);
    const promote = { member: promoted.member, alreadyPrimary: promoted.alreadyPrimary, startedAt: fence.endedAt, endedAt: promoted.at };
    await after('promote');
    const session = await coordinator;
    let update: NodeUpdate;
    try {
      update = await updateGroupNodeOn(env, session.client, plan.group, plan.candidate);
    } catch (err) {
      throw queryError(err, session.node);
    }
    const nodeUpdate = { ...update, startedAt: promote.endedAt, endedAt: update.at };
    await after('update-node');
    return { fence, promote, nodeUpdate };
  } finally {
    await coordinator.then((c) => c.close()).catch(() => undefined);
  }
}

export async function rebuildMember(env: LabEnvironment, member: string): Promise<RebuildResult> {
  try {
    return await requireHa(env).rebuild(member);
  } catch (err) {
    if (err instanceof LabError) throw err;
    throw new LabError('CommandFailed', `Rebuilding ${member} as a standby failed: ${errorMessage(err)}`, { cause: err });
  }
}
