/**
 * The few HTTP calls the lab makes to its own FHIR API (readiness, verify checks, drill probes), with
 * a hard timeout each: a hung API is a failed check, never a hung activity.
 */
export interface FhirResponse {
  readonly status: number;
  /** Parsed JSON, or undefined when the body was not JSON. */
  readonly body: unknown;
}

export async function fhirGet(url: string, timeoutMs: number, headers: Readonly<Record<string, string>> = {}): Promise<FhirResponse> {
  const res = await fetch(url, { headers: { ...headers, accept: 'application/fhir+json' }, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body };
}

/** The first issue of an OperationOutcome, for messages: what the API itself said went wrong. */
export function outcomeText(body: unknown): string | undefined {
  const issue = (body as { issue?: Array<{ diagnostics?: string; details?: { text?: string } }> } | undefined)?.issue?.[0];
  return issue?.diagnostics ?? issue?.details?.text;
}

export function describeFetchError(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time';
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
