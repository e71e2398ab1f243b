import type { EnvironmentName, LabSpec } from '../config/labSpec.js';
import type { HaControl } from './haControl.js';

/**
 * The only place a platform shows through. Activities talk to a cluster through this interface, so
 * workflows never branch on where the cluster runs. Every method is idempotent: observe, then converge.
 */
export type NodeRole = 'coordinator' | 'worker';

export interface LabNode {
  /** Stable name: `coordinator`, `worker-0`, `worker-1`, ... */
  readonly name: string;
  readonly role: NodeRole;
  /** Where this tool connects to run SQL. */
  readonly host: string;
  readonly port: number;
  /** Where the other nodes reach it: what goes into Citus metadata (never `localhost`). */
  readonly clusterHost: string;
  readonly clusterPort: number;
}

export interface NodeState {
  readonly name: string;
  readonly running: boolean;
  readonly pid?: number;
  readonly detail?: string;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface ProvisionResult {
  /** Nodes created by this call; nodes that already existed are left untouched. */
  readonly created: string[];
  readonly existing: string[];
}

export interface StartResult {
  readonly started: string[];
  readonly alreadyRunning: string[];
}

export type ProgressReporter = (detail: string) => void;

/** A route from this process to one node's SQL port, open until `close()`. */
export interface SqlEndpoint {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The lab's FHIR API as this process reaches it, open until `close()` (a port-forward on Kubernetes). */
export interface ApiEndpoint {
  /** Base URL, e.g. `http://127.0.0.1:15532`. */
  readonly url: string;
  /** Sent with every request the lab makes to its API (a bearer token: the API requires one). */
  readonly headers?: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export interface ApiStartResult {
  /** Where users reach the API (what deploy and status print). */
  readonly url: string;
  /** False when it already ran. */
  readonly started: boolean;
  readonly detail?: string;
}

export interface ApiState {
  readonly url: string;
  readonly running: boolean;
  readonly pid?: number;
  readonly detail?: string;
}

export interface LabEnvironment {
  readonly kind: EnvironmentName;
  readonly spec: LabSpec;
  /** Checks the platform can host the lab at all (binaries, extension, ports, data dir). Throws LabError. */
  preflight(): Promise<void>;
  /** Creates what nodes need before they start (data directories, secrets). */
  provision(progress?: ProgressReporter): Promise<ProvisionResult>;
  /** Starts every node that is not running; running nodes are left alone. */
  startNodes(progress?: ProgressReporter): Promise<StartResult>;
  stopNodes(): Promise<void>;
  nodes(): LabNode[];
  /**
   * Opens a route to a node's SQL port when `host`/`port` cannot be reached directly from this process
   * (Kubernetes: a port-forward through the API server). Environments without it are reached at `host`/`port`.
   */
  openSqlEndpoint?(node: LabNode): Promise<SqlEndpoint>;
  credentials(): Promise<Credentials>;
  status(): Promise<NodeState[]>;
  /**
   * Starts the lab's FHIR API (src/api, its own process or container) unless it runs, under the same
   * restart policy as the nodes. Resolves once the process is up; readiness (`/ready`) is the caller's to wait for.
   */
  startApi(progress?: ProgressReporter): Promise<ApiStartResult>;
  /** Where the API is reached from this process; close it when done. */
  openApiEndpoint(): Promise<ApiEndpoint>;
  apiState(): Promise<ApiState>;
  /** Kills a node the hard way (the HA drill's fault); environments without `destroy`/`partition` refuse them. */
  injectFault(nodeName: string, fault?: FaultKind): Promise<void>;
  /** Ends a `partition` fault, where the platform can. */
  healFault?(nodeName: string): Promise<void>;
  /** Standbys, fencing and promotion, where the platform has them (local); see haControl.ts. */
  readonly ha?: HaControl;
  /** Stops everything; removes data only when asked. */
  teardown(options: { removeData: boolean }): Promise<void>;
}

/** kill: the process dies and may restart; destroy: its data is gone too; partition: it lives but answers nothing. */
export const FAULT_KINDS = ['kill', 'destroy', 'partition'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export function nodeNames(spec: Pick<LabSpec, 'workers'>): string[] {
  return ['coordinator', ...Array.from({ length: spec.workers }, (_, i) => `worker-${i}`)];
}
