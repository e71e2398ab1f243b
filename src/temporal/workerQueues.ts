/**
 * Which task queues the standalone worker (`npm run worker`) polls. Every lab has its own queue
 * (`citus-lab-<env>-<cluster>`, see labTaskQueue), so the worker is told which labs to serve:
 *
 *   npm run worker -- --lab local/lab --lab compose/lab   (or CITUS_LAB_WORKER_LABS=local/lab,compose/lab)
 *
 * Without either it serves the lab CITUS_LAB_ENV / CITUS_LAB_CLUSTER name (default local/lab). It
 * always polls the shared queue `citus-lab` too, where runs started before per-lab queues live.
 */
import { parseArgs } from 'node:util';
import { CLUSTER_NAME, DEFAULTS, ENVIRONMENTS, type EnvironmentName } from '../config/labSpec.js';
import { LabError } from '../errors.js';
import { TASK_QUEUE, labTaskQueue } from '../workflows/inputs.js';

function parseLab(text: string, from: string): string {
  const [env, cluster, extra] = text.trim().split('/');
  if (extra !== undefined || !env || !cluster || !(ENVIRONMENTS as readonly string[]).includes(env) || !CLUSTER_NAME.test(cluster)) {
    throw new LabError(
      'ConfigInvalid',
      `${from} ${JSON.stringify(text)} is not <env>/<cluster>: use for example local/lab (env one of ${ENVIRONMENTS.join(', ')}).`,
    );
  }
  return labTaskQueue({ env: env as EnvironmentName, cluster });
}

export function workerTaskQueues(args: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  let values: { lab?: string[] };
  try {
    ({ values } = parseArgs({ args, options: { lab: { type: 'string', multiple: true } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new LabError('ConfigInvalid', `${(err as Error).message}: the worker takes --lab <env>/<cluster> (repeatable).`);
  }
  let queues: string[];
  if (values.lab?.length) {
    queues = values.lab.map((lab) => parseLab(lab, '--lab'));
  } else if (env.CITUS_LAB_WORKER_LABS?.trim()) {
    queues = env.CITUS_LAB_WORKER_LABS.split(',').filter((s) => s.trim()).map((lab) => parseLab(lab, 'CITUS_LAB_WORKER_LABS entry'));
  } else {
    queues = [parseLab(`${env.CITUS_LAB_ENV || DEFAULTS.env}/${env.CITUS_LAB_CLUSTER || DEFAULTS.cluster}`, 'CITUS_LAB_ENV/CITUS_LAB_CLUSTER')];
  }
  return [...new Set([...queues, TASK_QUEUE])];
}
