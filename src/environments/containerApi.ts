/**
 * Compose and Minikube do not run the lab's FHIR API yet. The API signs tokens with the lab's key and
 * logs users in against accounts whose passwords live in the lab's secrets directory (src/api/auth);
 * inside a container it would need that key and those accounts, and an API without them may only
 * listen on loopback, which a container port cannot be. Until the key reaches the container (a
 * Secret or a mounted file), these platforms answer NotImplemented: deploy skips its API steps, verify
 * and the drill skip their API checks, and the lab itself works as before.
 */
import { LabError } from '../errors.js';

export function apiNotOnPlatform(env: 'compose' | 'minikube'): LabError {
  return new LabError(
    'NotImplemented',
    `the FHIR API does not run on --env ${env} yet (its signing key and accounts do not reach the container); ` +
      `serve it from this machine instead: citus-lab api serve --env ${env}`,
  );
}
