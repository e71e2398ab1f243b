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
  const env = async (spec: LabSpec) => deps.environmentFor(spec);
  return {
    async waitForNodes(spec: LabSpec, options: { timeoutSeconds: number }): Promise<NodeReadiness[]> {
      return waitForNodes(await env(spec), options);
    },
    async ensureDatabaseAndExtension(spec: LabSpec, nodeName: string): Promise<DatabaseAndExtension> {
      return ensureDatabaseAndExtension(await env(spec), nodeName);
    },
    async setCoordinatorHost(spec: LabSpec): Promise<CoordinatorHost> {
      return setCoordinatorHost(await env(spec));
    },
    async registerWorker(spec: LabSpec, nodeName: string): Promise<WorkerRegistration> {
      return registerWorker(await env(spec), nodeName);
    },
    async checkActiveWorkers(spec: LabSpec): Promise<ActiveWorkers> {
      return checkActiveWorkers(await env(spec));
    },
    async applySchema(spec: LabSpec): Promise<SchemaResult> {
      return applySchema(await env(spec));
    },
    async loadSampleData(spec: LabSpec): Promise<LoadResult> {
      return loadSampleData(await env(spec));
    },
    async runVerification(spec: LabSpec): Promise<VerifyReport> {
      return runVerification(await env(spec));
    },
    async collectStatus(spec: LabSpec): Promise<LabStatus> {
      return collectStatus(await env(spec));
    },
  };
}
