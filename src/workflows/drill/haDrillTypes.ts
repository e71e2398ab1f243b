/**
 * Inputs and results of the HaDrill and LabTestSuite workflows, and the ids their runs and schedules
 * use. Pure data, safe in the workflow sandbox and in the CLI.
 */
import type { LabSpec } from '../../config/labSpec.js';
import type { CheckResult, ReportPaths } from '../../activities/results.js';
import type { DrillAfterCheck, NodeRecovery, ProbeRunSummary } from '../../activities/postgres/drill/drillTypes.js';
import type { DrillMetrics } from './drillReport.js';
import type { StepState } from '../progress.js';
import type { GroupRecovery } from '../../activities/failover/drillFaults.js';
import type { FaultKind } from '../../environments/labEnvironment.js';

export interface HaDrillInput {
  spec: LabSpec;
  /** The node to kill: `worker-0`, ... (the coordinator only with allowCoordinator). */
  node: string;
  allowCoordinator?: boolean;
  /** Probe period per class (default 100 ms). */
  cadenceMs?: number;
  /** How long every probe class must stay healthy after the outage before the drill ends (default 3 s). */
  settleSeconds?: number;
  /** How long the platform gets to bring the node back (default 60 s). */
  recoveryTimeoutSeconds?: number;
  /** kill (default): the process dies; destroy: its data directory too; partition: it stops answering (local). */
  fault?: FaultKind;
  /** Fail the drill unless this recovered the group: a restart of the same node, or a failover to a standby. */
  expect?: 'restart' | 'failover';
}

export const DRILL_DEFAULTS = {
  cadenceMs: 100,
  settleSeconds: 3,
  recoveryTimeoutSeconds: 60,
  /** Probes run this long before the fault, so the report shows the cluster healthy first. */
  warmupMs: 1_000,
} as const;

export interface HaDrillResult {
  status: 'PASS' | 'FAIL';
  cluster: string;
  env: string;
  node: string;
  drillId: string;
  /** ISO time of the kill. */
  faultAt: string;
  metrics: DrillMetrics;
  checks: CheckResult[];
  recovery?: NodeRecovery;
  /** With --fault/--expect: what brought the group back. */
  recoveredBy?: GroupRecovery;
  probes?: ProbeRunSummary;
  after?: DrillAfterCheck;
  /** Problems that kept a part of the drill from running (recovery timed out, probes failed...). */
  problems: string[];
  /** Spans a lost worker left unmeasured (a retry resumed the measurement); absent when there were none. */
  measurementGaps?: string[];
  durationMs: number;
  reports: ReportPaths;
  steps: StepState[];
}

export const SUITES = ['basic', 'complete', 'all'] as const;
export type SuiteName = (typeof SUITES)[number];

export interface LabTestSuiteInput {
  spec: LabSpec;
  suite: SuiteName;
  /** The node `all` drills (default worker-0, as the seed's test deleted citus-worker-0). */
  drillNode?: string;
  cadenceMs?: number;
}

/** The seed's `run_tests.sh complete`: 1000 patients (3 observations each, so 3000 observations). */
export const SUITE_PATIENTS = 1000;

export interface LabTestSuiteResult {
  status: 'PASS' | 'FAIL';
  suite: SuiteName;
  cluster: string;
  env: string;
  /** The database the complete suite loads and queries (the lab's own data is left alone). */
  suiteDatabase?: string;
  checks: CheckResult[];
  passed: number;
  total: number;
  drill?: Pick<HaDrillResult, 'status' | 'node' | 'metrics' | 'reports'>;
  durationMs: number;
  reports: ReportPaths;
  steps: StepState[];
}

/** The complete suite's own database: `<database>_suite`, so a lab's data is never touched by tests. */
export function suiteDatabase(database: string): string {
  const suffix = '_suite';
  return `${database.slice(0, 63 - suffix.length)}${suffix}`;
}

/** Workflow id of a drill started from the CLI: one per node, so the same command attaches to its run. */
export function haDrillOperation(node: string): `ha-drill-${string}` {
  return `ha-drill-${node}`;
}

/** Scheduled drills get their own id family, so the cluster lock keeps them apart from manual runs. */
export function scheduledDrillWorkflowId(spec: Pick<LabSpec, 'env' | 'cluster'>, node: string): string {
  return `citus-lab-${spec.env}-${spec.cluster}-scheduled-ha-drill-${node}`;
}

export function drillScheduleId(spec: Pick<LabSpec, 'env' | 'cluster'>, node: string): string {
  return `citus-lab-${spec.env}-${spec.cluster}-ha-drill-${node}`;
}
