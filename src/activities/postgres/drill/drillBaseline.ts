/**
 * What the drill measures against: a fingerprint of the cluster's data (per Citus table a row count
 * and an order-independent checksum, and where every shard lives), taken before the fault and again
 * after it, and the probe plan (which keys route to the failed node's shards, which to a healthy one).
 * Also owns the drill's write table, `ha_drill_writes`, distributed like pacientes.
 */
import type { Client } from 'pg';
import { SQL_IDENTIFIER } from '../../../config/labSpec.js';
import { LabError } from '../../../errors.js';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import { heartbeatIfActivity } from '../../activityContext.js';
import { coordinatorOf, findNode, withNodeClient } from '../connect.js';
import { GROWING_TABLES, tableFingerprint } from '../dataProof.js';
import type { ClusterFingerprint, DrillBaseline, DrillPlan, TableFingerprint } from './drillTypes.js';
import { quoteIdentifier } from '../identifiers.js';
import { clusterAddress } from '../registerWorkers.js';
import { DOCUMENT_BASE } from '../sampleRows.js';

export const DRILL_TABLE = 'ha_drill_writes';
/** Checksums read every row; generous for a big data set, bounded for a hung node. */
const STATEMENT_TIMEOUT_MS = 300_000;
/** Patients looked at to find keys on each node: plenty for any shard count Citus picks by default. */
const KEY_CANDIDATES = 2_000;
const MAX_WRITE_KEYS = 4;

/** Citus tables of the public schema with plain names, except those that change by design: the drill's own, and the API's audit trail (dataProof.ts). */
async function citusTables(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name
       FROM pg_dist_partition p
       JOIN pg_class c ON c.oid = p.logicalrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname <> ALL ($1::text[])
      ORDER BY 1`,
    [[DRILL_TABLE, ...GROWING_TABLES]],
  );
  return rows.map((r) => r.name).filter((name) => SQL_IDENTIFIER.test(name));
}

/** Row count and order-independent checksum: the same fingerprint as the rebalance's data proof. */
async function fingerprintOf(client: Client, table: string): Promise<TableFingerprint> {
  return { table, ...(await tableFingerprint(client, { schema: 'public', name: table })) };
}

export async function fingerprint(client: Client): Promise<ClusterFingerprint> {
  const tables: TableFingerprint[] = [];
  for (const table of await citusTables(client)) {
    heartbeatIfActivity({ table });
    tables.push(await fingerprintOf(client, table));
  }
  const { rows } = await client.query<{ address: string; shards: string; digest: string }>(
    `SELECT n.nodename || ':' || n.nodeport AS address, count(*) AS shards,
            md5(string_agg(p.shardid::text, ',' ORDER BY p.shardid)) AS digest
       FROM pg_dist_placement p
       JOIN pg_dist_node n ON n.groupid = p.groupid AND n.noderole = 'primary'
      GROUP BY 1 ORDER BY 1`,
  );
  const placements = Object.fromEntries(rows.map((r) => [r.address, Number(r.shards)]));
  const placementDigest = rows.map((r) => `${r.address}=${r.digest}`).join(';');
  return { tables, placements, placementDigest };
}

/** Creates ha_drill_writes once, distributed by documento_id next to pacientes. */
export async function ensureDrillTable(client: Client): Promise<void> {
  const table = quoteIdentifier(DRILL_TABLE, 'table');
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${table} (
       documento_id BIGINT      NOT NULL,
       drill_id     TEXT        NOT NULL,
       seq          BIGINT      NOT NULL,
       written_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
       PRIMARY KEY (documento_id, drill_id, seq)
     )`,
  );
  const { rowCount } = await client.query('SELECT 1 FROM pg_dist_partition WHERE logicalrelid = $1::regclass', [DRILL_TABLE]);
  if (!rowCount) {
    await client.query(`SELECT create_distributed_table($1::regclass, 'documento_id', colocate_with => 'pacientes')`, [DRILL_TABLE]);
  }
}

/** Keys (documento_id) with the node holding each one's pacientes shard. */
async function keyPlacements(client: Client): Promise<{ keysExist: boolean; keys: Array<{ key: number; shard: string; address: string }> }> {
  const existing = await client.query<{ id: string }>('SELECT documento_id AS id FROM pacientes ORDER BY documento_id LIMIT $1', [KEY_CANDIDATES]);
  const keysExist = existing.rows.length > 0;
  const candidates = keysExist
    ? existing.rows.map((r) => Number(r.id))
    : Array.from({ length: KEY_CANDIDATES }, (_, i) => DOCUMENT_BASE + 1 + i);
  const { rows } = await client.query<{ key: string; shard: string; address: string }>(
    `SELECT k AS key, s.shardid AS shard, n.nodename || ':' || n.nodeport AS address
       FROM unnest($1::bigint[]) WITH ORDINALITY AS c(k, i)
       CROSS JOIN LATERAL (SELECT get_shard_id_for_distribution_column('pacientes', c.k) AS shardid) s
       JOIN pg_dist_placement p ON p.shardid = s.shardid
       JOIN pg_dist_node n ON n.groupid = p.groupid AND n.noderole = 'primary'
      ORDER BY c.i`,
    [candidates],
  );
  return { keysExist, keys: rows.map((r) => ({ key: Number(r.key), shard: r.shard, address: r.address })) };
}

export function planProbes(
  input: { drillId: string; node: string; failedAddress?: string; patients: number },
  placed: { keysExist: boolean; keys: Array<{ key: number; shard: string; address: string }> },
): DrillPlan {
  const { keys } = placed;
  const onFailed = input.failedAddress ? keys.filter((k) => k.address === input.failedAddress) : keys;
  const elsewhere = input.failedAddress ? keys.filter((k) => k.address !== input.failedAddress) : keys.slice(1);
  const distinctShards: number[] = [];
  const seen = new Set<string>();
  for (const k of onFailed) {
    if (seen.has(k.shard)) continue;
    seen.add(k.shard);
    distinctShards.push(k.key);
    if (distinctShards.length === MAX_WRITE_KEYS) break;
  }
  return {
    drillId: input.drillId,
    node: input.node,
    ...(onFailed[0] ? { failedNodeKey: onFailed[0].key } : {}),
    ...(elsewhere[0] ? { healthyNodeKey: elsewhere[0].key } : {}),
    // A node without shards cannot lose writes: the writes then go wherever the first keys live.
    writeKeys: distinctShards.length > 0 ? distinctShards : keys.slice(0, MAX_WRITE_KEYS).map((k) => k.key),
    keysExist: placed.keysExist,
    patients: input.patients,
  };
}

export async function takeDrillBaseline(env: LabEnvironment, nodeName: string, drillId: string): Promise<DrillBaseline> {
  const node = findNode(env, nodeName);
  return withNodeClient(
    env,
    coordinatorOf(env).name,
    env.spec.database,
    async (client) => {
      const { rowCount } = await client.query(`SELECT 1 FROM pg_dist_partition WHERE logicalrelid = to_regclass('pacientes')`);
      if (!rowCount) {
        throw new LabError(
          'ConfigInvalid',
          `lab ${env.spec.cluster} has no distributed pacientes table in ${env.spec.database}: run deploy first, which creates and loads it.`,
        );
      }
      await ensureDrillTable(client);
      const print = await fingerprint(client);
      const patients = print.tables.find((t) => t.table === 'pacientes')?.rows ?? 0;
      const placed = await keyPlacements(client);
      const failedAddress = node.role === 'worker' ? clusterAddress(node) : undefined;
      return {
        ...print,
        takenAt: new Date().toISOString(),
        plan: planProbes({ drillId, node: node.name, failedAddress, patients }, placed),
      };
    },
    { statementTimeoutMs: STATEMENT_TIMEOUT_MS },
  );
}

export function drillWritesTable(): string {
  return quoteIdentifier(DRILL_TABLE, 'table');
}
