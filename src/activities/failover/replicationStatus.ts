/** Each group's primary, its standbys as the primary sees them (state, sync state, lag) and fenced members. */
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { GroupReplication } from './failoverTypes.js';
import { withMemberClient } from './memberClient.js';

export async function replicationOverview(env: LabEnvironment): Promise<GroupReplication[]> {
  const ha = env.ha;
  if (!ha || ha.standbys === 0) return [];
  return Promise.all(
    ha.groups().map(async (group) => {
      const members = ha.members(group);
      const primary = members.find((m) => m.primary)?.name ?? group;
      const fenced = members.filter((m) => m.fenced).map((m) => m.name);
      try {
        return await withMemberClient(
          env,
          primary,
          async (client) => {
            const { rows } = await client.query<{ member: string; state: string; sync_state: string; lag: string | null; replay_ms: number | null }>(
              `SELECT application_name AS member, state, sync_state,
                      pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS lag,
                      (extract(epoch FROM replay_lag) * 1000)::int AS replay_ms
                 FROM pg_stat_replication ORDER BY application_name`,
            );
            const sync = await client.query<{ names: string }>(`SELECT current_setting('synchronous_standby_names') AS names`);
            return {
              group,
              primary,
              sync: (sync.rows[0]?.names ?? '') !== '',
              standbys: rows.map((r) => ({
                member: r.member,
                state: r.state,
                syncState: r.sync_state,
                lagBytes: r.lag === null ? null : Number(r.lag),
                replayLagMs: r.replay_ms,
              })),
              fenced,
            };
          },
          { connectTimeoutMs: 2_000, statementTimeoutMs: 5_000 },
        );
      } catch {
        return { group, primary, sync: false, standbys: [], fenced };
      }
    }),
  );
}
