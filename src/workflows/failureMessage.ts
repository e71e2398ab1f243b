import { ApplicationFailure } from '@temporalio/workflow';

/**
 * The message worth showing for a failure inside a workflow: activity and child-workflow failures
 * wrap the real error ("Activity task failed"), so the innermost cause speaks.
 */
export function failureMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && (current as { cause?: unknown }).cause instanceof Error) {
    current = (current as { cause?: unknown }).cause;
  }
  return current instanceof Error ? current.message : String(current);
}

/** The `type` of the innermost ApplicationFailure in a failure chain (a LabError's type). */
export function failureType(err: unknown): string | undefined {
  let type: string | undefined;
  for (let current = err, depth = 0; current instanceof Error && depth < 20; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof ApplicationFailure) type = current.type ?? type;
  }
  return type;
}
