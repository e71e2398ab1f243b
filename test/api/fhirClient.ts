/**
 * Test helpers around fhir-kit-client (a FHIR client written elsewhere): every resource a test gets
 * back goes through R4 validation, and failures come back as status + OperationOutcome.
 */
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { Client, type FhirResource } from 'fhir-kit-client';
import { r4Problems } from '../../src/api/fhir/validation.js';

export function fhirClient(baseUrl: string, headers: Record<string, string> = {}): Client {
  return new Client({ baseUrl, customHeaders: { 'Content-Type': 'application/fhir+json', Accept: 'application/fhir+json', ...headers } });
}

/** A typed resource as fhir-kit-client's untyped body. */
export function asBody(resource: Resource): FhirResource {
  return resource as unknown as FhirResource;
}

/** Asserts the resource is valid R4 (Bundles: every entry too) and returns it typed. */
export function r4<T extends Resource = Resource>(value: unknown): T {
  const resource = value as T;
  expect({ resourceType: resource.resourceType, problems: r4Problems(resource) }).toEqual({ resourceType: resource.resourceType, problems: [] });
  return resource;
}

export function entries<T extends Resource = Resource>(bundle: Bundle): T[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource as T);
}

export interface Failure {
  readonly status: number;
  readonly outcome: OperationOutcome;
}

/** The HTTP status and OperationOutcome a request failed with (fails the test if it succeeded). */
export async function failure(promise: Promise<unknown>): Promise<Failure> {
  const err = await promise.then(
    (r) => {
      throw new Error(`expected the request to fail, got ${JSON.stringify(r).slice(0, 300)}`);
    },
    (e: unknown) => e,
  );
  const response = (err as { response?: { status?: number; data?: unknown } }).response;
  if (!response?.status) throw err;
  const data = typeof response.data === 'string' ? (JSON.parse(response.data) as unknown) : response.data;
  const outcome = r4<OperationOutcome>(data);
  expect(outcome.resourceType).toBe('OperationOutcome');
  return { status: response.status, outcome };
}

/** Response headers of a resource fhir-kit-client returned. */
export function headersOf(resource: unknown): Headers {
  const { response } = Client.httpFor(resource as never);
  if (!response) throw new Error('no response recorded for this resource');
  return response.headers;
}

/** Raw HTTP for what a FHIR client will not send (malformed JSON, wrong content types, huge bodies). */
export async function raw(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}
