/**
 * A planned switchover of one worker group, the way Patroni's Citus integration does it: on the
 * coordinator, in one transaction, `citus_update_node(..., force => true, lock_cooldown)` takes the
 * group's shard locks, so writes to it wait (a pause, not an error); meanwhile the old primary stops
 * cleanly (its walsenders ship every last WAL record), the standby replays everything and is
 * promoted; COMMIT releases the waiting writes onto the new primary. The old primary is fenced before
 * the promotion, so a crash anywhere leaves at most one primary; the retried activity finishes the update.
 */
import { LabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { heartbeatIfActivity } from '../activityContext.js';
import { coordinatorOf, withNodeClient } from '../postgres/connect.js';
import { groupNodeRow, LOCK_COOLDOWN_MS, planFailover, updateGroupNode } from './failoverSteps.js';
import type { SwitchoverOutcome } from './failoverTypes.js';
import { lsnValue, requireHa, withMemberClient } from './memberClient.js';

const CATCH_UP_TIMEOUT_MS = 10_000;

async function caughtUp(env: LabEnvironment, member: string): Promise<boolean> {
  return withMemberClient(env, member, async (client) => {
    const { rows } = await client.query<{ received: string | null; replayed: string | null }>(
      'SELECT pg_last_wal_receive_lsn()::text AS received, pg_last_wal_replay_lsn()::text AS replayed',
    );
    const r = rows[0];
    return !!r?.received && !!r.replayed && lsnValue(r.replayed) >= lsnValue(r.received);
  });
}

/** Waits until the standby replayed all it received; the old primary is down, so nothing more comes. */
async function waitCaughtUp(env: LabEnvironment, member: string): Promise<void> {
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  while (!(await caughtUp(env, member))) {
    if (Date.now() > deadline) throw new LabError('NodeNotReady', `Standby ${member} did not finish replaying within ${CATCH_UP_TIMEOUT_MS} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function switchoverGroup(env: LabEnvironment, group: string, options: { target?: string } = {}): Promise<SwitchoverOutcome> {
  const ha = requireHa(env);
  if (group === 'coordinator') throw new LabError('NotImplemented', 'Switching the coordinator over is not done yet: name a worker group.');
  const plan = await planFailover(env, group, options.target);
  const candidate = plan.positions.find((p) => p.member === plan.candidate);
  if (candidate && !candidate.inRecovery) {
    // An earlier attempt promoted it and died before its commit: the old primary is fenced already.
    await ha.fence(plan.oldPrimary, 'kill');
    const nodeUpdate = await updateGroupNode(env, group, plan.candidate);
    return { group, oldPrimary: plan.oldPrimary, newPrimary: plan.candidate, pausedAt: nodeUpdate.at, resumedAt: nodeUpdate.at, pauseMs: 0, nodeUpdate, resumed: true };
  }
  const target = ha.member(plan.candidate).node;
  const ports = ha.members(group).map((m) => m.node.port);
  return withNodeClient(
    env,
    coordinatorOf(env).name,
    env.spec.database,
    async (client) => {
      const row = await groupNodeRow(client, ports);
      if (!row) throw new LabError('WorkerSetMismatch', `pg_dist_node has no row for group ${group}: register the workers first.`);
      let promoted = false;
      await client.query('BEGIN');
      const pausedAt = Date.now();
      try {
        await client.query('SELECT citus_update_node($1, $2, $3, true, $4)', [row.nodeid, target.clusterHost, target.clusterPort, LOCK_COOLDOWN_MS]);
        heartbeatIfActivity({ phase: 'paused' });
        await ha.fence(plan.oldPrimary, 'fast');
        await waitCaughtUp(env, plan.candidate);
        await ha.promote(plan.candidate);
        promoted = true;
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        // Not promoted: the old primary is still the only one with the data; it takes the group back.
        if (!promoted) await ha.unfence(plan.oldPrimary);
        throw err;
      }
      const resumedAt = Date.now();
      const nodeUpdate = { group, nodeId: row.nodeid, from: `${row.nodename}:${row.nodeport}`, to: `${target.clusterHost}:${target.clusterPort}`, changed: true, at: resumedAt };
      return { group, oldPrimary: plan.oldPrimary, newPrimary: plan.candidate, pausedAt, resumedAt, pauseMs: resumedAt - pausedAt, nodeUpdate, resumed: false };
    },
    { statementTimeoutMs: 30_000 },
  );
}
