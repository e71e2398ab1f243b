/**
 * The lab's last deploy, HA drill, drain and rebalance runs, as the Temporal server lists them, each
 * with its link into the Temporal Web UI. The API process connects to Temporal only when asked, and
 * a server that does not answer is reported, never fatal: the clinical API does not depend on it.
 */
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import type { EnvironmentName } from '../../config/labSpec.js';
import { DEFAULT_NAMESPACE, defaultTemporalAddress, uiBaseUrl, workflowUiUrl } from '../../temporal/embedded.js';

export type RunKind = 'deploy' | 'drill' | 'drain' | 'rebalance';

export interface LabRun {
  readonly kind: RunKind;
  readonly workflowId: string;
  readonly runId: string;
  readonly status: string;
  readonly startTime?: string;
  readonly closeTime?: string;
  readonly url: string;
}

export interface LabRuns {
  readonly temporal: { readonly reachable: boolean; readonly address: string; readonly uiUrl: string; readonly message?: string };
  readonly runs: readonly LabRun[];
}

export interface LabRunsOptions {
  readonly env: EnvironmentName;
  readonly cluster: string;
  /** TEMPORAL_ADDRESS, or the lab's embedded default (CITUS_LAB_TEMPORAL_PORT). */
  readonly address?: string;
  readonly namespace?: string;
  readonly environment?: NodeJS.ProcessEnv;
}

const WORKFLOW_TYPES: Readonly<Record<string, (workflowId: string) => RunKind>> = {
  deployLab: () => 'deploy',
  haDrill: () => 'drill',
  rebalanceAndDrain: (id) => (/-drain-/.test(id) ? 'drain' : 'rebalance'),
};
const KINDS: readonly RunKind[] = ['deploy', 'drill', 'drain', 'rebalance'];
/** How many recent runs to look through for the last of each kind. */
const SCAN_LIMIT = 200;
const CONNECT_TIMEOUT_MS = 2_000;

function kindOf(info: WorkflowExecutionInfo): RunKind | undefined {
  return WORKFLOW_TYPES[info.type]?.(info.workflowId);
}

function statusText(info: WorkflowExecutionInfo): string {
  return info.status.name.toLowerCase().replace(/_/g, ' ');
}

/** A list query for one lab; env and cluster are validated names (labSpec), quoted anyway. */
export function labRunsQuery(env: string, cluster: string): string {
  const q = (s: string) => `'${s.replace(/'/g, "\\'")}'`;
  const types = Object.keys(WORKFLOW_TYPES).map(q).join(', ');
  return `CitusLabEnv = ${q(env)} AND CitusLabCluster = ${q(cluster)} AND WorkflowType IN (${types})`;
}

export class LabRunsReader {
  private connection: Promise<Connection> | undefined;

  constructor(private readonly options: LabRunsOptions) {}

  async read(): Promise<LabRuns> {
    const env = this.options.environment ?? process.env;
    const address = this.options.address ?? env.TEMPORAL_ADDRESS ?? defaultTemporalAddress(env);
    const namespace = this.options.namespace ?? env.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE;
    const temporal = { address, uiUrl: uiBaseUrl(env) };
    let client: Client;
    try {
      client = new Client({ connection: await this.connect(address), namespace });
    } catch (err) {
      this.connection = undefined;
      return { temporal: { ...temporal, reachable: false, message: `no Temporal server answers at ${address} (${err instanceof Error ? err.message : String(err)})` }, runs: [] };
    }
    const last = new Map<RunKind, LabRun>();
    try {
      let seen = 0;
      for await (const info of client.workflow.list({ query: labRunsQuery(this.options.env, this.options.cluster) })) {
        const kind = kindOf(info);
        if (kind && !last.has(kind)) {
          last.set(kind, {
            kind,
            workflowId: info.workflowId,
            runId: info.runId,
            status: statusText(info),
            startTime: info.startTime.toISOString(),
            ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
            url: workflowUiUrl(namespace, info.workflowId, info.runId, env),
          });
        }
        if (last.size === KINDS.length || ++seen >= SCAN_LIMIT) break;
      }
    } catch (err) {
      return { temporal: { ...temporal, reachable: false, message: `Temporal at ${address} could not list runs: ${err instanceof Error ? err.message : String(err)}` }, runs: [] };
    }
    return { temporal: { ...temporal, reachable: true }, runs: KINDS.flatMap((k) => last.get(k) ?? []) };
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await (await connection.catch(() => undefined))?.close();
  }

  private connect(address: string): Promise<Connection> {
    this.connection ??= Connection.connect({ address, connectTimeout: CONNECT_TIMEOUT_MS });
    return this.connection;
  }
}
