/**
 * The lab's PostgreSQL credentials live in one Secret, created on the first deploy with a generated
 * password and never replaced (the volumes were initialised with it). The password is never logged.
 */
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { LabError } from '../../errors.js';
import type { Credentials } from '../labEnvironment.js';
import type { KubeClients } from './kubeClient.js';
import { isConflict, isNotFound, kubeCall, kubeFailure } from './kubeErrors.js';
import { CLUSTER_LABEL, CREDENTIALS_SECRET, PART_OF, PART_OF_LABEL, SUPERUSER } from './labObjects.js';

/** Creates the Secret unless it exists; true when this call created it. */
export async function ensureCredentialsSecret(kube: KubeClients, namespace: string, cluster: string): Promise<boolean> {
  const exists = await kubeCall(kube.server, `read Secret ${namespace}/${CREDENTIALS_SECRET}`, () =>
    kube.core.readNamespacedSecret({ name: CREDENTIALS_SECRET, namespace }).then(
      () => true,
      (err: unknown) => {
        if (isNotFound(err)) return false;
        throw err;
      },
    ),
  );
  if (exists) return false;
  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CREDENTIALS_SECRET, namespace, labels: { [PART_OF_LABEL]: PART_OF, [CLUSTER_LABEL]: cluster } },
    type: 'Opaque',
    stringData: { username: SUPERUSER, password: randomBytes(24).toString('base64url') },
  };
  try {
    await kube.core.createNamespacedSecret({ namespace, body: secret });
    return true;
  } catch (err) {
    // A retry racing its predecessor: the first one's password stands.
    if (isConflict(err)) return false;
    throw kubeFailure(err, kube.server, `create Secret ${namespace}/${CREDENTIALS_SECRET}`);
  }
}

export async function readCredentials(kube: KubeClients, namespace: string): Promise<Credentials> {
  let secret: V1Secret;
  try {
    secret = await kube.core.readNamespacedSecret({ name: CREDENTIALS_SECRET, namespace });
  } catch (err) {
    if (isNotFound(err)) {
      throw new LabError(
        'ConfigInvalid',
        `There is no Secret ${CREDENTIALS_SECRET} in namespace ${namespace}: the lab was never provisioned there; run deploy first.`,
      );
    }
    throw kubeFailure(err, kube.server, `read Secret ${namespace}/${CREDENTIALS_SECRET}`);
  }
  const decode = (key: string): string | undefined => {
    const value = secret.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  };
  const password = decode('password');
  if (!password) {
    throw new LabError(
      'ConfigInvalid',
      `The Secret ${namespace}/${CREDENTIALS_SECRET} has no "password" key: delete it (cleanup --volumes) and deploy again.`,
    );
  }
  return { user: decode('username') || SUPERUSER, password };
}
