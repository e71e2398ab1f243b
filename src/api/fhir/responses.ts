/** The shape of an answer, independent of HTTP frameworks: status, optional resource, headers. */
import type { Resource } from '@medplum/fhirtypes';
import type { StoredResource } from '../storage/resourceStore.js';
import type { FhirContext } from './context.js';
import { informational } from './outcomes.js';

export interface FhirResult {
  readonly status: number;
  readonly body?: Resource;
  readonly headers?: Readonly<Record<string, string>>;
}

export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function etagOf(versionId: number): string {
  return `W/"${versionId}"`;
}

/** `W/"3"` or `"3"` -> 3; undefined for anything else. */
export function versionOfEtag(etag: string): number | undefined {
  const m = /^(?:W\/)?"(\d{1,18})"$/.exec(etag.trim());
  return m?.[1] ? Number(m[1]) : undefined;
}

export function versionHeaders(ctx: FhirContext, stored: StoredResource): Record<string, string> {
  return {
    ETag: etagOf(stored.versionId),
    'Last-Modified': new Date(stored.lastUpdated).toUTCString(),
    Location: `${ctx.baseUrl}/${stored.resource.resourceType}/${stored.resource.id}/_history/${stored.versionId}`,
  };
}

/** A write's answer as Prefer: return=... asks for it. */
export function writeResult(ctx: FhirContext, status: number, stored: StoredResource, what: string): FhirResult {
  const headers = versionHeaders(ctx, stored);
  if (ctx.prefer.return === 'minimal') return { status, headers };
  if (ctx.prefer.return === 'OperationOutcome') return { status, headers, body: informational(what) };
  return { status, headers, body: stored.resource };
}
