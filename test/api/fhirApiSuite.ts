/**
 * The black-box tests of the FHIR API, run against whichever lab `start` gives (plain PostgreSQL
 * everywhere, Citus where installed). Everything goes over HTTP through fhir-kit-client (or raw
 * fetch for what no FHIR client sends); every resource coming back is validated against R4.
 */
import type { Bundle, BundleEntry, CapabilityStatement, Observation, OperationOutcome, Patient } from '@medplum/fhirtypes';
import type { Client } from 'fhir-kit-client';
import { documentoOf } from '../../src/activities/postgres/sampleRows.js';
import { DOCUMENTO_SYSTEM } from '../../src/api/resources/patient.js';
import type { ApiLab } from '../support/apiServer.js';
import { asBody, entries, failure, fhirClient, headersOf, r4, raw } from './fhirClient.js';

export const SAMPLE_PATIENTS = 30;

export function fhirApiSuite(start: () => Promise<ApiLab>): { lab: () => ApiLab } {
  let lab: ApiLab;
  let client: Client;
  const url = (path: string) => `${lab.api.url}${path}`;
  const json = (body: unknown, headers: Record<string, string> = {}) => ({
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const stillServing = async () => expect((await raw(url('/Patient/' + documentoOf(1)))).status).toBe(200);
  /** Patients with this family name: what a failed write must not have added. */
  const countWhere = async (family: string) =>
    entries(r4<Bundle>(await client.search({ resourceType: 'Patient', searchParams: { family, _count: 1000 } }))).length;

  const newPatient = async (family: string, extra: Partial<Patient> = {}) =>
    r4<Patient>(await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family, given: ['Test'] }], ...extra } }));
  const observation = (patientId: string, when: string, value = 70): Observation => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: when,
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });

  beforeAll(async () => {
    lab = await start();
    client = fhirClient(lab.api.url);
  }, 300_000);
  afterAll(async () => {
    await lab?.close();
  });

  describe('operations endpoints', () => {
    test('/health, /ready, /metrics, /openapi.json and /docs answer', async () => {
      expect(await raw(url('/health'))).toMatchObject({ status: 200, body: { status: 'up' } });
      expect(await raw(url('/ready'))).toMatchObject({ status: 200, body: { status: 'ready' } });
      await raw(url(`/Patient/${documentoOf(1)}`));
      const metrics = await raw(url('/metrics'));
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/fhir_requests_total\{interaction="read",type="Patient",status="200"\} \d+/);
      expect(metrics.body).toMatch(/fhir_request_duration_seconds_bucket\{le="0.005",interaction="read",type="Patient"\}/);
      expect(metrics.body).toMatch(/fhir_db_pool_connections\{state="total"\} \d+/);
      const openapi = (await raw(url('/openapi.json'))).body as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(openapi.openapi).toMatch(/^3\./);
      expect(Object.keys(openapi.paths['/Patient/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
      expect(openapi.paths['/Patient/{id}/$everything']).toBeDefined();
      const docs = await raw(url('/docs/'));
      expect(docs.status).toBe(200);
      expect(String(docs.body)).toContain('swagger-ui');
      expect(String(docs.body)).not.toMatch(/https?:\/\/(cdn|unpkg)/);
    });

    test('/metadata lists exactly the types, interactions and search parameters the routes serve', async () => {
      const cs = r4<CapabilityStatement>(await client.capabilityStatement());
      const resources = cs.rest?.[0]?.resource ?? [];
      expect(resources.map((r) => r.type).sort()).toEqual(
        ['Condition', 'Encounter', 'MedicationRequest', 'Observation', 'Organization', 'Patient', 'Practitioner', 'Procedure'].sort(),
      );
      const patient = resources.find((r) => r.type === 'Patient');
      expect(patient?.interaction?.map((i) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'create', 'update', 'delete', 'history-instance', 'search-type']));
      expect(patient?.operation?.map((o) => o.name)).toEqual(['everything']);
      expect(patient?.searchParam?.map((p) => p.name)).toEqual(expect.arrayContaining(['_id', '_lastUpdated', 'identifier', 'name', 'family', 'given', 'birthdate']));
      expect(cs.rest?.[0]?.interaction?.map((i) => i.code)).toEqual(['batch', 'transaction']);
      // Each advertised search parameter is accepted (not reported as unknown) by the route it names.
      for (const r of resources) {
        for (const p of r.searchParam ?? []) {
          const value = p.type === 'date' ? 'ge2000-01-01' : p.type === 'reference' ? `Patient/${documentoOf(1)}` : p.name === '_id' ? '1' : 'x';
          const bundle = r4<Bundle>(await client.search({ resourceType: r.type, searchParams: { [p.name]: value, _count: 1 } }));
          expect({ type: r.type, param: p.name, outcome: bundle.entry?.find((e) => e.search?.mode === 'outcome') }).toEqual({ type: r.type, param: p.name, outcome: undefined });
        }
      }
    });
  });

  describe('the sample data deploy loads reads back as valid FHIR', () => {
    test('a sample patient, its whole compartment and the practitioners', async () => {
      const id = String(documentoOf(3));
      const patient = r4<Patient>(await client.read({ resourceType: 'Patient', id }));
      expect(patient).toMatchObject({ id, meta: { versionId: '1' }, identifier: [{ system: DOCUMENTO_SYSTEM, value: id }] });
      expect(patient.meta?.lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      const everything = r4<Bundle>(await client.operation({ name: '$everything', resourceType: 'Patient', id }));
      const types = entries(everything).map((r) => r.resourceType);
      expect(types[0]).toBe('Patient');
      // Patient 3: 3 observations, 2 prescriptions (3 % 2 + 1), 2 diagnoses (3 % 3 == 0), 2 encounters.
      expect(types.filter((t) => t === 'Observation')).toHaveLength(3);
      expect(types.filter((t) => t === 'MedicationRequest')).toHaveLength(2);
      expect(types.filter((t) => t === 'Condition')).toHaveLength(2);
      expect(types.filter((t) => t === 'Encounter')).toHaveLength(2);
      r4(await client.read({ resourceType: 'Practitioner', id: '1' }));
    });

    test('every sample resource of every type is valid R4', async () => {
      for (const resourceType of ['Patient', 'Practitioner', 'Observation', 'Condition', 'MedicationRequest', 'Encounter']) {
        const bundle = r4<Bundle>(await client.search({ resourceType, searchParams: { _count: 1000, _total: 'accurate' } }));
        expect({ resourceType, some: entries(bundle).length > 0 }).toEqual({ resourceType, some: true });
      }
    });
  });

  describe('create, read, update, delete, versions', () => {
    test('create assigns the id; update needs the current version; delete keeps the history', async () => {
      const created = await newPatient('Versionada', { birthDate: '1991-04-05' });
      expect(created.id).toMatch(/^\d{13,}$/);
      expect(created.meta?.versionId).toBe('1');
      expect(created.identifier).toEqual([{ system: DOCUMENTO_SYSTEM, value: created.id }]);
      const id = created.id as string;
      expect(headersOf(created).get('etag')).toBe('W/"1"');
      expect(headersOf(created).get('location')).toBe(url(`/Patient/${id}/_history/1`));

      const read = r4<Patient>(await client.read({ resourceType: 'Patient', id }));
      expect(read).toEqual(created);
      expect(headersOf(read).get('last-modified')).toBe(new Date(created.meta?.lastUpdated as string).toUTCString());

      const v2 = r4<Patient>(
        await client.update({ resourceType: 'Patient', id, body: asBody({ ...read, birthDate: '1991-04-06' }), options: { headers: { 'If-Match': 'W/"1"' } } }),
      );
      expect(v2.meta?.versionId).toBe('2');
      const stale = await failure(client.update({ resourceType: 'Patient', id, body: asBody({ ...read, birthDate: '1999-01-01' }), options: { headers: { 'If-Match': 'W/"1"' } } }));
      expect(stale.status).toBe(412);
      expect(r4<Patient>(await client.read({ resourceType: 'Patient', id })).birthDate).toBe('1991-04-06');

      expect(r4<Patient>(await client.vread({ resourceType: 'Patient', id, version: '1' })).birthDate).toBe('1991-04-05');
      expect(r4<Patient>(await client.vread({ resourceType: 'Patient', id, version: '2' })).birthDate).toBe('1991-04-06');
      expect((await failure(client.vread({ resourceType: 'Patient', id, version: '3' }))).status).toBe(404);

      await client.delete({ resourceType: 'Patient', id });
      expect((await failure(client.read({ resourceType: 'Patient', id }))).status).toBe(410);
      const history = r4<Bundle>(await client.history({ resourceType: 'Patient', id }));
      expect(history.entry?.map((e) => e.response?.status)).toEqual(['204 No Content', '200 OK', '201 Created']);
      expect(r4<Patient>(await client.vread({ resourceType: 'Patient', id, version: '1' })).birthDate).toBe('1991-04-05');
      expect((await failure(client.update({ resourceType: 'Patient', id, body: asBody(read) }))).status).toBe(410);
    });

    test('a sample row (loaded by COPY) gets versions too', async () => {
      const id = String(documentoOf(5));
      const before = r4<Patient>(await client.read({ resourceType: 'Patient', id }));
      const after = r4<Patient>(await client.update({ resourceType: 'Patient', id, body: asBody({ ...before, gender: 'female' }) }));
      expect(after.meta?.versionId).toBe('2');
      expect(r4<Patient>(await client.vread({ resourceType: 'Patient', id, version: '1' })).gender).toBeUndefined();
      const history = r4<Bundle>(await client.history({ resourceType: 'Patient', id }));
      expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
    });

    test('Prefer: return=minimal answers without a body; Observation ids carry the patient key', async () => {
      const patient = await newPatient('Minimal');
      const res = await raw(url('/Observation'), json(observation(patient.id as string, '2024-05-01T10:00:00Z'), { prefer: 'return=minimal' }));
      expect(res.status).toBe(201);
      expect(res.body).toBeUndefined();
      const location = res.headers.get('location') ?? '';
      expect(location).toMatch(new RegExp(`/Observation/${patient.id}-\\d+/_history/1$`));
      const id = location.split('/Observation/')[1]?.split('/')[0] as string;
      const obs = r4<Observation>(await client.read({ resourceType: 'Observation', id }));
      expect(obs.subject?.reference).toBe(`Patient/${patient.id}`);
      expect((await failure(client.delete({ resourceType: 'Patient', id: patient.id as string }))).status).toBe(409);
    });

    test('conditional create returns the existing match instead of a duplicate', async () => {
      const documento = '77001234';
      const body: Patient = { resourceType: 'Patient', identifier: [{ system: DOCUMENTO_SYSTEM, value: documento }], name: [{ family: 'Condicional' }] };
      const ifNoneExist = { 'If-None-Exist': `identifier=${DOCUMENTO_SYSTEM}|${documento}` };
      const first = r4<Patient>(await client.create({ resourceType: 'Patient', body: asBody(body), options: { headers: ifNoneExist } }));
      expect(first.id).toBe(documento);
      expect(headersOf(first).get('location')).toContain(`/Patient/${documento}/_history/1`);
      const second = r4<Patient>(await client.create({ resourceType: 'Patient', body: asBody(body), options: { headers: ifNoneExist } }));
      expect(second.id).toBe(documento);
      expect(await countWhere('Condicional')).toBe(1);
      // Without the condition, the same documento is a conflict, not a second patient.
      expect((await failure(client.create({ resourceType: 'Patient', body: asBody(body) }))).status).toBe(409);
      expect(await countWhere('Condicional')).toBe(1);
    });
  });

  describe('search', () => {
    let patientId: string;
    const dates = ['2024-01-05T08:00:00Z', '2024-02-10T08:00:00Z', '2024-03-15T08:00:00Z', '2024-04-20T08:00:00Z', '2024-05-25T08:00:00Z'];
    beforeAll(async () => {
      patientId = (await newPatient('Buscable', { birthDate: '1975-06-15', name: [{ family: 'Buscable', given: ['Zoraida'] }] })).id as string;
      for (const [i, d] of dates.entries()) await client.create({ resourceType: 'Observation', body: asBody(observation(patientId, d, 60 + i)) });
    });

    test('name, family and given: starts-with by default, :exact, :contains', async () => {
      const ids = async (searchParams: Record<string, string>) =>
        entries(r4<Bundle>(await client.search({ resourceType: 'Patient', searchParams }))).map((p) => p.id);
      expect(await ids({ family: 'busc' })).toEqual([patientId]);
      expect(await ids({ name: 'zorai' })).toEqual([patientId]);
      expect(await ids({ given: 'Zoraida' })).toEqual([patientId]);
      expect(await ids({ 'family:exact': 'busc' })).toEqual([]);
      expect(await ids({ 'family:exact': 'Buscable' })).toEqual([patientId]);
      expect(await ids({ 'family:contains': 'scab' })).toEqual([patientId]);
      expect(await ids({ identifier: `${DOCUMENTO_SYSTEM}|${patientId}` })).toEqual([patientId]);
      expect(await ids({ identifier: `urn:other|${patientId}` })).toEqual([]);
      expect(await ids({ _id: patientId })).toEqual([patientId]);
      expect(await ids({ birthdate: '1975-06', family: 'Busc' })).toEqual([patientId]);
      expect(await ids({ birthdate: 'gt1975-06-15', family: 'Busc' })).toEqual([]);
      expect(await ids({ birthdate: 'ge1975-06-15', family: 'Busc' })).toEqual([patientId]);
      expect(await ids({ birthdate: 'ne1975', family: 'Busc' })).toEqual([]);
      // % and _ are literal characters, not wildcards.
      expect(await ids({ 'family:contains': '%' })).toEqual([]);
    });

    test('date prefixes, code with system, status, _lastUpdated', async () => {
      const count = async (searchParams: Record<string, string | string[]>) =>
        entries(r4<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { patient: patientId, ...searchParams } }))).length;
      expect(await count({})).toBe(5);
      expect(await count({ date: 'ge2024-03-15' })).toBe(3);
      expect(await count({ date: 'gt2024-03-15' })).toBe(2);
      expect(await count({ date: 'lt2024-03' })).toBe(2);
      expect(await count({ date: 'le2024-03' })).toBe(3);
      expect(await count({ date: ['ge2024-02', 'lt2024-04'] })).toBe(2);
      expect(await count({ date: 'eq2024-04-20T08:00:00Z' })).toBe(1);
      expect(await count({ code: 'http://loinc.org|8867-4' })).toBe(5);
      expect(await count({ code: '8867-4' })).toBe(5);
      expect(await count({ code: 'http://snomed.info/sct|8867-4' })).toBe(0);
      expect(await count({ status: 'final' })).toBe(5);
      expect(await count({ status: 'amended' })).toBe(0);
      expect(await count({ _lastUpdated: `ge${new Date(Date.now() - 3_600_000).toISOString()}` })).toBe(5);
      expect(await count({ _lastUpdated: 'lt2000-01-01' })).toBe(0);
    });

    test('keyset paging: next links walk every match once, previous comes back; _total and _sort', async () => {
      let page = r4<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${patientId}`, _count: 2, _sort: 'date', _total: 'accurate' } }));
      expect(page.total).toBe(5);
      const seen: string[] = [];
      const pages: Bundle[] = [];
      for (;;) {
        pages.push(page);
        seen.push(...entries<Observation>(page).map((o) => o.effectiveDateTime as string));
        expect(page.link?.find((l) => l.relation === 'next')?.url ?? '').not.toMatch(/offset/i);
        const next = client.nextPage({ bundle: page as never });
        if (!next) break;
        page = r4<Bundle>(await next);
      }
      expect(pages).toHaveLength(3);
      expect(seen.map((d) => new Date(d).toISOString())).toEqual(dates.map((d) => new Date(d).toISOString()));
      const back = r4<Bundle>(await client.prevPage({ bundle: pages[2] as never }));
      expect(entries(back).map((r) => r.id)).toEqual(entries(pages[1] as Bundle).map((r) => r.id));
      expect(pages[0]?.link?.some((l) => l.relation === 'previous')).toBe(false);

      const descending = entries<Observation>(r4<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { patient: patientId, _sort: '-date' } })));
      expect(descending.map((o) => new Date(o.effectiveDateTime as string).toISOString())).toEqual([...dates].reverse().map((d) => new Date(d).toISOString()));
      const byUpdate = entries<Observation>(r4<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { patient: patientId, _sort: '-_lastUpdated', _count: 1 } })));
      expect(new Date(byUpdate[0]?.effectiveDateTime as string).toISOString()).toBe(new Date(dates[4] as string).toISOString());
      const none = r4<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { patient: patientId, _total: 'none' } }));
      expect(none.total).toBeUndefined();
    });

    test('POST _search; unknown parameters are reported, or refused with handling=strict', async () => {
      const posted = await raw(url('/Observation/_search'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `patient=${patientId}&date=ge2024-05-01`,
      });
      expect(posted.status).toBe(200);
      expect(entries(r4<Bundle>(posted.body))).toHaveLength(1);

      const lenient = r4<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { patient: patientId, colour: 'blue' } }));
      expect(entries(lenient)).toHaveLength(5);
      const reported = lenient.entry?.find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome;
      expect(reported.issue?.[0]?.diagnostics).toContain('colour=blue');
      const strict = await failure(client.search({ resourceType: 'Observation', searchParams: { patient: patientId, colour: 'blue' }, options: { headers: { Prefer: 'handling=strict' } } }));
      expect(strict.status).toBe(400);
      expect(strict.outcome.issue?.[0]?.diagnostics).toContain('colour=blue');
    });

    test('$everything of a new patient holds what was created for it', async () => {
      const bundle = r4<Bundle>(await client.operation({ name: '$everything', resourceType: 'Patient', id: patientId }));
      expect(entries(bundle).map((r) => r.resourceType)).toEqual(['Patient', 'Observation', 'Observation', 'Observation', 'Observation', 'Observation']);
    });
  });

  describe('batch and transaction Bundles', () => {
    const txPatient = (fullUrl: string, family: string): BundleEntry => ({
      fullUrl,
      resource: { resourceType: 'Patient', name: [{ family }] },
      request: { method: 'POST', url: 'Patient' },
    });
    const txObservation = (subject: string): BundleEntry => ({
      resource: { ...observation('0', '2024-06-01T00:00:00Z'), subject: { reference: subject } },
      request: { method: 'POST', url: 'Observation' },
    });

    test('a transaction creates a patient and its observations, references resolved', async () => {
      const response = r4<Bundle>(
        await client.transaction({
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [txObservation('urn:uuid:11111111-1111-4111-8111-111111111111'), txPatient('urn:uuid:11111111-1111-4111-8111-111111111111', 'Transaccional'), txObservation('urn:uuid:11111111-1111-4111-8111-111111111111')],
          },
        }),
      );
      expect(response.type).toBe('transaction-response');
      expect(response.entry?.map((e) => e.response?.status)).toEqual(['201 Created', '201 Created', '201 Created']);
      const patientId = response.entry?.[1]?.resource?.id as string;
      const subjects = [0, 2].map((i) => (response.entry?.[i]?.resource as Observation).subject?.reference);
      expect(subjects).toEqual([`Patient/${patientId}`, `Patient/${patientId}`]);
      const search = r4<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { patient: patientId } }));
      expect(entries(search)).toHaveLength(2);
    });

    test('a failing transaction writes nothing, also across patients', async () => {
      const existing = String(documentoOf(7));
      const before = entries(r4<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { patient: existing, _count: 100 } }))).length;
      const failed = await failure(
        client.transaction({
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              txPatient('urn:uuid:22222222-2222-4222-8222-222222222222', 'Atomica'),
              txObservation('urn:uuid:22222222-2222-4222-8222-222222222222'),
              txObservation(`Patient/${existing}`),
              // Invalid: an Observation without status or code.
              { resource: { resourceType: 'Observation', subject: { reference: `Patient/${existing}` } } as never, request: { method: 'POST', url: 'Observation' } },
            ],
          },
        }),
      );
      expect(failed.status).toBe(422);
      expect(failed.outcome.issue?.[0]?.diagnostics).toMatch(/^entry 3/);
      expect(await countWhere('Atomica')).toBe(0);
      expect(entries(r4<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { patient: existing, _count: 100 } })))).toHaveLength(before);
    });

    test('a batch runs each entry on its own', async () => {
      const response = r4<Bundle>(
        await client.batch({
          body: {
            resourceType: 'Bundle',
            type: 'batch',
            entry: [
              txPatient('urn:uuid:33333333-3333-4333-8333-333333333333', 'Lote'),
              { request: { method: 'GET', url: `Patient/${documentoOf(2)}` } },
              { request: { method: 'GET', url: 'Patient/999999999999999' } },
              { resource: { resourceType: 'Patient', bogus: true } as never, request: { method: 'POST', url: 'Patient' } },
            ],
          },
        }),
      );
      expect(response.entry?.map((e) => e.response?.status)).toEqual(['201 Created', '200 OK', '404 Not Found', '422 Unprocessable Entity']);
      expect(response.entry?.[3]?.response?.outcome?.issue?.[0]?.expression).toEqual(['Patient.bogus']);
      expect(await countWhere('Lote')).toBe(1);
    });
  });

  describe('bad input gets an OperationOutcome, writes nothing, and the server keeps serving', () => {
    afterEach(stillServing);

    test('malformed JSON: 400', async () => {
      const res = await raw(url('/Patient'), json('{"resourceType": "Patient", '));
      expect(res.status).toBe(400);
      expect(r4<OperationOutcome>(res.body).issue?.[0]?.diagnostics).toMatch(/not JSON/);
    });

    test('a wrong resourceType: 400', async () => {
      const f = await failure(client.create({ resourceType: 'Patient', body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } }));
      expect(f.status).toBe(400);
    });

    test('an invalid resource: 422 naming each problem with its path', async () => {
      const f = await failure(client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', birthDate: 'yesterday', colour: 'blue', name: 'Ana' } as never }));
      expect(f.status).toBe(422);
      expect(f.outcome.issue?.flatMap((i) => i.expression ?? []).sort()).toEqual(expect.arrayContaining(['Patient.birthDate', 'Patient.colour', 'Patient.name']));
      const missing = await failure(client.create({ resourceType: 'Observation', body: { resourceType: 'Observation', subject: { reference: `Patient/${documentoOf(1)}` } } as never }));
      expect(missing.status).toBe(422);
      const noSubject = await failure(client.create({ resourceType: 'Observation', body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } }));
      expect(noSubject.outcome.issue?.[0]?.expression).toEqual(['Observation.subject']);
    });

    test('an id with slashes or 200 characters', async () => {
      expect((await raw(url('/Patient/1/2/3'))).status).toBe(404);
      expect((await raw(url('/Patient/a%2Fb'))).status).toBe(400);
      const long = await raw(url(`/Patient/${'1'.repeat(200)}`));
      expect(long.status).toBe(400);
      r4(long.body);
      expect((await failure(client.read({ resourceType: 'Patient', id: 'no-such-id' }))).status).toBe(404);
    });

    test('a search value built to look like SQL is just a value', async () => {
      for (const value of ["x'; DROP TABLE pacientes; --", "' OR '1'='1", '1) OR (1=1']) {
        const bundle = r4<Bundle>(await client.search({ resourceType: 'Patient', searchParams: { name: value, identifier: value } }));
        expect(entries(bundle)).toEqual([]);
      }
      expect(entries(r4<Bundle>(await client.search({ resourceType: 'Patient', searchParams: { _count: 1 } })))).toHaveLength(1);
    });

    test('_count=-1 and _count=100000: 400', async () => {
      for (const c of ['-1', '100000', 'abc']) {
        const f = await failure(client.search({ resourceType: 'Patient', searchParams: { _count: c } }));
        expect(f.status).toBe(400);
        expect(f.outcome.issue?.[0]?.diagnostics).toContain(`_count=${c}`);
      }
    });

    test('a date like 2024-13-45: 400', async () => {
      for (const d of ['2024-13-45', '2024-02-30', 'ge2024-01-01T25:00', 'tomorrow']) {
        expect((await failure(client.search({ resourceType: 'Observation', searchParams: { date: d } }))).status).toBe(400);
      }
    });

    test('a tampered cursor: 400', async () => {
      expect((await failure(client.search({ resourceType: 'Observation', searchParams: { _cursor: 'eyJkIjoibiIsInMiOiJ4In0' } }))).status).toBe(400);
    });

    test('a Bundle of 10,000 entries: 413, nothing written', async () => {
      const total = async () => r4<Bundle>(await client.search({ resourceType: 'Patient', searchParams: { _count: 0, _total: 'accurate' } })).total;
      const before = await total();
      const entry = Array.from({ length: 10_000 }, () => ({ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }));
      for (const type of ['transaction', 'batch']) {
        const body = JSON.stringify({ resourceType: 'Bundle', type, entry });
        // Under the 1 MB body limit: the entry count itself is refused.
        expect(body.length).toBeLessThan(1024 * 1024);
        const res = await raw(url('/'), json(body));
        expect(res.status).toBe(413);
        expect(r4<OperationOutcome>(res.body).issue?.[0]?.diagnostics).toContain('10000 entries');
      }
      expect(await total()).toBe(before);
    });

    test('a body of 50 MB: 413', async () => {
      const body = JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Enorme', given: ['x'.repeat(50 * 1024 * 1024)] }] });
      const res = await raw(url('/Patient'), json(body));
      expect(res.status).toBe(413);
      r4(res.body);
      expect(await countWhere('Enorme')).toBe(0);
    });

    test('a wrong content type: 415; a wrong method: 405; an unknown type: 404', async () => {
      expect((await raw(url('/Patient'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' })).status).toBe(415);
      expect((await raw(url('/metadata'), { method: 'DELETE' })).status).toBe(405);
      expect((await raw(url(`/Patient/${documentoOf(1)}`), { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '[]' })).status).toBe(405);
      expect((await raw(url('/Medication/1'))).status).toBe(404);
    });

    test('update: stale If-Match 412, id mismatch 400, moving to another patient 422, unknown id 405', async () => {
      const patient = await newPatient('Bloqueo');
      const id = patient.id as string;
      await client.update({ resourceType: 'Patient', id, body: asBody({ ...patient, gender: 'male' }) });
      expect((await failure(client.update({ resourceType: 'Patient', id, body: asBody({ ...patient, gender: 'other' }), options: { headers: { 'If-Match': 'W/"1"' } } }))).status).toBe(412);
      expect(r4<Patient>(await client.read({ resourceType: 'Patient', id })).gender).toBe('male');
      expect((await failure(client.update({ resourceType: 'Patient', id, body: asBody({ ...patient, id: String(documentoOf(1)) }) }))).status).toBe(400);
      const obs = r4<Observation>(await client.create({ resourceType: 'Observation', body: asBody(observation(id, '2024-01-01T00:00:00Z')) }));
      const moved = await failure(client.update({ resourceType: 'Observation', id: obs.id as string, body: asBody({ ...obs, subject: { reference: `Patient/${documentoOf(1)}` } }) }));
      expect(moved.status).toBe(422);
      expect((await failure(client.update({ resourceType: 'Patient', id: '4242424242', body: asBody({ ...patient, id: '4242424242' }) }))).status).toBe(405);
    });
  });

  describe('the database goes away', () => {
    test('503 OperationOutcome quickly, and answers again by itself once it is back', async () => {
      await lab.lab.env.injectFault('coordinator');
      try {
        const started = Date.now();
        const down = await raw(url(`/Patient/${documentoOf(1)}`));
        expect(down.status).toBe(503);
        expect(r4<OperationOutcome>(down.body).issue?.[0]?.code).toBe('transient');
        expect(Date.now() - started).toBeLessThan(5_000);
        expect((await raw(url('/ready'))).status).toBe(503);
        expect((await raw(url('/health'))).status).toBe(200);
      } finally {
        await lab.lab.env.startNodes();
      }
      const deadline = Date.now() + 30_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await raw(url(`/Patient/${documentoOf(1)}`))).status;
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).toBe(200);
      expect((await raw(url('/ready'))).status).toBe(200);
    });
  });

  return { lab: () => lab };
}
