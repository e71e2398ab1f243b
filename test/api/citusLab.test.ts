/**
 * The FHIR API on a real Citus lab (coordinator + 2 workers, deployed by the lab's own activities):
 * the same black-box tests as on plain PostgreSQL, plus the routing proof: EXPLAIN of the exact
 * statements the server sent for a patient read, a search by patient, $everything and a one-patient
 * transaction shows each as a router query, one task on the one node holding that patient's shard.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { documentoOf } from '../../src/activities/postgres/sampleRows.js';
import type { SqlStatement } from '../../src/api/storage/sqlSession.js';
import { startCitusApiLab } from '../support/apiServer.js';
import { labSql } from '../support/citusSampleLab.js';
import { describeIfCitus } from '../support/citus.js';
import { connectNode } from '../support/localLab.js';
import { fhirApiSuite } from './fhirApiSuite.js';
import { asBody, entries, fhirClient, r4 } from './fhirClient.js';

interface Job {
  'Task Count': number;
  Tasks?: { Node?: string }[];
}

/** The Citus job of a plan (undefined when no distributed table is involved). */
function citusJob(plan: unknown): Job | undefined {
  if (Array.isArray(plan)) return plan.map(citusJob).find(Boolean);
  if (!plan || typeof plan !== 'object') return undefined;
  const node = plan as Record<string, unknown>;
  const distributed = node['Distributed Query'] as { Job?: Job } | undefined;
  if (distributed?.Job) return distributed.Job;
  return Object.values(node).map(citusJob).find(Boolean);
}

/** Statements naming a distributed table (quoted or not); the rest (nextval, advisory locks) must touch no shard. */
const DISTRIBUTED = /(^|[\s"(])(pacientes|observaciones|medicamentos|diagnosticos|encuentros|procedimientos|historia_clinica)("|\s|$)/;

describeIfCitus('FHIR API on a Citus lab', () => {
  const suite = fhirApiSuite(startCitusApiLab);

  describe('routing: one patient, one shard, one node', () => {
    const lab = () => suite.lab();

    /** host:port of the node holding the shard of pacientes for this documento_id. */
    async function shardNode(documento: string): Promise<string> {
      const [row] = await labSql<{ node: string }>(
        lab().lab,
        `SELECT n.nodename || ':' || n.nodeport AS node
           FROM pg_dist_placement p JOIN pg_dist_node n ON n.groupid = p.groupid
          WHERE p.shardid = get_shard_id_for_distribution_column('pacientes', $1::bigint)`,
        [documento],
      );
      return String(row?.node);
    }

    /** Runs a request, then EXPLAINs every statement it sent that touches a distributed table. */
    async function routingOf(request: () => Promise<unknown>): Promise<{ statements: SqlStatement[]; nodes: string[]; tasks: number[] }> {
      lab().statements.length = 0;
      await request();
      const statements = [...lab().statements];
      const client = await connectNode(lab().lab, 'coordinator', lab().lab.spec.database);
      try {
        const nodes: string[] = [];
        const tasks: number[] = [];
        for (const s of statements) {
          const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${s.text}`, s.values as unknown[]);
          const job = citusJob(rows[0]?.['QUERY PLAN']);
          if (!DISTRIBUTED.test(s.text)) {
            expect({ sql: s.text, job }).toEqual({ sql: s.text, job: undefined });
            continue;
          }
          expect({ sql: s.text, distributed: job !== undefined }).toEqual({ sql: s.text, distributed: true });
          tasks.push(job?.['Task Count'] ?? -1);
          const node = /host=(\S+) port=(\d+)/.exec(job?.Tasks?.[0]?.Node ?? '');
          nodes.push(node ? `${node[1]}:${node[2]}` : 'none');
          expect(job?.Tasks ?? []).toHaveLength(job?.['Task Count'] === 1 ? 1 : (job?.Tasks?.length ?? 0));
        }
        return { statements, nodes, tasks };
      } finally {
        await client.end();
      }
    }

    test('Patient read, Observation?patient=X and $everything are router queries on the patient node', async () => {
      const documento = String(documentoOf(11));
      const expected = await shardNode(documento);
      const client = fhirClient(lab().api.url);
      for (const request of [
        () => client.read({ resourceType: 'Patient', id: documento }),
        () => client.search({ resourceType: 'Observation', searchParams: { patient: documento, _sort: '-date', _total: 'accurate' } }),
        () => client.operation({ name: '$everything', resourceType: 'Patient', id: documento, method: 'GET' }),
        () => client.read({ resourceType: 'Observation', id: `${documento}-31` }),
      ]) {
        const { statements, nodes, tasks } = await routingOf(request);
        expect(statements.length).toBeGreaterThan(0);
        expect(tasks).toEqual(statements.map(() => 1));
        expect(new Set(nodes)).toEqual(new Set([expected]));
      }
    });

    test('a one-patient transaction Bundle runs every statement on that patient node', async () => {
      const documento = String(documentoOf(12));
      const expected = await shardNode(documento);
      const client = fhirClient(lab().api.url);
      const patient = r4(await client.read({ resourceType: 'Patient', id: documento }));
      let response: Bundle | undefined;
      const { statements, nodes, tasks } = await routingOf(async () => {
        response = r4<Bundle>(
          await client.transaction({
            body: asBody({
              resourceType: 'Bundle',
              type: 'transaction',
              entry: [
                { resource: { ...patient, gender: 'female' } as never, request: { method: 'PUT', url: `Patient/${documento}` } },
                {
                  resource: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8310-5' }] }, subject: { reference: `Patient/${documento}` }, effectiveDateTime: '2024-07-01T09:00:00Z', valueQuantity: { value: 37.1, unit: 'Cel', system: 'http://unitsofmeasure.org', code: 'Cel' } },
                  request: { method: 'POST', url: 'Observation' },
                },
                {
                  resource: { resourceType: 'Procedure', status: 'completed', code: { text: 'Electrocardiograma' }, subject: { reference: `Patient/${documento}` }, performedDateTime: '2024-07-01T09:30:00Z' },
                  request: { method: 'POST', url: 'Procedure' },
                },
              ],
            }),
          }),
        );
      });
      expect(response?.entry?.map((e) => e.response?.status)).toEqual(['200 OK', '201 Created', '201 Created']);
      // Reads, writes of the resource tables and of the co-located history: all on one shard's node.
      expect(statements.filter((s) => /^(INSERT|UPDATE)/.test(s.text)).length).toBeGreaterThanOrEqual(5);
      expect(tasks).toEqual(tasks.map(() => 1));
      expect(new Set(nodes)).toEqual(new Set([expected]));
      const everything = r4<Bundle>(await client.operation({ name: '$everything', resourceType: 'Patient', id: documento, method: 'GET' }));
      expect(entries(everything).map((r) => r.resourceType)).toContain('Procedure');
    });

    test('the check can fail: a search without a patient fans out to every shard', async () => {
      const client = fhirClient(lab().api.url);
      const { tasks } = await routingOf(() => client.search({ resourceType: 'Observation', searchParams: { code: '8867-4' } }));
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toBeGreaterThan(1);
    });

    test('the history tables are co-located with pacientes', async () => {
      const rows = await labSql<{ table: string; same: boolean }>(
        lab().lab,
        `SELECT logicalrelid::regclass::text AS table,
                colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'pacientes'::regclass) AS same
           FROM pg_dist_partition WHERE logicalrelid::regclass::text IN ('historia_clinica', 'procedimientos')`,
      );
      expect(rows.sort((a, b) => a.table.localeCompare(b.table))).toEqual([
        { table: 'historia_clinica', same: true },
        { table: 'procedimientos', same: true },
      ]);
    });
  });
});
