/**
 * Workflow inputs and the naming rules clients use to start them. Pure data, safe in the sandbox.
 */
import type { LabSpec } from '../config/labSpec.js';
import type { TransferMode } from './rebalance/rebalanceTypes.js';

/**
 * The one task queue every run used before queues were per lab; runs started then still live on it,
 * so the standalone worker keeps polling it (src/worker.ts).
 */
export const TASK_QUEUE = 'citus-lab';

/**
 * Each lab's own task queue (`citus-lab-<env>-<cluster>`): the CLI starts a lab's runs on it and its
 * in-process worker polls only it, so a CLI never runs (and never waits for) another lab's activities.
 * Child workflows and activities inherit their parent's queue.
 */
export function labTaskQueue(spec: Pick<LabSpec, 'env' | 'cluster'>): string {
  return `${TASK_QUEUE}-${spec.env}-${spec.cluster}`;
}

export interface LabInput {
  spec: LabSpec;
}

export interface DeployLabInput extends LabInput {
  /** How long to wait for every node to accept connections. */
  readyTimeoutSeconds?: number;
}

export interface RegisterWorkersInput extends LabInput {
  /** `register-workers --rebalance`: spread the shards over every worker afterwards (a RebalanceAndDrain child). */
  rebalance?: { transferMode?: TransferMode };
}

export interface CleanupInput extends LabInput {
  /** Also delete data directories and secrets (`cleanup --volumes`). */
  removeData: boolean;
}

/** One id per cluster and operation: starting the same command again attaches to the open run. */
export type LabOperation =
  | 'deploy'
  | 'register-workers'
  | 'verify'
  | 'status'
  | 'cleanup'
  | `test-${'basic' | 'complete' | 'all'}`
  // One id per drilled node: the same command attaches to its own run, another node's drill meets the lock.
  | `ha-drill-${string}`
  | 'rebalance'
  // One id per drained node, for the same reason; `--check` runs get their own ids so they never attach to a move.
  | `drain-${string}`
  | 'rebalance-check'
  | `drain-${string}-check`
  // One failover or switchover per group at a time (WatchLab and the CLI share the id); one watch per lab.
  | `failover-${string}`
  | `switchover-${string}`
  | 'watch';

export function labWorkflowId(spec: Pick<LabSpec, 'env' | 'cluster'>, operation: LabOperation): string {
  return `citus-lab-${spec.env}-${spec.cluster}-${operation}`;
}
