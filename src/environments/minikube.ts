/** Placeholder until the minikube platform exists: every call says so and points at `--env local`. */
import type { LabSpec } from '../config/labSpec.js';
import { LabError } from '../errors.js';
import type { LabEnvironment } from './labEnvironment.js';

function notImplemented(): never {
  throw new LabError('NotImplemented', 'The minikube environment is not implemented yet; use --env local.');
}

export class MinikubeEnvironment implements LabEnvironment {
  readonly kind = 'minikube' as const;
  constructor(readonly spec: LabSpec) {}
  preflight = async () => notImplemented();
  provision = async () => notImplemented();
  startNodes = async () => notImplemented();
  stopNodes = async () => notImplemented();
  nodes = () => notImplemented();
  credentials = async () => notImplemented();
  status = async () => notImplemented();
  injectFault = async () => notImplemented();
  teardown = async () => notImplemented();
}
