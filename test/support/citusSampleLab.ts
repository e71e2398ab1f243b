/**
 * A real Citus lab with the sample schema and data, built with the lab's own activities (what deploy
 * does), for tests that move shards. Only the first `registered` workers join Citus, so a test can
 * add the others later. Each lab gets its own cluster name: the cluster lock looks at every run on
 * the shared Temporal dev server by that name.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createPostgresActivities } from '../../src/activities/postgres/index.js';
import type { LabSpec } from '../../src/config/labSpec.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';
import { connectNode, startTempLab, type TempLab } from './localLab.js';

export const citusEnvironment = (spec: LabSpec) => new LocalEnvironment(spec, { preloadCitus: true });
/** The same, supervised (killed nodes restart, fenced ones do not), as the lab's own environment is. */
export const supervisedCitusEnvironment = (spec: LabSpec) => new LocalEnvironment(spec, { preloadCitus: true, supervise: true });

export async function startCitusSampleLab(options: {
  workers: number;
  registered: number;
  prefix: string;
  /** Streaming standbys per group, created before Citus is set up (they replicate everything after). */
  standbys?: number;
  sync?: boolean;
  supervise?: boolean;
}): Promise<TempLab> {
  const lab = await startTempLab({
    workers: options.workers,
    preloadCitus: true,
    cluster: `${options.prefix}-${randomBytes(3).toString('hex')}`,
    ...(options.standbys !== undefined ? { standbys: options.standbys, sync: options.sync ?? false } : {}),
    ...(options.supervise !== undefined ? { supervise: options.supervise } : {}),
  });
  try {
    if (options.standbys) await lab.env.ha.ensureStandbys();
    const sql = createPostgresActivities({ environmentFor: citusEnvironment });
    await sql.waitForNodes(lab.spec, { timeoutSeconds: 60 });
    const nodes = lab.env.nodes().map((n) => n.name);
    await Promise.all(nodes.map((n) => sql.ensureDatabaseAndExtension(lab.spec, n)));
    await sql.setCoordinatorHost(lab.spec);
    for (const worker of nodes.filter((n) => n !== 'coordinator').slice(0, options.registered)) {
      await sql.registerWorker(lab.spec, worker);
    }
    await sql.applySchema(lab.spec);
    await sql.loadSampleData(lab.spec);
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
  return lab;
}

/** Runs SQL on the coordinator's lab database with a fresh connection. */
export async function labSql<T extends Record<string, unknown>>(lab: TempLab, text: string, params: unknown[] = []): Promise<T[]> {
  const client = await connectNode(lab, 'coordinator', lab.spec.database);
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

export function nodeAddress(lab: TempLab, name: string): { host: string; port: number } {
  const node = lab.env.nodes().find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  return { host: node.clusterHost, port: node.clusterPort };
}

/** Hash-distributed placements per lab node name (nodes without any are absent). */
export async function placements(lab: TempLab): Promise<Record<string, number>> {
  const names = new Map(lab.env.nodes().map((n) => [`${n.clusterHost}:${n.clusterPort}`, n.name]));
  const rows = await labSql<{ address: string; n: string }>(
    lab,
    `SELECT n.nodename || ':' || n.nodeport AS address, count(*) AS n
       FROM pg_dist_placement p JOIN pg_dist_node n ON n.groupid = p.groupid
       JOIN pg_dist_shard s ON s.shardid = p.shardid JOIN pg_dist_partition t ON t.logicalrelid = s.logicalrelid
      WHERE t.partmethod = 'h' GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [names.get(r.address) ?? r.address, Number(r.n)]));
}

/**
 * Inserts observations one by one (autocommit) until stopped, remembering every acknowledged id: the
 * "writes keep working, no row lost" side of an online move.
 */
export function startWriter(client: pg.Client, patients: number, firstId = 900_000_000) {
  let stopped = false;
  const acked: number[] = [];
  const errors: string[] = [];
  const done = (async () => {
    for (let id = firstId; !stopped; id++) {
      try {
        await client.query(`INSERT INTO observaciones (documento_id, observacion_id, codigo, valor) VALUES ($1, $2, 'hr', 70)`, [
          1_000_000_001 + (id % patients),
          id,
        ]);
        acked.push(id);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  })();
  return {
    acked,
    errors,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** The Citus a lab runs (`extversion`, e.g. 12.1-1 or 13.2-1) as major and minor: tests assert what that version does. */
export async function citusVersionOf(lab: TempLab): Promise<{ major: number; minor: number; text: string }> {
  const [row] = await labSql<{ v: string }>(lab, `SELECT extversion AS v FROM pg_extension WHERE extname = 'citus'`);
  const match = /^(\d+)\.(\d+)/.exec(row?.v ?? '');
  if (!match) throw new Error(`cannot read the Citus version of the lab (extversion ${JSON.stringify(row?.v)})`);
  return { major: Number(match[1]), minor: Number(match[2]), text: row?.v ?? '' };
}

/**
 * What `startRebalanceJob` should find and change on this version, from Citus' own sources: 13.2 runs
 * one background task at a time (`max_background_task_executors` 1, was 4 before) and can move the
 * shard groups of one co-location group in parallel (`parallel_transfer_colocated_shards`, new in
 * 13.2-1); 12.1 moves them one after another. Every version has 1 task per node and a 5 s queue interval.
 */
export function backgroundJobBehaviour(version: { major: number; minor: number }): { executorsDefault: number; parallelTransfer: boolean } {
  const atLeast = (major: number, minor: number) => version.major > major || (version.major === major && version.minor >= minor);
  return { executorsDefault: atLeast(13, 2) ? 1 : 4, parallelTransfer: atLeast(13, 2) };
}
