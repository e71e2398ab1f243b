/**
 * Which patient an interaction concerns (the documento_id its AuditEvent is stored under) and what
 * to name as its entity, from the request alone: the id (`Patient/<documento>`,
 * `<Type>/<documento>-<n>`), else a `patient`/`subject` search parameter, else the caller's own
 * compartment, else none (documento_id 0).
 */
import type { FhirTarget } from '../auth/fhirRequest.js';
import { toSearchParams } from './queryString.js';

const BIGINT_MAX = 9223372036854775807n;
const DOC = /^[1-9][0-9]{0,18}$/;

function documento(text: string | undefined): string | undefined {
  if (!text || !DOC.test(text) || BigInt(text) > BIGINT_MAX) return undefined;
  return text;
}

function fromId(type: string, id: string): string | undefined {
  if (type === 'Patient') return documento(id);
  if (type === 'AuditEvent' || type === 'Practitioner' || type === 'Organization') return undefined;
  return documento(/^([0-9]+)-[0-9]+$/.exec(id)?.[1]);
}

function fromReference(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return documento(value.startsWith('Patient/') ? value.slice('Patient/'.length) : value);
}

export interface AuditTarget {
  readonly documentoId?: string;
  readonly entity?: string;
}

/** The documento_id a by-id request names (its compartment), if any. */
export function documentoOfTarget(target: FhirTarget): string | undefined {
  if (!target.id) return undefined;
  return fromId(target.interaction === 'search-type' ? 'Patient' : (target.type ?? 'Patient'), target.id);
}

export function auditTargetOf(target: FhirTarget, query: Record<string, unknown>, ownCompartment: string | undefined): AuditTarget {
  const type = target.type ?? 'Bundle';
  if (target.id) {
    // Patient/1/Observation (a compartment search) names the patient in its id position.
    const outer = target.interaction === 'search-type' ? 'Patient' : type;
    return { documentoId: fromId(outer, target.id) ?? ownCompartment, entity: `${outer}/${target.id}` };
  }
  const search = target.interaction === 'search-type' || target.interaction === 'history-type';
  if (search) {
    const q = toSearchParams(query).toString();
    const param = type === 'Patient' ? query._id : (query.patient ?? query.subject);
    return { documentoId: fromReference(Array.isArray(param) ? param[0] : param) ?? ownCompartment, entity: q ? `${type}?${q}` : type };
  }
  return { ...(ownCompartment ? { documentoId: ownCompartment } : {}), entity: type };
}
