import { patched, proxyActivities } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import { nodeNames } from '../environments/labEnvironment.js';
import { SQL_STEP, quickHeartbeat } from './activityOptions.js';
import { CLUSTER_LOCK_PATCH, QUICK_HEARTBEAT_PATCH } from './patches.js';
import type { RegisterWorkersInput } from './inputs.js';
import { childOptions, executeChild } from './labChildren.js';
import { rebalanceAndDrain } from './rebalance/rebalanceAndDrain.js';
import type { RegisterWorkersResult } from './results.js';
import { StepRunner } from './stepRunner.js';

/**
 * Makes Citus' metadata match the spec: database and extension everywhere, the coordinator's own
 * address, every worker added (or re-activated), then proof that the active set is the desired one.
 * Each activity observes before it changes anything, so a second run changes nothing.
 */
export async function registerWorkers({ spec, rebalance }: RegisterWorkersInput): Promise<RegisterWorkersResult> {
  const steps = new StepRunner('RegisterWorkers', spec.cluster, [
    'ensure-database',
    'coordinator-host',
    'add-workers',
    'check-active-workers',
    // Only runs started with --rebalance have this step (and its commands), so older histories replay unchanged.
    ...(rebalance ? (['rebalance'] as const) : []),
  ]);
  // A killed worker's activity is retried within seconds (added later: older runs keep their timeouts).
  const sql = proxyActivities<LabActivities>(quickHeartbeat(SQL_STEP, patched(QUICK_HEARTBEAT_PATCH)));
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

  // A child with its own lock check (same family as this run: it passes), progress query and report.
  const rebalanced = rebalance
    ? await steps.run(
        'rebalance',
        () =>
          executeChild(rebalanceAndDrain, {
            args: [{ spec, operation: 'rebalance', ...(rebalance.transferMode ? { transferMode: rebalance.transferMode } : {}) }],
            ...childOptions(spec, 'rebalance'),
          }),
        (r) => `${r.status}: ${r.job?.progress ? `${r.job.progress.movesDone} moves` : 'nothing to move'}`,
      )
    : undefined;

  const unchanged =
    databases.every((d) => !d.databaseCreated && !d.extensionCreated) &&
    !coordinator.changed &&
    workers.every((w) => w.action === 'existing');
  return {
    cluster: spec.cluster,
    databases,
    coordinator,
    workers,
    active,
    unchanged: unchanged && (rebalanced?.job?.progress?.movesDone ?? 0) === 0,
    ...(rebalanced ? { rebalance: rebalanced } : {}),
    steps: steps.steps(),
  };
}
