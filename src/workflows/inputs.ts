/**
 * Workflow inputs and the naming rules clients use to start them. Pure data, safe in the sandbox.
 */
import type { LabSpec } from '../config/labSpec.js';

export const TASK_QUEUE = 'citus-lab';

export interface LabInput {
  spec: LabSpec;
}

export interface DeployLabInput extends LabInput {
  /** How long to wait for every node to accept connections. */
  readyTimeoutSeconds?: number;
}

export interface CleanupInput extends LabInput {
  /** Also delete data directories and secrets (`cleanup --volumes`). */
  removeData: boolean;
}

/** One id per cluster and operation: starting the same command again attaches to the open run. */
export type LabOperation = 'deploy' | 'register-workers' | 'verify' | 'status' | 'cleanup';

export function labWorkflowId(spec: Pick<LabSpec, 'env' | 'cluster'>, operation: LabOperation): string {
  return `citus-lab-${spec.env}-${spec.cluster}-${operation}`;
}
