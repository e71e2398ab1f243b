/**
 * Post-deploy verification, in the spirit of the seed's verify_lab.sh: a list of named checks, each PASS
 * or FAIL with a message and a duration. A failed check is a result, never an exception: the report
 * is the product, and a broken cluster is exactly when it matters.
 */
import type { Client } from 'pg';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { CheckResult, VerifyReport } from '../results.js';
import { heartbeatIfActivity } from '../activityContext.js';
import { coordinatorOf, errorMessage, withNodeClient } from './connect.js';
import { clusterAddress, workerNodes } from './registerWorkers.js';
import { SERVER_ASSIGNED_ID_BASE, expectedObservationAggregates, expectedRowCounts } from './sampleRows.js';

/** Generous for a slow laptop, bounded so a hung worker cannot stall the report forever. */
const STATEMENT_TIMEOUT_MS = 120_000;

type Check = (client: Client) => Promise<string>;

export type VerifyCheckName =
  | 'citus extension'
  | 'active workers'
  | 'shards on every worker'
  | 'pacientes count'
  | 'observaciones count'
  | 'co-located join'
  | 'aggregate per codigo';

/** A failed expectation: its message becomes the check's FAIL message. */
export class CheckFailed extends Error {}

export function passIf(ok: boolean, message: string): string {
  if (!ok) throw new CheckFailed(message);
  return message;
}

/** Runs one named check: PASS with its message, or FAIL with the error's; never throws. */
export async function runCheck(name: string, check: () => Promise<string>): Promise<CheckResult> {
  const started = performance.now();
  let status: CheckResult['status'] = 'PASS';
  let message: string;
  try {
    message = await check();
  } catch (err) {
    status = 'FAIL';
    message = errorMessage(err);
  }
  return { name, status, message, durationMs: Math.round(performance.now() - started) };
}

async function scalar(client: Client, sql: string, values: unknown[] = []): Promise<number> {
  const { rows } = await client.query<{ n: string }>(sql, values);
  return Number(rows[0]?.n ?? NaN);
}

function checks(env: LabEnvironment, shardsPerWorker: Record<string, number>): Array<[VerifyCheckName, Check]> {
  const patients = env.spec.patients;
  const expected = expectedRowCounts(patients);
  const workers = workerNodes(env).map(clusterAddress).sort();

  return [
    [
      'citus extension',
      async (client) => {
        const { rows } = await client.query<{ extversion: string }>(
          `SELECT extversion FROM pg_extension WHERE extname = 'citus'`,
        );
        const version = rows[0]?.extversion;
        passIf(version !== undefined, `extension citus is not created in ${env.spec.database}`);
        const full = await client.query<{ v: string }>('SELECT citus_version() AS v');
        return `citus ${version} (${full.rows[0]?.v ?? 'unknown'})`;
      },
    ],
    [
      'active workers',
      async (client) => {
        const { rows } = await client.query<{ node_name: string; node_port: number }>(
          'SELECT node_name, node_port FROM citus_get_active_worker_nodes()',
        );
        const active = rows.map((r) => `${r.node_name}:${r.node_port}`).sort();
        const missing = workers.filter((w) => !active.includes(w));
        const extra = active.filter((w) => !workers.includes(w));
        return passIf(
          missing.length === 0 && extra.length === 0,
          missing.length || extra.length
            ? `active ${active.join(', ') || 'none'}; missing ${missing.join(', ') || 'none'}; unexpected ${extra.join(', ') || 'none'}`
            : `${active.length} of ${workers.length} workers active: ${active.join(', ')}`,
        );
      },
    ],
    [
      'shards on every worker',
      async (client) => {
        // Only hash-distributed tables: reference tables are on every node by design and would hide a worker without shards.
        const { rows } = await client.query<{ address: string; shards: string }>(
          `SELECT n.nodename || ':' || n.nodeport AS address, count(*) AS shards
             FROM pg_dist_placement p
             JOIN pg_dist_node n ON n.groupid = p.groupid AND n.noderole = 'primary'
             JOIN pg_dist_shard s ON s.shardid = p.shardid
             JOIN pg_dist_partition t ON t.logicalrelid = s.logicalrelid
            WHERE t.partmethod = 'h' AND n.groupid <> 0
            GROUP BY 1`,
        );
        for (const w of workers) shardsPerWorker[w] = 0;
        for (const r of rows) shardsPerWorker[r.address] = Number(r.shards);
        const empty = workers.filter((w) => (shardsPerWorker[w] ?? 0) === 0);
        const summary = Object.entries(shardsPerWorker).map(([w, n]) => `${w}=${n}`).join(', ');
        // A worker added after the tables were distributed holds nothing until shards move to it.
        const hint = 'run `rebalance` (or `register-workers --rebalance`) to move shards onto it';
        return passIf(
          empty.length === 0,
          empty.length ? `no shards on ${empty.join(', ')} (${summary}): ${hint}` : `shard placements: ${summary}`,
        );
      },
    ],
    // The checks read the sample rows only: rows the FHIR API created carry keys from
    // SERVER_ASSIGNED_ID_BASE up, so a lab in use still verifies (API updates of sample rows do not).
    ...(
      [
        ['pacientes', 'documento_id'],
        ['observaciones', 'observacion_id'],
      ] as const
    ).map(([table, key]): [VerifyCheckName, Check] => [
      `${table} count`,
      async (client) => {
        const n = await scalar(client, `SELECT count(*) AS n FROM ${table} WHERE ${key} < $1`, [SERVER_ASSIGNED_ID_BASE]);
        return passIf(n === expected[table], `${n} sample rows in ${table}, expected ${expected[table]} for ${patients} patients`);
      },
    ]),
    [
      'co-located join',
      async (client) => {
        const n = await scalar(
          client,
          'SELECT count(*) AS n FROM pacientes p JOIN observaciones o ON o.documento_id = p.documento_id WHERE o.observacion_id < $1',
          [SERVER_ASSIGNED_ID_BASE],
        );
        const want = expected.observaciones;
        return passIf(n === want, `pacientes JOIN observaciones on documento_id: ${n} rows, expected ${want}`);
      },
    ],
    [
      'aggregate per codigo',
      async (client) => {
        const { rows } = await client.query<{ codigo: string; count: string; sum: string; avg: string }>(
          'SELECT codigo, count(*) AS count, sum(valor)::text AS sum, round(avg(valor), 2)::text AS avg FROM observaciones WHERE observacion_id < $1 GROUP BY codigo',
          [SERVER_ASSIGNED_ID_BASE],
        );
        const got = new Map(rows.map((r) => [r.codigo, r]));
        const want = expectedObservationAggregates(patients);
        const wrong = want.filter((w) => {
          const g = got.get(w.codigo);
          return !g || Number(g.count) !== w.count || g.sum !== w.sum;
        });
        const unexpected = rows.filter((r) => !want.some((w) => w.codigo === r.codigo)).map((r) => r.codigo);
        const describeRow = (codigo: string) => {
          const g = got.get(codigo);
          return g ? `${codigo}: n=${g.count} sum=${g.sum} avg=${g.avg}` : `${codigo}: missing`;
        };
        if (wrong.length || unexpected.length) {
          const expectedText = wrong.map((w) => `${w.codigo}: n=${w.count} sum=${w.sum}`).join('; ');
          throw new CheckFailed(
            `per-codigo aggregates differ: got ${wrong.map((w) => describeRow(w.codigo)).join('; ') || 'none'}` +
              `, expected ${expectedText || 'none'}${unexpected.length ? `; unexpected codes ${unexpected.join(', ')}` : ''}`,
          );
        }
        return `${want.length} codes match: ${want.map((w) => describeRow(w.codigo)).join('; ')}`;
      },
    ],
  ];
}

/** Every check, or only those named in `only` (the lab test suites pick theirs). */
export async function runVerification(env: LabEnvironment, only?: readonly VerifyCheckName[]): Promise<VerifyReport> {
  const shardsPerWorker: Record<string, number> = {};
  const list = checks(env, shardsPerWorker).filter(([name]) => !only || only.includes(name));
  let results: CheckResult[];
  try {
    results = await withNodeClient(
      env,
      coordinatorOf(env).name,
      env.spec.database,
      async (client) => {
        const out: CheckResult[] = [];
        for (const [name, check] of list) {
          heartbeatIfActivity({ check: name });
          out.push(await runCheck(name, () => check(client)));
        }
        return out;
      },
      { statementTimeoutMs: STATEMENT_TIMEOUT_MS },
    );
  } catch (err) {
    // No session at all (coordinator down, database missing): every check fails for that one reason.
    const message = `coordinator unavailable: ${errorMessage(err)}`;
    results = list.map(([name]) => ({ name, status: 'FAIL', message, durationMs: 0 }));
  }
  return {
    cluster: env.spec.cluster,
    env: env.spec.env,
    status: results.every((r) => r.status === 'PASS') ? 'PASS' : 'FAIL',
    checks: results,
    shardsPerWorker,
    generatedAt: new Date().toISOString(),
  };
}
