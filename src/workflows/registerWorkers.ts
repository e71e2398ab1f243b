import { patched, proxyActivities } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import { nodeNames } from '../environments/labEnvironment.js';
import { SQL_STEP } from './activityOptions.js';
import { CLUSTER_LOCK_PATCH } from './patches.js';
import type { LabInput } from './inputs.js';
import type { RegisterWorkersResult } from './results.js';
import { StepRunner } from './stepRunner.js';

const sql = proxyActivities<LabActivities>(SQL_STEP);

/**
 * Makes Citus' metadata match the spec: database and extension everywhere, the coordinator's own
 * address, every worker added (or re-activated), then proof that the active set is the desired one.
 * Each activity observes before it changes anything, so a second run changes nothing.
 */
export async function registerWorkers({ spec }: LabInput): Promise<RegisterWorkersResult> {
  const steps = new StepRunner('RegisterWorkers', spec.cluster, [
    'ensure-database',
    'coordinator-host',
    'add-workers',
    'check-active-workers',
  ]);
  if (patched(CLUSTER_LOCK_PATCH)) await sql.assertClusterIdle(spec, 'register-workers');
  const nodes = nodeNames(spec);
  const workerNodes = nodes.filter((n) => n !== 'coordinator');

  const databases = await steps.run(
    'ensure-database',
    () => Promise.all(nodes.map((node) => sql.ensureDatabaseAndExtension(spec, node))),
    (r) => `${r.filter((d) => d.databaseCreated || d.extensionCreated).length}/${r.length} nodes changed`,
  );
  const coordinator = await steps.run(
    'coordinator-host',
    () => sql.setCoordinatorHost(spec),
    (r) => `${r.host}:${r.port}${r.changed ? ' (set)' : ' (unchanged)'}`,
  );
  // One at a time: concurrent citus_add_node calls contend for the same metadata locks.
  const workers = await steps.run(
    'add-workers',
    async () => {
      const registered = [];
      for (const node of workerNodes) registered.push(await sql.registerWorker(spec, node));
      return registered;
    },
    (r) => r.map((w) => `${w.node}: ${w.action}`).join(', '),
  );
  const active = await steps.run(
    'check-active-workers',
    () => sql.checkActiveWorkers(spec),
    (r) => `${r.active.length} active`,
  );

  const unchanged =
    databases.every((d) => !d.databaseCreated && !d.extensionCreated) &&
    !coordinator.changed &&
    workers.every((w) => w.action === 'existing');
  return { cluster: spec.cluster, databases, coordinator, workers, active, unchanged, steps: steps.steps() };
}
