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
