/**
 * What the HA drill's activities exchange with the HaDrill workflow. Plain JSON (they travel through
 * Temporal history): times are epoch milliseconds from the worker's clock, so the fault and the probes
 * it disturbs are measured on one time line.
 */
import type { FaultKind } from '../../../environments/labEnvironment.js';

/**
 * What each probe asks of the cluster, every `cadenceMs`: SQL through the coordinator, and (drills
 * with `api`) the same two patient reads through the lab's FHIR API, i.e. what an application sees.
 */
export const PROBE_CLASSES = [
  'read-failed-node',
  'read-healthy-node',
  'multi-shard',
  'write',
  'api-read-failed-node',
  'api-read-healthy-node',
] as const;
export type ProbeClass = (typeof PROBE_CLASSES)[number];
export const API_PROBE_CLASSES: readonly ProbeClass[] = ['api-read-failed-node', 'api-read-healthy-node'];

export interface DrillPlan {
  /** Unique per drill (the workflow run id): the drill's rows in ha_drill_writes carry it. */
  readonly drillId: string;
  /** The node the fault hits. */
  readonly node: string;
  /** A documento_id whose shard is on the failed node (router reads); absent when it holds no shards. */
  readonly failedNodeKey?: number;
  /** A documento_id whose shard is on another worker; absent when there is none. */
  readonly healthyNodeKey?: number;
  /** documento_ids the writes rotate over: on the failed node's shards when it has any. */
  readonly writeKeys: number[];
  /** The keys are existing patients, so a read must return its row. */
  readonly keysExist: boolean;
  /** pacientes rows at baseline: the multi-shard probe must count exactly these. */
  readonly patients: number;
}

export interface TableFingerprint {
  readonly table: string;
  readonly rows: number;
  /** Sum of a 60-bit hash of every row's text: the same whatever order the shards answer in. */
  readonly checksum: string;
}

export interface ClusterFingerprint {
  readonly tables: TableFingerprint[];
  /** Shard placements per node (`host:port` -> count), all Citus tables. */
  readonly placements: Record<string, number>;
  /** md5 of the sorted (shard, node) list: any shard move changes it. */
  readonly placementDigest: string;
}

export interface DrillBaseline extends ClusterFingerprint {
  readonly takenAt: string;
  readonly plan: DrillPlan;
}

export interface DrillReadiness {
  readonly node: string;
  readonly role: 'coordinator' | 'worker';
  readonly nodes: number;
}

export interface FaultInjected {
  readonly node: string;
  /** Right before the kill. */
  readonly injectedAt: number;
  /** `kill` unless the drill asked for `destroy` or `partition`. */
  readonly fault?: FaultKind;
  /** Labs with standbys: the group member that was primary when the fault hit, and its address in Citus. */
  readonly member?: string;
  readonly address?: string;
}

export interface NodeRecovery {
  readonly node: string;
  /** The node answered `SELECT 1` again. */
  readonly acceptingAt: number;
  /** A multi-shard query through the coordinator succeeded again. */
  readonly distributedOkAt: number;
  /**
   * Set when the worker watching the node was lost and a retry found it recovered: per time, the span
   * nobody watched, from the lost attempt's last checkpoint to the retry's first look (which is the
   * time reported above). The real moment lies within it.
   */
  readonly unobserved?: { readonly acceptingAt?: UnobservedSpan; readonly distributedOkAt?: UnobservedSpan };
}

export interface UnobservedSpan {
  readonly from: number;
  readonly to: number;
}

/** What awaitNodeRecovery heartbeats each poll: a retry after a lost worker resumes from it. */
export interface RecoveryCheckpoint {
  readonly kind: 'recovery';
  readonly node: string;
  readonly startedAt: number;
  /** When this checkpoint was taken: the node was last seen in this state then. */
  readonly at: number;
  readonly acceptingAt?: number;
  readonly unobserved?: NodeRecovery['unobserved'];
}

export interface ProbeRunOptions {
  readonly cadenceMs: number;
  /** Once a failure was seen, stop when every class has been healthy this long. */
  readonly settleMs: number;
  /** Stop regardless after this long (no failure seen, or no recovery). */
  readonly maxDurationMs: number;
  readonly connectTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  /** Also probe through the lab's FHIR API (`GET /Patient/{id}` of the same two patients). */
  readonly api?: boolean;
}

/** Consecutive probes of one class with the same outcome. */
export interface OutcomeRun {
  readonly ok: boolean;
  /** When the first and the last probe of the run finished. */
  readonly from: number;
  readonly to: number;
  readonly count: number;
  /** The first error of a failing run. */
  readonly error?: string;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface ProbeClassSummary {
  readonly cls: ProbeClass;
  readonly probes: number;
  readonly ok: number;
  readonly failed: number;
  readonly runs: OutcomeRun[];
  /** Of successful probes; undefined when none succeeded. */
  readonly latencyMs?: LatencySummary;
  /** Distinct error messages (first line) and how often each came. */
  readonly errors: Record<string, number>;
  /** [ok, failed] per second since the probes started. */
  readonly perSecond: Array<[number, number]>;
}

export interface WriteLedger {
  readonly attempted: number;
  readonly committed: number;
  /** Sequence numbers of acknowledged commits, as inclusive ranges. */
  readonly committedRanges: Array<[number, number]>;
}

/**
 * A span with no probes: the worker running them was lost at its last checkpoint (`from`) and a retry
 * (`attempt`) resumed them at `to`. Outcomes inside it are unknown, so a class that failed before it and
 * succeeded after it came back somewhere within it; writes acknowledged to the lost attempt after its
 * checkpoint are not in the ledger (if present, they count as unacknowledged).
 */
export interface ProbeInterruption {
  readonly from: number;
  readonly to: number;
  readonly attempt: number;
}

export interface ProbeRunSummary {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly cadenceMs: number;
  readonly endedBy: 'settled' | 'max-duration';
  readonly classes: ProbeClassSummary[];
  readonly writes: WriteLedger;
  /** Present when a retry resumed the probes after a lost worker. */
  readonly interruptions?: ProbeInterruption[];
}

export interface DrillAfterCheck extends ClusterFingerprint {
  readonly writes: {
    readonly committed: number;
    /** Rows of this drill found in ha_drill_writes. */
    readonly present: number;
    readonly lost: number;
    /** The first few lost sequence numbers. */
    readonly lostSample: number[];
    /** Present although never acknowledged (the commit raced the fault): allowed, reported. */
    readonly unacknowledgedPresent: number;
  };
}
