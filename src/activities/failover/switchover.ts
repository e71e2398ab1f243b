/**
 * A planned switchover of one worker group, the way Patroni's Citus integration does it: on the
 * coordinator, in one transaction, `citus_update_node(..., force => true, lock_cooldown)` takes the
 * group's shard locks, so writes to it wait (a pause, not an error); meanwhile the old primary stops
 * cleanly (its walsenders ship every last WAL record), the standby replays it and is promoted; COMMIT
 * releases the waiting writes onto the new primary.
 *
 * The pause is kept to what cannot happen earlier: before it, the old primary checkpoints (its
 * shutdown checkpoint then writes almost nothing), the standby catches up, and the connections the
 * pause needs are opened. The bookkeeping of the promotion (topology, other standbys) comes after COMMIT.
 *
 * Crash safety: the old primary is fenced (topology first) before the standby is promoted, so a crash
 * anywhere leaves at most one primary. A retried attempt looks at where the group stands (pg_dist_node,
 * the candidate's recovery state) and finishes from there; with the plan recorded by the workflow it
 * also recognises a switchover that an earlier attempt completed.
 */
import type { Client } from 'pg';
import { LabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { heartbeatIfActivity } from '../activityContext.js';
import { coordinatorOf, withNodeClient } from '../postgres/connect.js';
import { groupNodeRow, LOCK_COOLDOWN_MS, memberPosition, planFailover, updateGroupNode } from './failoverSteps.js';
import type { FailoverPlan, NodeUpdate, SwitchoverOutcome } from './failoverTypes.js';
import { requireHa, withMemberClient } from './memberClient.js';
import { prepareOldPrimary, promoteOnSession, waitReplayedAll } from './switchoverSession.js';

const SESSION_TIMEOUT_MS = 60_000;

/** Measures the steps inside the pause: where its milliseconds went, for the result and the report. */
class Laps {
  readonly phases: Record<string, number> = {};
  private mark = Date.now();
  restart(): number {
    this.mark = Date.now();
    return this.mark;
  }
  lap(name: string): number {
    const now = Date.now();
    this.phases[name] = now - this.mark;
    this.mark = now;
    return now;
  }
}

/** An earlier attempt got past the promotion: fence the old primary for good, finish the bookkeeping and the update. */
async function finishEarlierAttempt(env: LabEnvironment, group: string, plan: FailoverPlan): Promise<SwitchoverOutcome> {
  const ha = requireHa(env);
  await ha.fence(plan.oldPrimary, 'kill');
  await ha.promote(plan.candidate);
  const nodeUpdate = await updateGroupNode(env, group, plan.candidate);
  return { group, oldPrimary: plan.oldPrimary, newPrimary: plan.candidate, pausedAt: nodeUpdate.at, resumedAt: nodeUpdate.at, pauseMs: 0, nodeUpdate, resumed: true };
}

/** Which member pg_dist_node names for the group now. */
async function citusMember(env: LabEnvironment, group: string): Promise<string | undefined> {
  const ha = requireHa(env);
  const members = ha.members(group);
  const row = await withNodeClient(env, coordinatorOf(env).name, env.spec.database, (client) => groupNodeRow(client, members.map((m) => m.node.port)));
  return members.find((m) => m.node.port === row?.nodeport)?.name;
}

export async function switchoverGroup(env: LabEnvironment, group: string, options: { target?: string; plan?: FailoverPlan } = {}): Promise<SwitchoverOutcome> {
  requireHa(env);
  if (group === 'coordinator') throw new LabError('NotImplemented', 'Switching the coordinator over is not done yet: name a worker group.');
  const plan = options.plan ?? (await planFailover(env, group, options.target));
  if ((await citusMember(env, group)) === plan.candidate) return finishEarlierAttempt(env, group, plan);
  const position = await memberPosition(env, plan.candidate);
  if (!position.inRecovery) return finishEarlierAttempt(env, group, plan);
  return withMemberClient(env, plan.candidate, (standby) => pausedSwitch(env, group, plan, standby), { statementTimeoutMs: SESSION_TIMEOUT_MS });
}

async function pausedSwitch(env: LabEnvironment, group: string, plan: FailoverPlan, standby: Client): Promise<SwitchoverOutcome> {
  const ha = requireHa(env);
  const target = ha.member(plan.candidate).node;
  const ports = ha.members(group).map((m) => m.node.port);
  const laps = new Laps();
  heartbeatIfActivity({ phase: 'prepare', plan });
  const preparedAt = await prepareOldPrimary(env, plan.oldPrimary, standby, plan.candidate);
  laps.lap('prepare');
  heartbeatIfActivity({ phase: 'prepared', plan });
  return withNodeClient(
    env,
    coordinatorOf(env).name,
    env.spec.database,
    async (client) => {
      const row = await groupNodeRow(client, ports);
      if (!row) throw new LabError('WorkerSetMismatch', `pg_dist_node has no row for group ${group}: register the workers first.`);
      let promoteRequested = false;
      await client.query('BEGIN');
      const pausedAt = laps.restart();
      let resumedAt: number;
      try {
        await client.query('SELECT citus_update_node($1, $2, $3, true, $4)', [row.nodeid, target.clusterHost, target.clusterPort, LOCK_COOLDOWN_MS]);
        laps.lap('lock');
        heartbeatIfActivity({ phase: 'paused', plan });
        await ha.fence(plan.oldPrimary, 'fast');
        laps.lap('stop-old-primary');
        await waitReplayedAll(standby, plan.candidate);
        laps.lap('replay');
        promoteRequested = true;
        await promoteOnSession(standby, plan.candidate);
        laps.lap('promote');
        await client.query('COMMIT');
        resumedAt = laps.lap('commit');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        // Never promoted: the old primary is still the only one with the data; it takes the group back.
        // Once a promotion was asked for, only a retry (which sees where the candidate stands) may decide.
        if (!promoteRequested) await ha.unfence(plan.oldPrimary);
        throw err;
      }
      // After COMMIT, outside the pause: the topology names the new primary, other standbys follow it.
      await ha.promote(plan.candidate);
      laps.lap('bookkeeping');
      const nodeUpdate: NodeUpdate = {
        group,
        nodeId: row.nodeid,
        from: `${row.nodename}:${row.nodeport}`,
        to: `${target.clusterHost}:${target.clusterPort}`,
        changed: true,
        at: resumedAt,
      };
      return {
        group,
        oldPrimary: plan.oldPrimary,
        newPrimary: plan.candidate,
        pausedAt,
        resumedAt,
        pauseMs: resumedAt - pausedAt,
        phases: laps.phases,
        prepared: preparedAt !== undefined,
        nodeUpdate,
        resumed: false,
      };
    },
    { statementTimeoutMs: SESSION_TIMEOUT_MS },
  );
}
