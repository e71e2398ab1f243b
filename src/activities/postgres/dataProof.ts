/**
 * A data snapshot for the proof of no loss: per distributed and reference table, its row count and an
 * order-independent checksum (the sum of a 60-bit md5 prefix of every row's text, added up as numeric
 * so it cannot overflow; a lost, duplicated or altered row changes it), and the shard placements per
 * node. Citus pushes count and sum down to the shards, so each table is one parallel scan.
 */
import { escapeIdentifier, type Client } from 'pg';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { DataSnapshot, TableSnapshot } from '../../workflows/rebalance/rebalanceTypes.js';
import { heartbeatIfActivity } from '../activityContext.js';
import { coordinatorOf, withNodeClient } from './connect.js';
import { assertCitusExtension } from './databaseAndExtension.js';
import { readCitusNodes } from './citusNodes.js';

/**
 * The API's audit trail grows with every request, the drill's own API probes included, so "unchanged"
 * cannot hold for it; it is append-only and left out of the proof (its rows are not proven kept).
 */
export const GROWING_TABLES: readonly string[] = ['api_audit_events'];

interface CitusTable {
  schema: string;
  name: string;
  display: string;
  kind: TableSnapshot['kind'];
}

async function citusTables(client: Client): Promise<CitusTable[]> {
  const { rows } = await client.query<CitusTable>(
    `SELECT n.nspname AS schema, c.relname AS name, p.logicalrelid::regclass::text AS display,
            CASE WHEN p.partmethod = 'h' THEN 'distributed' ELSE 'reference' END AS kind
       FROM pg_dist_partition p
       JOIN pg_class c ON c.oid = p.logicalrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE (p.partmethod = 'h' OR (p.partmethod = 'n' AND p.repmodel = 't'))
        AND c.relname <> ALL ($1::text[])
      ORDER BY 3`,
    [GROWING_TABLES],
  );
  return rows;
}

export async function tableFingerprint(client: Client, table: Pick<CitusTable, 'schema' | 'name'>): Promise<{ rows: number; checksum: string }> {
  const name = `${escapeIdentifier(table.schema)}.${escapeIdentifier(table.name)}`;
  const { rows } = await client.query<{ rows: string; checksum: string }>(
    `SELECT count(*) AS rows,
            coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text AS checksum
       FROM ${name} t`,
  );
  return { rows: Number(rows[0]?.rows ?? 0), checksum: rows[0]?.checksum ?? '0' };
}

export async function snapshotData(env: LabEnvironment): Promise<DataSnapshot> {
  const coordinator = coordinatorOf(env);
  return withNodeClient(env, coordinator.name, env.spec.database, async (client) => {
    await assertCitusExtension(client, env.spec.database, coordinator.name);
    const takenAt = new Date().toISOString();
    const tables: TableSnapshot[] = [];
    for (const table of await citusTables(client)) {
      heartbeatIfActivity({ table: table.display });
      tables.push({ table: table.display, kind: table.kind, ...(await tableFingerprint(client, table)) });
    }
    const nodes = (await readCitusNodes(client, env)).map((n) => ({
      node: n.name,
      address: n.address,
      isCoordinator: n.isCoordinator,
      active: n.active,
      shouldHaveShards: n.shouldHaveShards,
      placements: n.placements,
    }));
    return { takenAt, tables, nodes };
  });
}
