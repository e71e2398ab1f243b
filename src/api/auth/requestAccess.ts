/**
 * What the FHIR routes hand their repository for each request: the compartment every query must be
 * limited to, and the hook that writes the request's AuditEvent inside a write's transaction.
 * The repository puts `compartment` into its SQL (`AND documento_id = $n`) instead of filtering
 * results, so another patient's rows are never fetched, counted or paged over.
 */

/** What a write transaction runs its statements on (the API's SqlSession, or a pg client). */
export interface SqlExecutor {
  query(text: string, values?: readonly unknown[]): Promise<unknown>;
}

export interface RequestAccess {
  /** documento_id the request is confined to (role patient), or undefined: every patient. */
  readonly compartment?: string;
  /** Call inside each write transaction before COMMIT; the first call writes the request's AuditEvent. */
  recordWrite(session: SqlExecutor, write: { documentoId: string; reference?: string }): Promise<void>;
}

/** Access for code that runs outside a request (deploy, bench, tests of the repository alone). */
export const UNRESTRICTED: RequestAccess = { recordWrite: async () => undefined };
