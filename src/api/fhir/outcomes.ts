/**
 * Every failure the API answers with is a FhirError: an HTTP status plus the OperationOutcome that
 * explains it. Everything else that escapes a handler is turned into one here, in one place
 * (database down -> 503, anything unexpected -> 500), so no route formats its own errors.
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueCode = OperationOutcomeIssue['code'];

export class FhirError extends Error {
  override readonly name = 'FhirError';
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.map((i) => i.diagnostics ?? i.details?.text).join('; ') ?? `HTTP ${status}`);
  }
}

export function outcome(code: IssueCode, text: string, severity: OperationOutcomeIssue['severity'] = 'error', expression?: string[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity, code, diagnostics: text, ...(expression ? { expression } : {}) }],
  };
}

export function informational(text: string): OperationOutcome {
  return outcome('informational', text, 'information');
}

const fail = (status: number, code: IssueCode) => (text: string, expression?: string[]) =>
  new FhirError(status, outcome(code, text, 'error', expression));

export const badRequest = fail(400, 'invalid');
export const notFound = fail(404, 'not-found');
export const methodNotAllowed = fail(405, 'not-supported');
export const conflict = fail(409, 'conflict');
export const gone = fail(410, 'deleted');
export const preconditionFailed = fail(412, 'conflict');
export const tooLarge = fail(413, 'too-costly');
export const unsupportedMediaType = fail(415, 'not-supported');
export const unavailable = fail(503, 'transient');

/** 422 with one issue per problem the validator found, each keeping its path. */
export function invalidResource(issues: OperationOutcomeIssue[]): FhirError {
  return new FhirError(422, { resourceType: 'OperationOutcome', issue: issues.length ? issues : [{ severity: 'error', code: 'invalid', diagnostics: 'invalid resource' }] });
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The database (or a Citus node behind it) cannot answer right now: waiting helps, the client may retry. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  if (code && CONNECTION_ERRNOS.has(code)) return true;
  // 08xxx connection exceptions (Citus: a worker is unreachable), 57P0x shutdown, 57014 statement timeout, 53300 too many clients.
  if (code && (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '57014' || code === '53300')) return true;
  const message = err instanceof Error ? err.message : String(err);
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout|the database system is (starting up|shutting down)/i.test(message);
}

/** Maps anything thrown while serving a request to a FhirError. */
export function toFhirError(err: unknown): FhirError {
  if (err instanceof FhirError) return err;
  if (isDatabaseUnavailable(err)) {
    return unavailable(`the database is not answering (${err instanceof Error ? err.message : String(err)}); retry shortly.`);
  }
  // Unique violation: two writers raced for the same key (a client-chosen identifier, a conditional create).
  if (codeOf(err) === '23505') return conflict('a resource with the same key already exists.');
  // Data exceptions: a value the database cannot store (a timestamp out of range, say).
  if (codeOf(err)?.startsWith('22')) return badRequest(`a value in the request does not fit the database: ${err instanceof Error ? err.message : String(err)}`);
  // Serialization failure / deadlock: the client can retry the same request.
  if (codeOf(err) === '40001' || codeOf(err) === '40P01') return conflict('a concurrent write conflicted with this one; retry.');
  return new FhirError(500, outcome('exception', `internal error: ${err instanceof Error ? err.message : String(err)}`));
}
