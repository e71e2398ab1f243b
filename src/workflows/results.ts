/** What the lab workflows return: JSON objects the CLI prints and reports embed. */
import type {
  ActiveWorkers,
  CoordinatorHost,
  DatabaseAndExtension,
  LabStatus,
  LoadResult,
  NodeReadiness,
  ReportPaths,
  SchemaResult,
  VerifyReport,
  WorkerRegistration,
} from '../activities/results.js';
import type { StepState } from './progress.js';
import type { RebalanceAndDrainResult } from './rebalance/rebalanceTypes.js';

export interface RegisterWorkersResult {
  cluster: string;
  databases: DatabaseAndExtension[];
  coordinator: CoordinatorHost;
  workers: WorkerRegistration[];
  active: ActiveWorkers;
  /** True when the run found everything in place and changed nothing. */
  unchanged: boolean;
  /** `register-workers --rebalance`: the RebalanceAndDrain child's result. */
  rebalance?: RebalanceAndDrainResult;
  steps: StepState[];
}

export interface VerifyLabResult extends VerifyReport {
  reports: ReportPaths;
  steps: StepState[];
}

export interface DeployLabResult {
  status: 'PASS' | 'FAIL';
  cluster: string;
  env: string;
  durationMs: number;
  readiness: NodeReadiness[];
  registration: RegisterWorkersResult;
  schema: SchemaResult;
  load: LoadResult;
  /** The lab's FHIR API (runs recorded before API_PATCH have none). */
  api?: { url: string; started: boolean; readyAfterMs: number };
  verification: VerifyLabResult;
  reports: ReportPaths;
  steps: StepState[];
}

export interface LabStatusResult extends LabStatus {
  steps: StepState[];
}

export interface CleanupLabResult {
  cluster: string;
  env: string;
  removedData: boolean;
  steps: StepState[];
}
