import { proxyActivities } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import { SQL_STEP } from './activityOptions.js';
import type { LabInput } from './inputs.js';
import type { LabStatusResult } from './results.js';
import { StepRunner } from './stepRunner.js';

const sql = proxyActivities<LabActivities>(SQL_STEP);

/** Reads the lab's state (processes and Citus metadata); changes nothing. */
export async function labStatus({ spec }: LabInput): Promise<LabStatusResult> {
  const steps = new StepRunner('LabStatus', spec.cluster, ['collect']);
  const status = await steps.run('collect', () => sql.collectStatus(spec), (r) => r.message);
  return { ...status, steps: steps.steps() };
}
