/**
 * Step bookkeeping shared by every workflow: a query returns it, the CLI renders it, reports list it.
 * Deterministic code only (runs inside the workflow sandbox).
 */
import { defineQuery } from '@temporalio/workflow';

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepState {
  name: string;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  detail?: string;
}

export interface Progress {
  workflow: string;
  cluster: string;
  steps: StepState[];
  current?: string;
  startedAt: string;
}

export const progressQuery = defineQuery<Progress>('progress');
