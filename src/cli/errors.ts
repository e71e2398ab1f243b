/**
 * Every error the CLI can end with, turned into data in one place: a stable type, one sentence, and
 * the exit code (2 for usage and configuration problems, 1 for runtime failures).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  NamespaceNotFoundError,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';
import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { ConfigError } from '../config/labSpec.js';
import { isLabError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;
/** 128 + SIGTERM, as a shell reports a process ended by it. */
export const EXIT_TERMINATED = 143;

/** LabErrors the CLI raises itself before starting anything: the user has to change the command. */
const USAGE_LAB_ERRORS: ReadonlySet<string> = new Set(['ConfigInvalid', 'DataDirUnusable', 'LabNotDeployed', 'RunOfAnotherLab']);

/** A bad command line or environment variable: the user has to change what they typed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The user pressed Ctrl-C (or the CLI got SIGTERM) while it followed a run; the run itself keeps going on the server. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_INTERRUPTED,
  ) {
    super(message);
  }
}

/** The exit code for the signal an AbortSignal was aborted with (its reason is the signal's name). */
export function exitCodeForSignal(signal: AbortSignal | undefined): number {
  return signal?.reason === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

export interface DescribedError {
  type: string;
  message: string;
  exitCode: number;
}

export function describeError(err: unknown): DescribedError {
  if (err instanceof UsageError) return { type: 'UsageError', message: err.message, exitCode: EXIT_USAGE };
  if (err instanceof ConfigError) return { type: 'ConfigInvalid', message: err.message, exitCode: EXIT_USAGE };
  if (err instanceof InterruptedError) return { type: 'Interrupted', message: err.message, exitCode: err.exitCode };
  if (isLabError(err)) {
    return { type: err.type, message: err.message, exitCode: USAGE_LAB_ERRORS.has(err.type) ? EXIT_USAGE : EXIT_FAILURE };
  }
  if (err instanceof WorkflowFailedError) return { ...describeFailure(err.cause, err.message), exitCode: EXIT_FAILURE };
  if (err instanceof TemporalFailure) return { ...describeFailure(err, err.message), exitCode: EXIT_FAILURE };
  if (err instanceof NamespaceNotFoundError) return namespaceMissing(err.namespace);
  const missingNamespace = /namespace[: ]+"?([\w.-]+)"? is not found/i.exec(errorText(err instanceof ServiceError ? (err.cause ?? err) : err));
  if (missingNamespace?.[1]) return namespaceMissing(missingNamespace[1]);
  if (err instanceof ServiceError) {
    return {
      type: 'TemporalUnreachable',
      message: `The Temporal server refused a call (${errorText(err.cause ?? err)}): check that it still runs, then run the command again.`,
      exitCode: EXIT_FAILURE,
    };
  }
  if (err instanceof Error) return { type: err.name || 'Error', message: err.message, exitCode: EXIT_FAILURE };
  return { type: 'Error', message: String(err), exitCode: EXIT_FAILURE };
}

/**
 * Walks a failure chain (workflow -> child workflow -> activity -> application) down to the failure
 * that says what went wrong: wrappers only say *where* ("Activity task failed").
 */
export function describeFailure(failure: unknown, fallback: string): { type: string; message: string } {
  let deepestApplication: ApplicationFailure | undefined;
  let current: unknown = failure;
  let last: unknown = failure;
  for (let depth = 0; current instanceof Error && depth < 20; depth++) {
    if (current instanceof ApplicationFailure) deepestApplication = current;
    last = current;
    current = current.cause;
  }
  if (deepestApplication) {
    return { type: deepestApplication.type ?? 'ApplicationFailure', message: deepestApplication.message };
  }
  if (last instanceof TimeoutFailure) return { type: 'Timeout', message: `timed out (${timeoutName(last)})` };
  if (last instanceof TerminatedFailure) return { type: 'Terminated', message: 'the workflow was terminated' };
  if (last instanceof CancelledFailure) return { type: 'Cancelled', message: 'the workflow was cancelled' };
  if (last instanceof ActivityFailure || last instanceof ChildWorkflowFailure) {
    return { type: last.name, message: last.message };
  }
  if (last instanceof Error) return { type: last.name, message: last.message || fallback };
  return { type: 'WorkflowFailed', message: fallback };
}

function namespaceMissing(namespace: string): DescribedError {
  return {
    type: 'NamespaceNotFound',
    message: `Temporal namespace "${namespace}" does not exist: create it (temporal operator namespace create ${namespace}) or use --namespace default.`,
    exitCode: EXIT_FAILURE,
  };
}

function timeoutName(failure: TimeoutFailure): string {
  return String(failure.timeoutType ?? 'timeout').toLowerCase().replace(/_/g, '-');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One line for humans: `citus-lab: <sentence>.` */
export function formatErrorLine(described: Pick<DescribedError, 'message'>): string {
  const text = described.message.trim();
  return `citus-lab: ${/[.!?]$/.test(text) ? text : `${text}.`}`;
}

export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CITUS_LAB_DEBUG === '1' || env.CITUS_LAB_DEBUG === 'true';
}
