/**
 * Server-side apply of the lab's manifests, one object at a time and in order (the Namespace before what
 * lives in it). Applying the same manifests again changes nothing; a manifest the API server refuses is
 * a ManifestRejected no retry can fix.
 */
import { LabError } from '../../errors.js';
import type { ProgressReporter } from '../labEnvironment.js';
import type { KubeClients } from './kubeClient.js';
import { apiStatus, kubeFailure } from './kubeErrors.js';
import { FIELD_MANAGER } from './labObjects.js';
import type { Manifest } from './labManifests.js';

export function describeManifest(m: Manifest): string {
  return m.metadata.namespace ? `${m.kind} ${m.metadata.namespace}/${m.metadata.name}` : `${m.kind} ${m.metadata.name}`;
}

export async function applyManifests(
  kube: KubeClients,
  manifests: readonly Manifest[],
  progress: ProgressReporter = () => {},
): Promise<void> {
  for (const manifest of manifests) {
    const what = describeManifest(manifest);
    progress(`apply ${what}`);
    try {
      await kube.objects.apply(manifest, FIELD_MANAGER);
    } catch (err) {
      throw rejection(err, what) ?? kubeFailure(err, kube.server, `apply ${what}`);
    }
  }
}

/** 400/404/409/422 from an apply: the manifest (or the API's view of its kind) is wrong, not the weather. */
function rejection(err: unknown, what: string): LabError | undefined {
  // The client library's own discovery found no such kind in that API group.
  if (err instanceof Error && /^Unrecognized API version and kind/.test(err.message)) {
    return new LabError('ManifestRejected', `The Kubernetes API server does not serve ${what} (${err.message}): fix the manifest under infra/k8s/.`, {
      cause: err,
    });
  }
  const status = apiStatus(err);
  // Server-side apply answers a field its schema does not have with a 500 ("failed to create typed patch object").
  const schemaError = status?.code === 500 && /failed to create typed patch object|not declared in schema/.test(status.message);
  if (!status || !([400, 404, 409, 422].includes(status.code) || schemaError)) return undefined;
  return new LabError(
    'ManifestRejected',
    `The Kubernetes API server rejected ${what} (${status.code} ${status.reason ?? ''}: ${status.message}): fix the manifest under infra/k8s/.`,
    { cause: err, details: { object: what, code: status.code, reason: status.reason } },
  );
}
