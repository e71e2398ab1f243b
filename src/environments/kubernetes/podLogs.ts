/** The last lines a node's container wrote, for error reports; never throws (a report must not fail on them). */
import type { KubeClients } from './kubeClient.js';
import { apiStatus } from './kubeErrors.js';
import { POSTGRES_CONTAINER } from './labObjects.js';

export const LOG_TAIL_LINES = 20;

/**
 * The tail of the container's log: of the previous (crashed) run when there was one, since a container
 * in CrashLoopBackOff is waiting and its current log is empty. Says why when there is none.
 */
export async function lastLogLines(
  kube: KubeClients,
  namespace: string,
  pod: string,
  options: { previous: boolean; lines?: number } = { previous: false },
): Promise<string> {
  const read = (previous: boolean) =>
    kube.core.readNamespacedPodLog({
      name: pod,
      namespace,
      container: POSTGRES_CONTAINER,
      previous,
      tailLines: options.lines ?? LOG_TAIL_LINES,
    });
  try {
    const text = await read(options.previous).catch((err: unknown) => {
      if (options.previous) return read(false);
      throw err;
    });
    return text.trimEnd() || '(the container wrote no log lines)';
  } catch (err) {
    const status = apiStatus(err);
    const why = status ? status.message : err instanceof Error ? err.message : String(err);
    return `(no log lines: ${why})`;
  }
}
