/**
 * The decision for one FHIR request: allowed (with the compartment every query must then be limited
 * to), forbidden (403), or not allowed for anybody (405). It does not filter anything itself: the
 * compartment goes into the SQL the repository sends (see RequestAccess), so paging and totals count
 * only rows the caller may see, and another patient's resource is simply not found (404).
 */
import type { FhirTarget } from './fhirRequest.js';
import type { Principal } from './principal.js';
import { AUDIT_TYPE, grantFor } from './roles.js';

/**
 * Resource types that live in a patient's compartment (rows keyed by documento_id). A patient-scoped
 * grant covers only these; reference data (Practitioner, Organization) is outside every compartment.
 */
export const COMPARTMENT_TYPES: ReadonlySet<string> = new Set([
  'Patient',
  'Encounter',
  'Observation',
  'Condition',
  'MedicationRequest',
  'Procedure',
]);

export type Decision =
  | { readonly ok: true; readonly compartment?: string }
  | { readonly ok: false; readonly status: 403 | 405; readonly reason: string };

const forbidden = (reason: string): Decision => ({ ok: false, status: 403, reason });

export function authorize(principal: Principal, target: FhirTarget): Decision {
  const type = target.type ?? 'Patient';
  if (type === AUDIT_TYPE && target.permission !== 'r' && target.permission !== 's') {
    return { ok: false, status: 405, reason: 'AuditEvent is read-only: nobody creates, changes or deletes audit records through the API' };
  }
  // $everything reads the whole compartment, so it needs read on every compartment type, not only Patient.
  const types = target.operation === 'everything' ? [...COMPARTMENT_TYPES] : [type];
  let compartment = false;
  for (const t of types) {
    const grant = grantFor(principal.scopes, t, target.permission);
    if (!grant.allowed) {
      return forbidden(`role ${principal.role} may not ${describe(target)} ${t} (scopes: ${principal.scopes.join(' ') || 'none'})`);
    }
    if (grant.compartmentOnly) {
      if (!COMPARTMENT_TYPES.has(t) || !principal.documentoId) return forbidden(`${t} is outside the compartment of ${principal.username}`);
      compartment = true;
    }
  }
  return compartment ? { ok: true, compartment: principal.documentoId } : { ok: true };
}

/** The decision for a batch or transaction Bundle: every entry must be allowed, or none runs. */
export function authorizeAll(principal: Principal, targets: readonly FhirTarget[]): Decision {
  let compartment: string | undefined;
  for (const t of targets) {
    const d = authorize(principal, t);
    if (!d.ok) return d;
    compartment ??= d.compartment;
  }
  return compartment ? { ok: true, compartment } : { ok: true };
}

function describe(target: FhirTarget): string {
  switch (target.permission) {
    case 'c':
      return 'create';
    case 'r':
      return 'read';
    case 'u':
      return 'update';
    case 'd':
      return 'delete';
    case 's':
      return 'search';
  }
}
