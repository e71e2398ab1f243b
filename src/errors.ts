/**
 * Typed failures of the lab. They carry a stable `type` (used as the ApplicationFailure type, so
 * workflows and the CLI can tell them apart), whether a retry could ever help, and the fix in words.
 * This module has no Temporal import so environments and the CLI can use it outside activities.
 */
export type LabErrorType =
  | 'ConfigInvalid'
  | 'NotImplemented'
  | 'PostgresBinariesMissing'
  | 'CitusNotInstalled'
  | 'PortInUse'
  | 'DataDirNotWritable'
  /** The data dir cannot hold a lab at all (a file, /proc, /sys, not writable): refused before anything runs. */
  | 'DataDirUnusable'
  /** A command for a lab that was never deployed in this data dir. */
  | 'LabNotDeployed'
  /** The run open under this command's workflow id belongs to another lab (another data dir). */
  | 'RunOfAnotherLab'
  | 'AuthFailed'
  | 'NodeUnreachable'
  | 'NodeNotReady'
  | 'InvalidIdentifier'
  | 'UnknownNode'
  | 'WorkerSetMismatch'
  | 'VerificationFailed'
  | 'CommandFailed'
  | 'TemporalUnreachable'
  | 'ClusterBusy'
  /** minikube, docker or the docker compose plugin is not installed. */
  | 'PlatformToolMissing'
  /** The Docker engine, minikube or the Kubernetes API cannot be reached (retryable unless said otherwise). */
  | 'PlatformUnavailable'
  /** The Kubernetes API server refused one of the lab's manifests. */
  | 'ManifestRejected'
  | 'ImageBuildFailed'
  /** A node's pod cannot start (CrashLoopBackOff, image pull, bad config); the message has its last log lines. */
  | 'PodFailing'
  /** Shards cannot move yet: wal_level, a table without replica identity, the target node (the message lists all). */
  | 'PreflightFailed'
  /** A rebalance or drain that this run did not start is already moving shards. */
  | 'RebalanceRunning'
  /** The lab's FHIR API does not answer `/ready` (process down, or it cannot reach the coordinator). */
  | 'ApiNotReady';

const NON_RETRYABLE: ReadonlySet<LabErrorType> = new Set([
  'ConfigInvalid',
  'NotImplemented',
  'PostgresBinariesMissing',
  'CitusNotInstalled',
  'PortInUse',
  'DataDirNotWritable',
  'DataDirUnusable',
  'LabNotDeployed',
  'RunOfAnotherLab',
  'AuthFailed',
  'InvalidIdentifier',
  'UnknownNode',
  'ClusterBusy',
  'PlatformToolMissing',
  'ManifestRejected',
  'ImageBuildFailed',
  'PodFailing',
  'PreflightFailed',
  'RebalanceRunning',
]);

export class LabError extends Error {
  override readonly name = 'LabError';
  readonly nonRetryable: boolean;

  constructor(
    readonly type: LabErrorType,
    message: string,
    options: { cause?: unknown; nonRetryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.nonRetryable = options.nonRetryable ?? NON_RETRYABLE.has(type);
    this.details = options.details;
  }

  readonly details: Record<string, unknown> | undefined;
}

/** Failures that mean "the request was refused" (bad input, nothing to act on): exit 2 in the CLI, no FAIL report. */
export const REFUSAL_TYPES: ReadonlySet<string> = new Set<LabErrorType>([
  'ConfigInvalid',
  'DataDirUnusable',
  'DataDirNotWritable',
  'LabNotDeployed',
  'RunOfAnotherLab',
  'ClusterBusy',
  'UnknownNode',
  'InvalidIdentifier',
]);

export function isLabError(err: unknown): err is LabError {
  return err instanceof LabError;
}
