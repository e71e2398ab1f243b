/**
 * Shapes shared by RebalanceAndDrain, its activities, the CLI and reports. Pure data (no imports at
 * run time), so the workflow sandbox, activities and the CLI can all use it.
 */
import type { LabSpec } from '../../config/labSpec.js';
import type { CheckResult, CheckStatus, ReportPaths } from '../../activities/results.js';
import type { StepState } from '../progress.js';

/** Citus' `citus.shard_transfer_mode`: `auto` and `force_logical` move online, `block_writes` pauses writes per shard group. */
export const TRANSFER_MODES = ['auto', 'force_logical', 'block_writes'] as const;
export type TransferMode = (typeof TRANSFER_MODES)[number];

export type RebalanceOperation = 'rebalance' | 'drain';

export const REBALANCE_DEFAULTS = {
  transferMode: 'auto' as TransferMode,
  /**
   * Shard groups moved at once (Citus background task executors, in total and per node). Four keeps a
   * two-core lab busy without starving it; logical moves mostly wait on replication, not CPU.
   */
  parallelMoves: 4,
  /** A move task that failed this many times is not left to Citus' 30-minute retry schedule. */
  maxTaskFailures: 3,
} as const;

/** `--fix-identity pacientes,notas:documento_id+nota_id`: REPLICA IDENTITY FULL, or a primary key on the columns. */
export interface IdentityFix {
  table: string;
  key?: string[];
}

export interface RebalanceAndDrainInput {
  spec: LabSpec;
  operation: RebalanceOperation;
  /** drain: the worker to empty (`worker-1`). */
  node?: string;
  /** drain: remove the node from Citus' metadata once it holds no shards. */
  remove?: boolean;
  transferMode?: TransferMode;
  /** Preflight only (`--check`): report what would stop the move, change nothing. */
  checkOnly?: boolean;
  fixIdentity?: IdentityFix[];
  parallelMoves?: number;
  /**
   * Tables a workload writes to while shards move: their rows may grow, so the proof checks them for
   * lost rows only (count after >= before) instead of an unchanged checksum.
   */
  writesTo?: string[];
}

export type PreflightProblemKind =
  | 'wal_level'
  | 'replica_identity'
  | 'node_unreachable'
  | 'node_not_registered'
  | 'node_inactive'
  | 'last_worker'
  | 'no_workers'
  | 'rebalance_running';

export interface PreflightProblem {
  kind: PreflightProblemKind;
  /** The node or table at fault. */
  subject: string;
  message: string;
}

export interface SessionMovesRequest {
  operation: RebalanceOperation;
  node?: string;
  transferMode: TransferMode;
}

export interface PreflightRequest {
  operation: RebalanceOperation;
  node?: string;
  transferMode: TransferMode;
  /** drain --remove: a node already gone from Citus' metadata is done, not a problem. */
  remove?: boolean;
  /** Throw the typed error when a check fails (a real run); `--check` wants the report instead. */
  enforce: boolean;
}

export interface PreflightReport {
  status: CheckStatus;
  checks: CheckResult[];
  problems: PreflightProblem[];
  /** Highest background job id when the preflight ran: a job above it was started after (by this run). */
  lastJobId: number;
  /** drain: the target as Citus sees it (absent from metadata = not registered). */
  target?: { node: string; address: string; registered: boolean; active: boolean; shouldHaveShards: boolean };
  /**
   * Whether this Citus moves the shard groups of a co-location group in parallel in a background job
   * (13.2+). When false (12.x) the moves run in a session instead (activities/postgres/sessionMoves.ts).
   * Absent in runs recorded before it existed.
   */
  parallelTransfer?: boolean;
}

export interface IdentityChange {
  table: string;
  /** What was done: `replica identity full`, `primary key (a, b)`, or nothing (it had one). */
  action: 'replica-identity-full' | 'primary-key' | 'none';
  message: string;
}

export interface TableSnapshot {
  table: string;
  kind: 'distributed' | 'reference';
  rows: number;
  /** Sum of a 60-bit md5 prefix of every row's text, as a decimal string: order-independent. */
  checksum: string;
}

export interface NodeSnapshot {
  /** Lab node name (`worker-0`), or `host:port` for a node the lab does not know. */
  node: string;
  address: string;
  isCoordinator: boolean;
  active: boolean;
  shouldHaveShards: boolean;
  /** Placements of hash-distributed shards (reference tables are everywhere by design). */
  placements: number;
}

export interface DataSnapshot {
  takenAt: string;
  tables: TableSnapshot[];
  nodes: NodeSnapshot[];
}

export interface SettingChange {
  name: string;
  from: string;
  to: string;
  /** How it was applied, for the report: `ALTER SYSTEM + pg_reload_conf() on the coordinator`. */
  how: string;
}

export interface JobStartRequest {
  operation: RebalanceOperation;
  transferMode: TransferMode;
  parallelMoves: number;
  /** PreflightReport.lastJobId: jobs above it are this run's (a retried start adopts them). */
  afterJobId: number;
}

export interface JobStart {
  /** null when Citus found nothing to move. */
  jobId: number | null;
  /** True when a retried attempt found the job an earlier attempt had started. */
  adopted: boolean;
  settings: SettingChange[];
  parallelTransfer: boolean;
}

export interface RunningMove {
  shard?: number;
  /** Lab node names (`worker-1`), or the task's command when it is not a move. */
  from?: string;
  to?: string;
  command?: string;
  /** get_rebalance_progress()'s status: `Setting Up`, `Copying Data`, `Catching Up`, `Completing`... */
  phase?: string;
}

export interface JobProgress {
  jobId: number;
  state: string;
  movesDone: number;
  movesTotal: number;
  /** Other tasks (reference table copies) count here, not as moves. */
  tasksDone: number;
  tasksTotal: number;
  /** Moves running now; other running tasks (reference table copies) have no shard. */
  running: RunningMove[];
  bytesDone: number;
  bytesTotal: number;
  /** The latest task error Citus recorded (it retries failed tasks itself). */
  lastError?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Monotonic per follow attempt, so a late signal never overwrites a newer one. */
  seq: number;
  observedAt: string;
}

export interface DrainState {
  node: string;
  address: string;
  registered: boolean;
  shouldHaveShards: boolean;
  placements: number;
}

export interface NodeRemoval {
  node: string;
  removed: boolean;
  message: string;
}

export interface ProofLine {
  table: string;
  rowsBefore: number;
  rowsAfter: number;
  checksumBefore: string;
  checksumAfter: string;
  /** `unchanged`; `grew` (a declared write target); `changed`, `lost rows`, `missing` are failures. */
  verdict: 'unchanged' | 'grew' | 'changed' | 'lost rows' | 'missing' | 'new';
  ok: boolean;
}

export interface DataProof {
  ok: boolean;
  tables: ProofLine[];
  placementsBefore: Record<string, number>;
  placementsAfter: Record<string, number>;
}

export interface RebalanceJobSummary {
  jobId: number | null;
  /** The moves ran in the run's own session (citus_drain_node / rebalance_table_shards), not a background job. */
  session?: boolean;
  adopted: boolean;
  parallelMoves: number;
  parallelTransfer: boolean;
  settings: SettingChange[];
  progress?: JobProgress;
}

export interface RebalanceAndDrainResult {
  status: CheckStatus;
  cluster: string;
  env: string;
  operation: RebalanceOperation;
  node?: string;
  transferMode: TransferMode;
  checkOnly: boolean;
  preflight: PreflightReport;
  identityChanges: IdentityChange[];
  job?: RebalanceJobSummary;
  proof?: DataProof;
  /** drain: where the node stands afterwards (the flag a re-run continues from). */
  drain?: DrainState & { removed: boolean };
  /** Why the status is FAIL, one sentence each. */
  problems: string[];
  durationMs: number;
  reports?: ReportPaths;
  steps: StepState[];
}
