/**
 * What the server knows about one resource type: its table, how its FHIR id maps to the key, which
 * seed columns a resource fills (they double as the search columns, written in the same statement
 * as the JSON), how a row without stored JSON (the sample data COPY loads) reads back as FHIR, and
 * its search parameters. Routes, search SQL and /metadata are all generated from these tables.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { KeyScope } from '../storage/fhirIds.js';

/** A table row as to_jsonb renders it: bigint/numeric as numbers, dates and timestamps as ISO strings. */
export type Row = Readonly<Record<string, unknown>>;

export type SearchParamDefinition =
  | { readonly name: string; readonly type: 'string'; readonly expressions: readonly string[]; readonly description: string }
  | {
      readonly name: string;
      readonly type: 'token';
      readonly expression: string;
      /** The one system the codes belong to (a value with another system matches nothing)... */
      readonly system?: string;
      /** ...or an expression giving each row's system. */
      readonly systemExpression?: string;
      readonly description: string;
    }
  | { readonly name: string; readonly type: 'date'; readonly expression: string; readonly description: string }
  /** Points at a Patient: compared with documento_id, the shard key. */
  | { readonly name: string; readonly type: 'reference'; readonly target: 'Patient'; readonly description: string };

export type SearchParamType = SearchParamDefinition['type'];

export interface ResourceDefinition<R extends Resource = Resource> {
  readonly type: R['resourceType'];
  readonly table: string;
  readonly scope: KeyScope;
  /** The table's own id column (Patient: paciente_id, not part of the FHIR id; reference tables: the key). */
  readonly localColumn: string;
  /** Seed columns a resource fills on create/update (nulls where it says nothing). */
  columnsOf(resource: R): Record<string, string | number | null>;
  /** The resource a row stands for when no JSON was stored with it (rows loaded by COPY). */
  fromRow(row: Row): R;
  readonly search: readonly SearchParamDefinition[];
  /** Expression `_sort=date` orders by, when the type has a date. */
  readonly sortDate?: string;
}

export const text = (row: Row, column: string): string | undefined => {
  const v = row[column];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

export const numeric = (row: Row, column: string): number | undefined => {
  const v = row[column];
  return typeof v === 'number' ? v : undefined;
};

/** A FHIR date or dateTime as something a timestamptz column accepts (partial dates start at their first day). */
export function timestampOf(value: string | undefined): string | null {
  if (!value) return null;
  if (/^\d{4}$/.test(value)) return `${value}-01-01T00:00:00Z`;
  if (/^\d{4}-\d{2}$/.test(value)) return `${value}-01T00:00:00Z`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`;
  return value;
}

/** A FHIR date for a DATE column: only full dates fit. */
export function dateOf(value: string | undefined): string | null {
  return value && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : null;
}

/** `Practitioner/<medico_id>` into the medico_id column. */
export function medicoOf(reference: string | undefined): number | null {
  const m = /^Practitioner\/([1-9][0-9]{0,14})$/.exec(reference ?? '');
  return m?.[1] ? Number(m[1]) : null;
}

export function patientReference(row: Row): { reference: string } {
  return { reference: `Patient/${String(row.documento_id)}` };
}

export function practitionerReference(row: Row): { reference: string } | undefined {
  const medico = numeric(row, 'medico_id');
  return medico === undefined ? undefined : { reference: `Practitioner/${medico}` };
}

/** Shared by every compartment type: the patient reference, compared with documento_id. */
export const PATIENT_PARAMS: readonly SearchParamDefinition[] = [
  { name: 'patient', type: 'reference', target: 'Patient', description: 'The patient (Patient/<documento_id>): routes to one shard.' },
  { name: 'subject', type: 'reference', target: 'Patient', description: 'Same as patient (only patients are subjects here).' },
];
