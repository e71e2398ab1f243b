/**
 * The drill's probe load: through the coordinator, each probe class on its own connection and its own
 * fixed cadence, so a class stuck on a dead node never delays the others. A failed probe drops its
 * connection and the next one reconnects (short connect and statement timeouts keep a probe from
 * hanging past the outage). Runs until the outage is over and every class has been healthy for
 * `settleMs`, or `maxDurationMs` passed; returns the folded outcomes, never raw samples.
 *
 * Heartbeats its fold every second: a retry after a lost worker continues it (same start, timelines
 * and write ledger, writes numbered past the lost attempt's) and records the span without probes.
 */
import type { Client } from 'pg';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import { attemptIfActivity, cancellationSignalIfActivity, firstScheduledAtIfActivity, heartbeatIfActivity, previousAttemptDetails } from '../../activityContext.js';
import { firstSeqOf, probeCheckpointOf, type ProbeCheckpoint } from './drillCheckpoints.js';
import { connectNode, coordinatorOf, errorMessage, type NodeConnection } from '../connect.js';
import { drillWritesTable } from './drillBaseline.js';
import { openUnlessUnsupported } from '../../api/endpoint.js';
import { fhirPatientId } from '../../api/fhirIds.js';
import { describeFetchError, fhirGet, outcomeText } from '../../api/http.js';
import {
  API_PROBE_CLASSES,
  PROBE_CLASSES,
  type DrillPlan,
  type ProbeClass,
  type ProbeInterruption,
  type ProbeRunOptions,
  type ProbeRunSummary,
} from './drillTypes.js';
import { ProbeRecorder, type ProbeSample } from './probeSummary.js';

const PROBE_APPLICATION_NAME = 'citus-lab-drill';
const DEFAULT_CONNECT_TIMEOUT_MS = 1_000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 2_000;
const CHECK_EVERY_MS = 25;
const HEARTBEAT_EVERY_MS = 1_000;

/** One class's session; dropped on any failure so the next probe starts from a fresh connection. */
class ProbeSession {
  private connection: NodeConnection | undefined;

  constructor(private readonly connect: () => Promise<NodeConnection>) {}

  async run<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    try {
      this.connection ??= await this.connect();
      return await fn(this.connection.client);
    } catch (err) {
      // Not awaited: the next probe must not wait for a dead connection to wind down.
      void this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }
}

type Probe = (session: ProbeSession) => Promise<void>;

/**
 * The classes a plan can probe: no read of a node's shards when it holds none, no writes without keys,
 * API reads only when asked for.
 */
export function probedClasses(plan: DrillPlan, api = false): ProbeClass[] {
  return PROBE_CLASSES.filter((cls) => {
    if (API_PROBE_CLASSES.includes(cls) && !api) return false;
    if (cls === 'read-failed-node' || cls === 'api-read-failed-node') return plan.failedNodeKey !== undefined;
    if (cls === 'read-healthy-node' || cls === 'api-read-healthy-node') return plan.healthyNodeKey !== undefined;
    if (cls === 'write') return plan.writeKeys.length > 0;
    return true;
  });
}

/** A patient read through the API: 200 with that Patient, within the probe's time bound. */
function apiRead(api: ApiTarget, key: number, where: string, plan: DrillPlan): Probe {
  const id = fhirPatientId(key);
  return async () => {
    let res;
    try {
      res = await fhirGet(`${api.url}/Patient/${encodeURIComponent(id)}`, api.timeoutMs, api.headers);
    } catch (err) {
      throw new Error(`API: ${describeFetchError(err)}`);
    }
    const said = outcomeText(res.body);
    if (res.status === 404 && !plan.keysExist) return; // nothing loaded: an answer is all a probe can ask for
    if (res.status !== 200) throw new Error(`API: HTTP ${res.status}${said ? ` ${said}` : ''} for Patient/${id} (${where})`);
    if ((res.body as { id?: string } | undefined)?.id !== id) throw new Error(`API: Patient/${id} (${where}) came back as another resource`);
  };
}

/** Where the API probes go, with the headers (a token) the lab's API needs. */
interface ApiTarget {
  url: string;
  timeoutMs: number;
  headers?: Readonly<Record<string, string>>;
}

function probesFor(plan: DrillPlan, recorder: ProbeRecorder, api?: ApiTarget): Map<ProbeClass, Probe> {
  const probes = new Map<ProbeClass, Probe>();
  const readKey = (key: number, where: string): Probe => async (session) => {
    const { rowCount } = await session.run((c) => c.query('SELECT documento_id, nombre FROM pacientes WHERE documento_id = $1', [key]));
    if (plan.keysExist && rowCount !== 1) throw new Error(`patient ${key} (${where}) returned ${rowCount ?? 0} rows, expected 1`);
  };
  if (plan.failedNodeKey !== undefined) probes.set('read-failed-node', readKey(plan.failedNodeKey, `shard on ${plan.node}`));
  if (plan.healthyNodeKey !== undefined) probes.set('read-healthy-node', readKey(plan.healthyNodeKey, 'shard on a healthy node'));
  probes.set('multi-shard', async (session) => {
    const { rows } = await session.run((c) => c.query<{ n: string }>('SELECT count(*) AS n FROM pacientes'));
    const n = Number(rows[0]?.n);
    if (n !== plan.patients) throw new Error(`count(*) over every shard returned ${n}, expected ${plan.patients}`);
  });
  if (plan.writeKeys.length > 0) {
    probes.set('write', async (session) => {
      const seq = recorder.writeAttempted();
      const key = plan.writeKeys[seq % plan.writeKeys.length] as number;
      await session.run((c) =>
        c.query(`INSERT INTO ${drillWritesTable()} (documento_id, drill_id, seq) VALUES ($1, $2, $3)`, [key, plan.drillId, seq]),
      );
      // Only an acknowledged commit counts: this is the promise the drill checks afterwards.
      recorder.writeCommitted(seq);
    });
  }
  if (api && plan.failedNodeKey !== undefined) {
    probes.set('api-read-failed-node', apiRead(api, plan.failedNodeKey, `shard on ${plan.node}`, plan));
  }
  if (api && plan.healthyNodeKey !== undefined) {
    probes.set('api-read-healthy-node', apiRead(api, plan.healthyNodeKey, 'shard on a healthy node', plan));
  }
  return probes;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export async function runProbes(env: LabEnvironment, plan: DrillPlan, options: ProbeRunOptions): Promise<ProbeRunSummary> {
  const coordinator = coordinatorOf(env);
  const credentials = await env.credentials();
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  // Through the environment's endpoint like every other SQL path (on Kubernetes the coordinator's host is
  // an in-cluster name; the port-forward is the way in).
  const connect = () =>
    connectNode(env, coordinator, env.spec.database, {
      credentials,
      applicationName: PROBE_APPLICATION_NAME,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      statementTimeoutMs,
      // The client-side bound, should the server itself stop answering.
      queryTimeoutMs: statementTimeoutMs + 500,
    });

  const apiEndpoint = options.api ? await openUnlessUnsupported(env) : undefined;
  const signal = cancellationSignalIfActivity();
  const { recorder, interruptions } = resumeOrStart(probedClasses(plan, apiEndpoint !== undefined));
  const startedAt = recorder.startedAt;
  const probes = probesFor(plan, recorder, apiEndpoint && { url: apiEndpoint.url, timeoutMs: statementTimeoutMs + 500, ...(apiEndpoint.headers ? { headers: apiEndpoint.headers } : {}) });
  let stopped = false;

  const loop = async (cls: ProbeClass, probe: Probe, phase: number) => {
    const session = new ProbeSession(connect);
    let next = startedAt + phase;
    try {
      while (!stopped) {
        await sleep(next - Date.now());
        if (stopped) break;
        const t0 = performance.now();
        let sample: ProbeSample;
        try {
          await probe(session);
          sample = { cls, at: Date.now(), ok: true, latencyMs: performance.now() - t0 };
        } catch (err) {
          sample = { cls, at: Date.now(), ok: false, latencyMs: performance.now() - t0, error: errorMessage(err) };
        }
        // A probe still in flight when the run ended answers after the window the verdict was taken on
        // (a slow count(*) under load timed out after the drill had settled, and failed it). Its write,
        // if it committed, is in the ledger all the same: writeCommitted ran inside the probe.
        if (stopped) break;
        recorder.add(sample);
        // Fixed rate: a probe that overran its slot skips the slots it missed rather than bunching up.
        next += options.cadenceMs;
        const now = Date.now();
        if (next <= now) next += Math.ceil((now - next + 1) / options.cadenceMs) * options.cadenceMs;
      }
    } finally {
      // Awaited: the drill's endpoints (port-forwards on Kubernetes) are all closed when runProbes returns.
      await session.close();
    }
  };

  // Classes take turns within a period, so some probe runs every cadence/N: a finer time to detect.
  const loops = [...probes].map(([cls, probe], i) => loop(cls, probe, Math.floor((i * options.cadenceMs) / probes.size)));
  let endedBy: ProbeRunSummary['endedBy'] = 'max-duration';
  let lastBeat = 0;
  try {
    for (;;) {
      const now = Date.now();
      if (signal?.aborted) break;
      if (recorder.failureSeen() && recorder.settled(now, options.settleMs)) {
        endedBy = 'settled';
        break;
      }
      if (now - startedAt >= options.maxDurationMs) break;
      if (now - lastBeat >= HEARTBEAT_EVERY_MS) {
        lastBeat = now;
        heartbeatIfActivity({
          kind: 'probes',
          at: now,
          recorder: recorder.state(),
          interruptions,
          elapsedMs: now - startedAt,
          ...recorder.totals(),
        } satisfies ProbeCheckpoint);
      }
      await sleep(CHECK_EVERY_MS);
    }
  } finally {
    stopped = true;
    await Promise.all(loops);
    await apiEndpoint?.close();
  }
  if (signal?.aborted) throw signal.reason;
  return {
    startedAt,
    endedAt: Date.now(),
    cadenceMs: options.cadenceMs,
    endedBy,
    classes: recorder.classSummaries(),
    writes: recorder.writeLedger(),
    ...(interruptions.length ? { interruptions } : {}),
  };
}

/**
 * A first attempt starts a new fold. A retry continues the lost attempt's checkpoint, or, when it died
 * before its first one reached the server, starts over from when it was scheduled; either way the span
 * since the last thing known is recorded as an interruption.
 */
function resumeOrStart(probed: ProbeClass[]): { recorder: ProbeRecorder; interruptions: ProbeInterruption[] } {
  const attempt = attemptIfActivity();
  const now = Date.now();
  if (attempt === 1) return { recorder: new ProbeRecorder(now, probed), interruptions: [] };
  const checkpoint = probeCheckpointOf(previousAttemptDetails());
  const lostAt = checkpoint?.at ?? firstScheduledAtIfActivity() ?? now;
  const recorder = checkpoint
    ? ProbeRecorder.resume(checkpoint.recorder, probed, firstSeqOf(attempt))
    : new ProbeRecorder(lostAt, probed, firstSeqOf(attempt));
  return { recorder, interruptions: [...(checkpoint?.interruptions ?? []), { from: lostAt, to: now, attempt }] };
}
