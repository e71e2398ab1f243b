/**
 * Picks the platform a lab lives on. A fresh environment per call: they hold no state worth sharing.
 * compose and minikube load on demand: the Kubernetes client alone takes ~0.6 s to import, which
 * every local command would otherwise pay.
 */
import type { LabSpec } from '../config/labSpec.js';
import type { LabEnvironment } from './labEnvironment.js';
import { LocalEnvironment } from './local/localEnvironment.js';

export async function resolveEnvironment(spec: LabSpec): Promise<LabEnvironment> {
  switch (spec.env) {
    case 'local':
      // Supervised: a killed node comes back by itself, like a pod of a StatefulSet.
      return new LocalEnvironment(spec, { supervise: true });
    case 'compose': {
      const { ComposeEnvironment } = await import('./compose/composeEnvironment.js');
      return new ComposeEnvironment(spec);
    }
    case 'minikube': {
      const { MinikubeEnvironment } = await import('./minikube/minikubeEnvironment.js');
      return new MinikubeEnvironment(spec);
    }
  }
}

export type { LabEnvironment } from './labEnvironment.js';
