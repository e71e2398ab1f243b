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
  | 'AuthFailed'
  | 'NodeUnreachable'
  | 'NodeNotReady'
  | 'InvalidIdentifier'
  | 'UnknownNode'
  | 'WorkerSetMismatch'
  | 'VerificationFailed'
  | 'CommandFailed'
  | 'TemporalUnreachable'
  | 'ClusterBusy';

const NON_RETRYABLE: ReadonlySet<LabErrorType> = new Set([
  'ConfigInvalid',
  'NotImplemented',
  'PostgresBinariesMissing',
  'CitusNotInstalled',
  'PortInUse',
  'DataDirNotWritable',
  'AuthFailed',
  'InvalidIdentifier',
  'UnknownNode',
  'ClusterBusy',
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

export function isLabError(err: unknown): err is LabError {
  return err instanceof LabError;
}
