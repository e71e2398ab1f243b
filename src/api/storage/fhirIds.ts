/**
 * FHIR ids <-> table keys: the one place that knows how a FHIR id carries the shard key.
 *
 *   Patient/<documento_id>                     pacientes row with that documento_id
 *   Observation/<documento_id>-<local id>      (and every other patient-compartment type) the row
 *                                              (documento_id, observacion_id): the id alone names
 *                                              the shard, so a read never needs a lookup
 *   Practitioner/<medico_id>, Organization/<organizacion_id>   reference tables: their own key
 *
 * Ids are decimal bigints without leading zeros, so each FHIR id has exactly one key and back.
 */
export { SERVER_ASSIGNED_ID_BASE } from '../../activities/postgres/sampleRows.js';

export type KeyScope = 'patient' | 'compartment' | 'reference';

export interface RowKey {
  /** documento_id: the distribution column (absent for reference tables). */
  readonly documento?: string;
  /** The table's own id column (absent for Patient, whose key is documento_id alone). */
  readonly local?: string;
}

/** FHIR's id rule: 1-64 of [A-Za-z0-9-.]. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const DECIMAL = '([1-9][0-9]{0,18})';
const BIGINT_MAX = 9223372036854775807n;

function bigintOk(s: string): boolean {
  return BigInt(s) <= BIGINT_MAX;
}

/** The row key a FHIR id names, or undefined when no row of this scope can have that id. */
export function keyOfId(scope: KeyScope, id: string): RowKey | undefined {
  if (scope === 'compartment') {
    const m = new RegExp(`^${DECIMAL}-${DECIMAL}$`).exec(id);
    if (!m?.[1] || !m[2] || !bigintOk(m[1]) || !bigintOk(m[2])) return undefined;
    return { documento: m[1], local: m[2] };
  }
  const m = new RegExp(`^${DECIMAL}$`).exec(id);
  if (!m?.[1] || !bigintOk(m[1])) return undefined;
  return scope === 'patient' ? { documento: m[1] } : { local: m[1] };
}

export function idOfKey(scope: KeyScope, key: RowKey): string {
  switch (scope) {
    case 'patient':
      return String(key.documento);
    case 'compartment':
      return `${String(key.documento)}-${String(key.local)}`;
    case 'reference':
      return String(key.local);
  }
}

/** The documento_id a `Patient/<id>` reference (or a bare patient id) points at. */
export function documentoOfPatientReference(reference: string): string | undefined {
  const id = reference.startsWith('Patient/') ? reference.slice('Patient/'.length) : reference;
  return keyOfId('patient', id)?.documento;
}
