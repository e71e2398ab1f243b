/**
 * The FHIR API under load: a local Citus lab deployed through the CLI with 10,000 patients (its API
 * started by deploy, a supervised process), then the same four scenarios against a plain PostgreSQL
 * with the same schema and data in the same run. Targets (issue 9, 2-core machine): reads >= 3,000
 * req/s with p99 <= 25 ms, creates >= 1,000/s.
 */
import { tokenForUser } from '../../src/api/auth/tokenForUser.js';
import { parseLabSpec } from '../../src/config/labSpec.js';
import { DOCUMENT_BASE } from '../../src/activities/postgres/sampleRows.js';
import { SCENARIOS, prepareSearchPatients, runLoad, type LoadOptions, type LoadResult, type Scenario } from '../apiLoad.js';
import { benchLab, disposeBenchLab, runLabCli } from '../labCli.js';
import { startPlainApi } from '../plainApi.js';
import { spread, type BenchFigure, type BenchSection } from '../types.js';

const PATIENTS = 10_000;
const SEARCH_PATIENTS = 50;
const DURATION_S = 10;
const CONNECTIONS = 16;

const TARGETS: Record<Scenario, string> = {
  'patient read': '>= 3,000 req/s, p99 <= 25 ms',
  'observation search (20 results)': '>= 3,000 req/s, p99 <= 25 ms',
  'observation create': '>= 1,000 req/s',
  'patient $everything': '',
};

async function measure(ctx: Parameters<BenchSection['run']>[0], target: string, url: string, token?: string): Promise<Map<Scenario, LoadResult[]>> {
  const patientIds = Array.from({ length: PATIENTS }, (_, i) => String(DOCUMENT_BASE + 1 + i));
  // Every 200th patient: spread over the shards.
  const searchIds = Array.from({ length: SEARCH_PATIENTS }, (_, i) => String(DOCUMENT_BASE + 1 + i * 200));
  ctx.log(`${target}: giving ${SEARCH_PATIENTS} patients 20 observations each for the search scenario...`);
  await prepareSearchPatients(url, searchIds, token);
  const options: LoadOptions = { patientIds, searchIds, durationSeconds: DURATION_S, connections: CONNECTIONS, ...(token ? { token } : {}) };
  const results = new Map<Scenario, LoadResult[]>();
  for (let run = 0; run < ctx.runs; run++) {
    for (const scenario of SCENARIOS) {
      const r = await runLoad(url, scenario, options);
      ctx.log(
        `${target} ${scenario}: ${Math.round(r.requestsPerSecond)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms` +
          ` (${r.requests} requests, ${r.failures} failed)`,
      );
      results.set(scenario, [...(results.get(scenario) ?? []), r]);
    }
  }
  return results;
}

function figures(target: string, results: Map<Scenario, LoadResult[]>): BenchFigure[] {
  return SCENARIOS.flatMap((scenario): BenchFigure[] => {
    const runs = results.get(scenario) ?? [];
    const failed = runs.reduce((n, r) => n + r.failures, 0);
    return [
      {
        name: `API on ${target}: ${scenario}`,
        unit: 'req/s',
        ours: spread(runs.map((r) => r.requestsPerSecond)),
        target: TARGETS[scenario],
        note: `${CONNECTIONS} connections, ${DURATION_S} s per run; ${failed} failed answers`,
      },
      { name: `API on ${target}: ${scenario}, p50`, unit: 'ms', ours: spread(runs.map((r) => r.p50Ms)) },
      { name: `API on ${target}: ${scenario}, p99`, unit: 'ms', ours: spread(runs.map((r) => r.p99Ms)) },
    ];
  });
}

export const apiSection: BenchSection = {
  name: 'api',
  // Its comparison is plain PostgreSQL, measured in the same run, not the seed's bash + psql script.
  usesBaseline: false,
  async run(ctx) {
    const out: BenchFigure[] = [];
    const lab = await benchLab(ctx.workDir, 'api', ctx.basePort);
    try {
      ctx.log(`deploying a Citus lab with ${PATIENTS} patients (its API comes up with it)...`);
      const { result } = await runLabCli(lab, 'deploy', ['--patients', String(PATIENTS)]);
      const url = (result.api as { url?: string } | undefined)?.url;
      if (!url) throw new Error(`deploy returned no API URL (status ${String(result.status)})`);
      // As a practitioner, so every request also pays for its token check and its AuditEvent.
      const spec = parseLabSpec({ env: 'local', dataDir: lab.dataDir, basePort: lab.basePort });
      const token = await tokenForUser(spec, 'practitioner');
      out.push(...figures('Citus (coordinator + 2 workers), authenticated + audited', await measure(ctx, 'Citus', url, token)));
    } finally {
      await disposeBenchLab(lab);
    }
    ctx.log(`starting a plain PostgreSQL with the same schema and ${PATIENTS} patients...`);
    const plain = await startPlainApi(ctx.workDir, ctx.basePort + 4, ctx.basePort + 7, PATIENTS);
    try {
      // `api serve --pg-host` serves without auth (loopback only): no token check, no AuditEvent.
      out.push(...figures('plain PostgreSQL, no auth', await measure(ctx, 'plain PostgreSQL', plain.url)));
    } finally {
      await plain.stop();
    }
    return out;
  },
};
