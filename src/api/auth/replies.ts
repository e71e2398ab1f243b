/** OperationOutcome answers of the auth layer (the FHIR server's own errors come from src/api/fhir/outcomes). */
import type { FastifyReply } from 'fastify';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function operationOutcome(code: string, text: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: text }] };
}

const CODES: Record<number, string> = { 400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 405: 'not-supported', 409: 'conflict', 429: 'throttled' };

export function sendOutcome(reply: FastifyReply, status: number, text: string): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="citus-lab", error="invalid_token"');
  return reply.code(status).type(FHIR_JSON).send(operationOutcome(CODES[status] ?? (status >= 500 ? 'exception' : 'processing'), text));
}
