/**
 * What activities return. Plain JSON-serialisable shapes: they travel through Temporal history and
 * end up in reports, so no class instances, no Dates (ISO strings instead), no bigint.
 */
import type { ApiStartResult, ApiState, ProvisionResult, StartResult, NodeState } from '../environments/labEnvironment.js';
import type { GroupReplication } from './failover/failoverTypes.js';

export type { ApiStartResult, ApiState, ProvisionResult, StartResult, NodeState };

export interface ApiReadiness {
  readonly url: string;
  readonly readyAfterMs: number;
}

export interface NodeReadiness {
  readonly node: string;
  readonly readyAfterMs: number;
  readonly serverVersion: string;
}

export interface DatabaseAndExtension {
  readonly node: string;
  readonly databaseCreated: boolean;
  readonly extensionCreated: boolean;
  readonly citusVersion: string;
}

export interface CoordinatorHost {
  readonly host: string;
  readonly port: number;
  readonly changed: boolean;
}

export interface WorkerRegistration {
  readonly node: string;
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  /** `added`: new in metadata; `existing`: already active, nothing changed; `reactivated`: was disabled. */
  readonly action: 'added' | 'existing' | 'reactivated';
}

export interface ActiveWorkers {
  /** `host:port` of every worker that should be active, sorted. */
  readonly expected: string[];
  /** `host:port` of every worker Citus reports active, sorted. */
  readonly active: string[];
}

export interface SchemaResult {
  readonly created: string[];
  readonly existing: string[];
}

export interface LoadResult {
  /** True when the tables already held the requested data set and nothing was written. */
  readonly skipped: boolean;
  readonly rows: Record<string, number>;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

export type CheckStatus = 'PASS' | 'FAIL';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly message: string;
  readonly durationMs: number;
}

export interface VerifyReport {
  readonly cluster: string;
  readonly env: string;
  readonly status: CheckStatus;
  readonly checks: CheckResult[];
  /** Shard placements per worker (`host:port` -> count). */
  readonly shardsPerWorker: Record<string, number>;
  readonly generatedAt: string;
}

export interface ReportInput {
  /** Short kind used in file names: `deploy`, `verify`, ... */
  readonly kind: string;
  readonly title: string;
  readonly status: CheckStatus;
  /** Key facts shown as a table at the top of the Markdown report. */
  readonly summary: Record<string, string | number | boolean>;
  readonly checks?: CheckResult[];
  readonly steps?: ReadonlyArray<{ name: string; status: string; durationMs?: number; detail?: string }>;
  /** Everything else; lands verbatim in the JSON report. */
  readonly data?: unknown;
}

export interface ReportPaths {
  readonly json: string;
  readonly markdown: string;
}

export interface LabStatus {
  readonly cluster: string;
  readonly env: string;
  readonly nodes: NodeState[];
  /** Worker nodes as Citus sees them; empty when the coordinator cannot be reached. */
  readonly citusWorkers: Array<{ host: string; port: number; active: boolean; shouldHaveShards: boolean }>;
  readonly coordinatorReachable: boolean;
  readonly message: string;
  /** The lab's FHIR API: where it is and whether `/ready` answers (absent from results of older workers). */
  readonly api?: ApiState & { readonly ready: boolean };
  /** Labs with standbys: each group's primary, standbys, lag and sync state. */
  readonly replication?: GroupReplication[];
}
