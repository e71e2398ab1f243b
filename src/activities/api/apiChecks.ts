/**
 * VerifyLab's API checks: what an application sees through the lab's FHIR API, compared with what the
 * database holds. Like the SQL checks, each is PASS or FAIL with a message and never throws:
 * - `api metadata`: GET /metadata is a CapabilityStatement that offers Patient and Observation;
 * - `api read patient`: GET /Patient/{id} of a loaded patient returns that patient;
 * - `api search routed to one shard`: GET /Observation?patient={id} returns exactly the rows that the
 *   one shard holding that patient's compartment has (counted on the worker, in the shard table itself).
 */
import type { Client } from 'pg';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { CheckResult } from '../results.js';
import { coordinatorOf, withNodeClient } from '../postgres/connect.js';
import { quoteIdentifier } from '../postgres/identifiers.js';
import { clusterAddress, workerNodes } from '../postgres/registerWorkers.js';
import { passIf, runCheck } from '../postgres/verify.js';
import { openUnlessUnsupported } from './endpoint.js';
import { fhirPatientId } from './fhirIds.js';
import { fhirGet, outcomeText, type FhirResponse } from './http.js';

const REQUEST_TIMEOUT_MS = 10_000;

export type ApiCheckName = 'api metadata' | 'api read patient' | 'api search routed to one shard';

/** A loaded patient with observations, and where its observaciones shard lives. */
interface PatientPlacement {
  readonly documentoId: number;
  readonly shardTable: string;
  /** `host:port` as Citus records it. */
  readonly address: string;
}

async function pickPatient(client: Client): Promise<PatientPlacement | undefined> {
  const { rows } = await client.query<{ id: string; shard: string; address: string }>(
    `SELECT o.documento_id AS id, s.shard_name AS shard, s.nodename || ':' || s.nodeport AS address
       FROM (SELECT documento_id FROM observaciones ORDER BY documento_id LIMIT 1) o
       CROSS JOIN LATERAL (
         SELECT get_shard_id_for_distribution_column('observaciones', o.documento_id) AS shardid) k
       JOIN citus_shards s ON s.shardid = k.shardid`,
  );
  const row = rows[0];
  if (!row) return undefined;
  return { documentoId: Number(row.id), shardTable: row.shard, address: row.address };
}

function expectStatus(res: FhirResponse, what: string, status = 200): void {
  const said = outcomeText(res.body);
  passIf(res.status === status, `${what} answered HTTP ${res.status}${said ? `: ${said}` : ''}`);
}

/** The checks; none on a platform that cannot host the API yet (its deploy skipped the API too). */
export async function runApiChecks(env: LabEnvironment): Promise<CheckResult[]> {
  const endpoint = await openUnlessUnsupported(env);
  if (!endpoint) return [];
  try {
    const base = endpoint.url;
    let placement: Promise<PatientPlacement | undefined> | undefined;
    const picked = () =>
      (placement ??= withNodeClient(env, coordinatorOf(env).name, env.spec.database, pickPatient, { statementTimeoutMs: 30_000 }));
    /** The patient the check reads, or the reason it reads nothing: a lab deployed without patients. */
    const placed = async (check: (p: PatientPlacement) => Promise<string>) => {
      const patient = await picked();
      if (patient) return check(patient);
      passIf(env.spec.patients === 0, 'observaciones is empty: deploy loads the sample data first');
      return 'nothing to read: the lab was deployed with --patients 0';
    };

    const results: CheckResult[] = [];
    results.push(
      await runCheck('api metadata', async () => {
        const res = await fhirGet(`${base}/metadata`, REQUEST_TIMEOUT_MS, endpoint.headers);
        expectStatus(res, 'GET /metadata');
        const cs = res.body as { resourceType?: string; fhirVersion?: string; rest?: Array<{ resource?: Array<{ type?: string }> }> };
        passIf(cs.resourceType === 'CapabilityStatement', `GET /metadata returned a ${cs.resourceType ?? 'non-FHIR body'}`);
        const types = (cs.rest ?? []).flatMap((r) => (r.resource ?? []).map((x) => x.type));
        const missing = ['Patient', 'Observation'].filter((t) => !types.includes(t));
        passIf(missing.length === 0, `the CapabilityStatement does not offer ${missing.join(', ')}`);
        return `CapabilityStatement (FHIR ${cs.fhirVersion ?? '?'}) with ${types.length} resource types at ${base}`;
      }),
    );
    results.push(
      await runCheck('api read patient', () => placed(async ({ documentoId }) => {
        const id = fhirPatientId(documentoId);
        const res = await fhirGet(`${base}/Patient/${encodeURIComponent(id)}`, REQUEST_TIMEOUT_MS, endpoint.headers);
        expectStatus(res, `GET /Patient/${id}`);
        const patient = res.body as { resourceType?: string; id?: string };
        passIf(patient.resourceType === 'Patient' && patient.id === id, `GET /Patient/${id} returned ${patient.resourceType ?? '?'}/${patient.id ?? '?'}`);
        return `Patient/${id} (documento_id ${documentoId}) read back`;
      })),
    );
    results.push(
      await runCheck('api search routed to one shard', () => placed(async ({ documentoId, shardTable, address }) => {
        const worker = workerNodes(env).find((w) => clusterAddress(w) === address);
        passIf(worker !== undefined, `the shard ${shardTable} is on ${address}, which is not one of this lab's workers`);
        const inShard = await withNodeClient(env, (worker as NonNullable<typeof worker>).name, env.spec.database, async (client) => {
          const { rows } = await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${quoteIdentifier(shardTable, 'table')} WHERE documento_id = $1`,
            [documentoId],
          );
          return Number(rows[0]?.n ?? NaN);
        });
        const id = fhirPatientId(documentoId);
        const res = await fhirGet(`${base}/Observation?patient=${encodeURIComponent(id)}&_count=1000`, REQUEST_TIMEOUT_MS, endpoint.headers);
        expectStatus(res, `GET /Observation?patient=${id}`);
        const bundle = res.body as { resourceType?: string; entry?: Array<{ resource?: { resourceType?: string; subject?: { reference?: string } } }> };
        passIf(bundle.resourceType === 'Bundle', `the search returned a ${bundle.resourceType ?? 'non-FHIR body'}`);
        const entries = (bundle.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === 'Observation');
        const foreign = entries.filter((r) => r?.subject?.reference !== `Patient/${id}`).length;
        passIf(foreign === 0, `${foreign} of ${entries.length} observations returned belong to another patient`);
        passIf(
          entries.length === inShard,
          `the search returned ${entries.length} observations, the shard ${shardTable} on ${worker?.name} holds ${inShard}`,
        );
        return `Observation?patient=${id}: ${entries.length} observations, the same as shard ${shardTable} on ${worker?.name} holds`;
      })),
    );
    return results;
  } finally {
    await endpoint.close();
  }
}
