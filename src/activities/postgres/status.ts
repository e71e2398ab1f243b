/**
 * What the lab looks like right now: process states from the platform, and the worker list as Citus
 * sees it when the coordinator answers. A down cluster is a status to report, not an error.
 */
import { isLabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { LabStatus } from '../results.js';
import { fhirGet } from '../api/http.js';
import { replicationOverview } from '../failover/replicationStatus.js';
import { coordinatorOf, errorMessage, withNodeClient } from './connect.js';

const STATUS_CONNECT_TIMEOUT_MS = 3_000;

export async function collectStatus(env: LabEnvironment): Promise<LabStatus> {
  const nodes = await env.status();
  const replication = await replicationOverview(env);
  const base = {
    cluster: env.spec.cluster,
    env: env.spec.env,
    nodes,
    api: await apiStatus(env),
    ...(replication.length > 0 ? { replication } : {}),
  };
  let connected = false;
  try {
    const citusWorkers = await withNodeClient(
      env,
      coordinatorOf(env).name,
      env.spec.database,
      async (client) => {
        connected = true;
        const { rows } = await client.query<{ host: string; port: number; active: boolean; should_have_shards: boolean }>(
          `SELECT nodename AS host, nodeport AS port, isactive AS active, shouldhaveshards AS should_have_shards
             FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodename, nodeport`,
        );
        return rows.map((r) => ({ host: r.host, port: r.port, active: r.active, shouldHaveShards: r.should_have_shards }));
      },
      { connectTimeoutMs: STATUS_CONNECT_TIMEOUT_MS, statementTimeoutMs: 10_000 },
    );
    const active = citusWorkers.filter((w) => w.active).length;
    return {
      ...base,
      citusWorkers,
      coordinatorReachable: true,
      message: `coordinator answers; Citus lists ${citusWorkers.length} workers (${active} active)`,
    };
  } catch (err) {
    // Answering without the lab database or Citus metadata (deploy not finished) still counts as reachable.
    const answered = connected || (isLabError(err) && err.details?.code === '3D000');
    const message = answered ? `coordinator answers but Citus metadata is unavailable: ${errorMessage(err)}` : errorMessage(err);
    return { ...base, citusWorkers: [], coordinatorReachable: answered, message };
  }
}

/** Where the API is, whether its process runs, and whether `/ready` answers 200 right now. */
async function apiStatus(env: LabEnvironment): Promise<NonNullable<LabStatus['api']>> {
  let state;
  try {
    state = await env.apiState();
  } catch (err) {
    return { url: 'unknown', running: false, ready: false, detail: errorMessage(err) };
  }
  if (!state.running) return { ...state, ready: false };
  let ready = false;
  try {
    const endpoint = await env.openApiEndpoint();
    try {
      ready = (await fhirGet(`${endpoint.url}/ready`, STATUS_CONNECT_TIMEOUT_MS)).status === 200;
    } finally {
      await endpoint.close();
    }
  } catch {
    ready = false;
  }
  return { ...state, ready };
}
