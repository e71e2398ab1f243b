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

/** The type of the innermost ApplicationFailure-like cause (one with a `type`), if any. */
export function rootFailureType(err: unknown): string | undefined {
  let type: string | undefined;
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 20; depth++) {
    const own = (current as { type?: unknown }).type;
    if (typeof own === 'string' && own) type = own;
    current = (current as { cause?: unknown }).cause;
  }
  return type;
}
