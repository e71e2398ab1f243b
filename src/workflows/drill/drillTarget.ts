/**
 * Which nodes a drill may kill, decided from the spec alone: the CLI refuses before it talks to
 * Temporal, the workflow (and a schedule's runs) refuse before they touch anything.
 */
import type { LabSpec } from '../../config/labSpec.js';
import { nodeNames } from '../../environments/labEnvironment.js';

/** Why `node` cannot be drilled, or undefined when it can. */
export function drillTargetProblem(spec: Pick<LabSpec, 'cluster' | 'workers'>, node: string, allowCoordinator = false): string | undefined {
  const names = nodeNames(spec);
  if (!names.includes(node)) {
    return `lab "${spec.cluster}" has no node named ${JSON.stringify(node)}: use one of ${names.join(', ')}.`;
  }
  if (node === 'coordinator' && !allowCoordinator) {
    return (
      'drilling the coordinator takes the whole cluster down (every query goes through it): ' +
      'pass --allow-coordinator to do it anyway, or drill a worker (--node worker-0).'
    );
  }
  return undefined;
}
