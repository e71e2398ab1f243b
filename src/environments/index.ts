/** Picks the platform a lab lives on. A fresh environment per call: they hold no state worth sharing. */
import type { LabSpec } from '../config/labSpec.js';
import { ComposeEnvironment } from './compose.js';
import type { LabEnvironment } from './labEnvironment.js';
import { LocalEnvironment } from './local/localEnvironment.js';
import { MinikubeEnvironment } from './minikube.js';

export function resolveEnvironment(spec: LabSpec): LabEnvironment {
  switch (spec.env) {
    case 'local':
      return new LocalEnvironment(spec);
    case 'compose':
      return new ComposeEnvironment(spec);
    case 'minikube':
      return new MinikubeEnvironment(spec);
  }
}

export type { LabEnvironment } from './labEnvironment.js';
export { LocalEnvironment, type LocalEnvironmentOptions } from './local/localEnvironment.js';
