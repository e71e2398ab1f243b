/** Which members of a group run out of recovery (on disk), and which of them pg_dist_node names: "one primary" as tests check it. */
import pg from 'pg';
import { labSql } from './citusSampleLab.js';
import type { TempLab } from './localLab.js';

export async function groupPrimaries(lab: TempLab, group: string): Promise<{ onDisk: string[]; inCitus: string[] }> {
  const { user, password } = await lab.env.credentials();
  const members = lab.env.ha.members(group);
  const onDisk: string[] = [];
  for (const m of members) {
    const client = new pg.Client({ host: '127.0.0.1', port: m.node.port, user, password, database: 'postgres', connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
      if (rows[0]?.r === false) onDisk.push(m.name);
    } catch {
      // down: not a primary
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const ports = members.map((m) => m.node.port);
  const rows = await labSql<{ port: number }>(lab, `SELECT nodeport AS port FROM pg_dist_node WHERE noderole = 'primary' AND nodeport = ANY($1::int[])`, [ports]);
  const byPort = new Map(members.map((m) => [m.node.port, m.name]));
  return { onDisk, inCitus: rows.map((r) => byPort.get(r.port) ?? String(r.port)) };
}
