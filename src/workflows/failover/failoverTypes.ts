/** Inputs and results of FailoverNode, SwitchoverNode and WatchLab. Pure data, safe in the sandbox. */
import type { FailoverPlan, NodeUpdate, SwitchoverOutcome } from '../../activities/failover/failoverTypes.js';
import type { ReportPaths } from '../../activities/results.js';
import type { RebuildResult } from '../../environments/haControl.js';
import type { LabInput } from '../inputs.js';
import type { StepState } from '../progress.js';

export interface FailoverNodeInput extends LabInput {
  /** The group to fail over: `worker-0`, ... */
  node: string;
  /** Why: a person (`failover` command) or WatchLab's detection, kept in history and the report. */
  reason?: string;
  /** A standby to promote; default: the most advanced one. */
  target?: string;
  /** WatchLab's plan from its last probe round (failover-takeover-v1): used instead of a plan activity. */
  plan?: FailoverPlan;
}

export interface FailoverNodeResult {
  status: 'PASS' | 'FAIL';
  cluster: string;
  node: string;
  reason: string;
  plan: FailoverPlan;
  fencedAt: number;
  promotedAt: number;
  nodeUpdate: NodeUpdate;
  /** Absent when the rebuild failed: the group serves from its new primary without a standby. */
  rebuild?: RebuildResult;
  rebuildError?: string;
  /** From the first step to the coordinator's commit of the new address. */
  writesBackAfterMs: number;
  reports: ReportPaths;
  steps: StepState[];
}

export interface SwitchoverNodeInput extends LabInput {
  node: string;
  target?: string;
}

export interface SwitchoverNodeResult {
  status: 'PASS' | 'FAIL';
  cluster: string;
  node: string;
  switchover: SwitchoverOutcome;
  rebuild?: RebuildResult;
  rebuildError?: string;
  reports: ReportPaths;
  steps: StepState[];
}

export interface WatchLabOptions {
  intervalMs?: number;
  failures?: number;
  frozenGraceMs?: number;
  restartGraceMs?: number;
  /** Length of one watch activity; the workflow continues as new every few of them. */
  watchSeconds?: number;
}

export interface WatchedFailover {
  group: string;
  reason: string;
  detectedAt: number;
  workflowId: string;
  /** `started`, or `already-running` when a failover of the group was in progress. */
  action: 'started' | 'already-running';
}

export interface WatchLabInput extends LabInput {
  options?: WatchLabOptions;
  /** Carried over continueAsNew: the failovers this watch started, newest last (bounded). */
  failovers?: WatchedFailover[];
}

export interface WatchLabResult {
  cluster: string;
  ended: 'lab stopped';
  failovers: WatchedFailover[];
}
