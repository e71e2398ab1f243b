/** The PostgreSQL/Citus activities: each resolves the lab's environment and delegates to its module. */
import type { LabSpec } from '../../config/labSpec.js';
import type { ActivityDeps } from '../index.js';
import type {
  ActiveWorkers,
  CoordinatorHost,
  DatabaseAndExtension,
  LabStatus,
  LoadResult,
  NodeReadiness,
  SchemaResult,
  VerifyReport,
  WorkerRegistration,
} from '../results.js';
import { ensureDatabaseAndExtension } from './databaseAndExtension.js';
import { waitForNodes } from './readiness.js';
import { checkActiveWorkers, registerWorker, setCoordinatorHost } from './registerWorkers.js';
import { loadSampleData } from './sampleData.js';
import { applySchema } from './schema.js';
import { collectStatus } from './status.js';
import { runVerification } from './verify.js';

export function createPostgresActivities(deps: ActivityDeps) {
  const env = (spec: LabSpec) => deps.environmentFor(spec);
  return {
    async waitForNodes(spec: LabSpec, options: { timeoutSeconds: number }): Promise<NodeReadiness[]> {
      return waitForNodes(env(spec), options);
    },
    async ensureDatabaseAndExtension(spec: LabSpec, nodeName: string): Promise<DatabaseAndExtension> {
      return ensureDatabaseAndExtension(env(spec), nodeName);
    },
    async setCoordinatorHost(spec: LabSpec): Promise<CoordinatorHost> {
      return setCoordinatorHost(env(spec));
    },
    async registerWorker(spec: LabSpec, nodeName: string): Promise<WorkerRegistration> {
      return registerWorker(env(spec), nodeName);
    },
    async checkActiveWorkers(spec: LabSpec): Promise<ActiveWorkers> {
      return checkActiveWorkers(env(spec));
    },
    async applySchema(spec: LabSpec): Promise<SchemaResult> {
      return applySchema(env(spec));
    },
    async loadSampleData(spec: LabSpec): Promise<LoadResult> {
      return loadSampleData(env(spec));
    },
    async runVerification(spec: LabSpec): Promise<VerifyReport> {
      return runVerification(env(spec));
    },
    async collectStatus(spec: LabSpec): Promise<LabStatus> {
      return collectStatus(env(spec));
    },
  };
}
