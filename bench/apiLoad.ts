/**
 * The API benchmark's load: autocannon against one running FHIR API, four scenarios (Patient read by
 * id, Observation search by patient with 20 results, Observation create, Patient $everything), each
 * for a fixed time. Returns throughput and latency; never asserts.
 */
import autocannon from 'autocannon';

export const SCENARIOS = ['patient read', 'observation search (20 results)', 'observation create', 'patient $everything'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface LoadResult {
  scenario: Scenario;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx answers and transport errors: a fast error is not a fast answer. */
  failures: number;
}

export interface LoadOptions {
  /** Patients the target holds: documento_id DOCUMENT_BASE + 1 .. + patients. */
  patientIds: string[];
  /** Patients with at least 20 observations (prepared by `prepareSearchPatients`). */
  searchIds: string[];
  durationSeconds: number;
  connections: number;
  /** A bearer token: the lab's API requires one (src/api/auth); plain PostgreSQL's runs without auth. */
  token?: string;
}

function authHeader(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

const FHIR_JSON = 'application/fhir+json';

function observation(patientId: string, n: number) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString(),
    valueQuantity: { value: 60 + (n % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

/** Gives each of `ids` 20 observations or more (the sample data has 3 per patient), through the API itself. */
export async function prepareSearchPatients(url: string, ids: string[], token?: string, perPatient = 17): Promise<void> {
  const jobs = ids.flatMap((id) => Array.from({ length: perPatient }, (_, n) => ({ id, n })));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const res = await fetch(`${url}/Observation`, {
        method: 'POST',
        headers: { 'content-type': FHIR_JSON, prefer: 'return=minimal', ...authHeader(token) },
        body: JSON.stringify(observation(job.id, job.n)),
      });
      await res.body?.cancel();
      if (res.status !== 201) throw new Error(`POST /Observation for Patient/${job.id} answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

function pick<T>(values: readonly T[], i: number): T {
  return values[i % values.length] as T;
}

function requestsFor(scenario: Scenario, options: LoadOptions): autocannon.Request[] {
  let i = 0;
  // Spread over many patients (so many shards): a stride coprime with most counts, not a random source.
  const nextId = (ids: string[]) => pick(ids, (i += 7919));
  switch (scenario) {
    case 'patient read':
      return [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/Patient/${nextId(options.patientIds)}` }) }];
    case 'observation search (20 results)':
      return [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/Observation?patient=${nextId(options.searchIds)}&_count=20` }) }];
    case 'observation create':
      return [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            path: '/Observation',
            headers: { ...req.headers, 'content-type': FHIR_JSON, prefer: 'return=minimal' },
            body: JSON.stringify(observation(nextId(options.patientIds), i)),
          }),
        },
      ];
    case 'patient $everything':
      return [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/Patient/${nextId(options.patientIds)}/$everything` }) }];
  }
}

export async function runLoad(url: string, scenario: Scenario, options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    headers: { accept: FHIR_JSON, ...authHeader(options.token) },
    requests: requestsFor(scenario, options),
  });
  return {
    scenario,
    // Successful answers only, per second of the run.
    requestsPerSecond: result['2xx'] / (result.duration || options.durationSeconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
