/** Picks the platform a lab lives on. A fresh environment per call: they hold no state worth sharing. */
import type { LabSpec } from '../config/labSpec.js';
import { ComposeEnvironment } from './compose/composeEnvironment.js';
import type { LabEnvironment } from './labEnvironment.js';
import { LocalEnvironment } from './local/localEnvironment.js';
import { MinikubeEnvironment } from './minikube/minikubeEnvironment.js';

export function resolveEnvironment(spec: LabSpec): LabEnvironment {
  switch (spec.env) {
    case 'local':
      // Supervised: a killed node comes back by itself, like a pod of a StatefulSet.
      return new LocalEnvironment(spec, { supervise: true });
    case 'compose':
      return new ComposeEnvironment(spec);
    case 'minikube':
      return new MinikubeEnvironment(spec);
  }
}

export type { LabEnvironment } from './labEnvironment.js';
export { LocalEnvironment, type LocalEnvironmentOptions } from './local/localEnvironment.js';
export { ComposeEnvironment } from './compose/composeEnvironment.js';
export { MinikubeEnvironment, type MinikubeEnvironmentOptions } from './minikube/minikubeEnvironment.js';
