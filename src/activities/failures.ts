import { ApplicationFailure } from '@temporalio/common';
import { isLabError } from '../errors.js';

/**
 * LabErrors cross the activity boundary as ApplicationFailures with the same `type`, so the retry
 * policy and the workflow see `nonRetryable` where retrying cannot help. Other errors stay retryable.
 */
export function toApplicationFailure(err: unknown): unknown {
  if (isLabError(err)) {
    return ApplicationFailure.create({
      type: err.type,
      message: err.message,
      nonRetryable: err.nonRetryable,
      details: err.details ? [err.details] : undefined,
      cause: err.cause instanceof Error ? err.cause : undefined,
    });
  }
  return err;
}

type AnyAsync = (...args: never[]) => Promise<unknown>;

export function withLabErrors<T extends Record<string, AnyAsync>>(activities: T): T {
  const wrapped: Record<string, AnyAsync> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    };
  }
  return wrapped as T;
}
