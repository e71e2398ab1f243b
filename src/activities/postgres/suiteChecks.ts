/**
 * The checks of the lab test suites (`test basic|complete|all`, the seed's run_tests.sh), as lists of
 * named PASS/FAIL results: basic looks at every node (answers, has Citus, is registered, is healthy),
 * the query checks compare distributed queries with the exact values the sample data must give.
 * Verification's own checks are reused by name, not copied.
 */
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { CheckResult } from '../results.js';
import { heartbeatIfActivity } from '../activityContext.js';
import { MAINTENANCE_DATABASE, coordinatorOf, withNodeClient } from './connect.js';
import { SAMPLE_TABLES, documentoOf } from './sampleRows.js';
import { CheckFailed, passIf, runCheck, runVerification, type VerifyCheckName } from './verify.js';

const TIMEOUTS = { connectTimeoutMs: 3_000, statementTimeoutMs: 60_000 };

export const QUERY_CHECKS: readonly VerifyCheckName[] = [
  'shards on every worker',
  'pacientes count',
  'observaciones count',
  'co-located join',
  'aggregate per codigo',
];

async function nodeChecks(env: LabEnvironment): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const node of env.nodes()) {
    heartbeatIfActivity({ check: `connectivity ${node.name}` });
    results.push(
      await runCheck(`connectivity ${node.name}`, () =>
        withNodeClient(
          env,
          node.name,
          MAINTENANCE_DATABASE,
          async (client) => {
            const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
            return `PostgreSQL ${rows[0]?.v ?? '?'} answers at ${node.host}:${node.port}`;
          },
          TIMEOUTS,
        ),
      ),
    );
  }
  for (const node of env.nodes()) {
    results.push(
      await runCheck(`citus extension on ${node.name}`, () =>
        withNodeClient(
          env,
          node.name,
          env.spec.database,
          async (client) => {
            const { rows } = await client.query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'citus'`);
            const version = rows[0]?.v;
            return passIf(version !== undefined, version ? `citus ${version} in ${env.spec.database}` : `no citus extension in ${env.spec.database}`);
          },
          TIMEOUTS,
        ),
      ),
    );
  }
  return results;
}

async function healthCheck(env: LabEnvironment): Promise<CheckResult> {
  return runCheck('every node healthy', async () => {
    const states = await env.status();
    const down = states.filter((s) => !s.running).map((s) => `${s.name} (${s.detail ?? 'stopped'})`);
    if (down.length) throw new CheckFailed(`not running: ${down.join(', ')}`);
    // Citus opens a connection from every node to every node: the mesh its queries need.
    return withNodeClient(
      env,
      coordinatorOf(env).name,
      env.spec.database,
      async (client) => {
        const { rows } = await client.query<{ from_nodeport: number; to_nodeport: number; result: boolean | null }>(
          'SELECT from_nodeport, to_nodeport, result FROM citus_check_cluster_node_health()',
        );
        const broken = rows.filter((r) => r.result !== true).map((r) => `${r.from_nodeport}->${r.to_nodeport}`);
        return passIf(
          rows.length > 0 && broken.length === 0,
          broken.length
            ? `node-to-node connections failing: ${broken.join(', ')}`
            : `${states.length} nodes running; all ${rows.length} node-to-node connections healthy`,
        );
      },
      TIMEOUTS,
    );
  });
}

/** basic: connectivity and Citus on every node, workers registered, every node healthy. */
export async function basicChecks(env: LabEnvironment): Promise<CheckResult[]> {
  const results = await nodeChecks(env);
  const registered = (await runVerification(env, ['active workers'])).checks.map((c) => ({ ...c, name: 'workers registered' }));
  results.push(...registered, await healthCheck(env));
  return results;
}

/** Patient `p` as the generator wrote it: [documento_id, paciente_id, nombre, apellido, fecha_nacimiento]. */
function expectedPatient(p: number): string[] {
  const pacientes = SAMPLE_TABLES.find((t) => t.table === 'pacientes');
  let last = '';
  for (const line of pacientes?.lines(p) ?? []) last = line;
  return last.trimEnd().split('\t');
}

async function distributedSelect(env: LabEnvironment): Promise<CheckResult> {
  const patients = env.spec.patients;
  return runCheck('distributed select', () =>
    withNodeClient(
      env,
      coordinatorOf(env).name,
      env.spec.database,
      async (client) => {
        if (patients < 1) throw new CheckFailed('the suite data set has no patients to select');
        const picks = [...new Set([1, Math.ceil(patients / 2), patients])];
        for (const p of picks) {
          // Router query: one shard, on whichever worker holds documento_id.
          const { rows } = await client.query<{ row: string }>(
            `SELECT concat_ws(E'\\t', documento_id, paciente_id, nombre, apellido, fecha_nacimiento) AS row
               FROM pacientes WHERE documento_id = $1`,
            [documentoOf(p)],
          );
          const want = expectedPatient(p).join('\t');
          if (rows.length !== 1 || rows[0]?.row !== want) {
            throw new CheckFailed(`patient ${p}: got ${JSON.stringify(rows.map((r) => r.row))}, expected ${JSON.stringify(want)}`);
          }
        }
        // Multi-shard range: every shard answers for its part of the range.
        const from = documentoOf(1);
        const to = documentoOf(Math.ceil(patients / 2));
        const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pacientes WHERE documento_id BETWEEN $1 AND $2', [from, to]);
        const n = Number(rows[0]?.n);
        const want = to - from + 1;
        passIf(n === want, `documento_id BETWEEN ${from} AND ${to}: ${n} patients, expected ${want}`);
        return `patients ${picks.join(', ')} match the generated rows; range over all shards: ${n} of ${want}`;
      },
      TIMEOUTS,
    ),
  );
}

/** complete's queries: shards spread, exact counts, co-located join, aggregates, distributed selects. */
export async function queryChecks(env: LabEnvironment): Promise<CheckResult[]> {
  const verified = await runVerification(env, QUERY_CHECKS);
  return [...verified.checks, await distributedSelect(env)];
}
