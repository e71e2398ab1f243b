/**
 * What a request asks of the FHIR API, read from its method and path alone: the resource type, the
 * id, and the FHIR interaction (the codes of http://hl7.org/fhir/restful-interaction). Authorization
 * and audit both start from this, so they can never disagree about what a request was.
 */
import type { Permission } from './roles.js';

export type Interaction =
  | 'read'
  | 'vread'
  | 'history-instance'
  | 'history-type'
  | 'search-type'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'operation'
  | 'batch';

export interface FhirTarget {
  readonly interaction: Interaction;
  readonly type?: string;
  readonly id?: string;
  /** For operations: the name without `$` (`everything`). */
  readonly operation?: string;
  readonly permission: Permission;
  /** FHIR AuditEvent.action. */
  readonly action: 'C' | 'R' | 'U' | 'D' | 'E';
}

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

function target(interaction: Interaction, permission: Permission, action: FhirTarget['action'], rest: Partial<FhirTarget> = {}): FhirTarget {
  return { interaction, permission, action, ...rest };
}

/** The FHIR interaction of a request, or undefined when the path is not a FHIR resource path. */
export function classifyFhirRequest(method: string, url: string): FhirTarget | undefined {
  const path = url.split('?')[0] ?? '';
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const m = method.toUpperCase();
  if (parts.length === 0) return m === 'POST' ? target('batch', 'c', 'E') : undefined;
  const [type, second, third, fourth] = parts;
  if (!type || !TYPE.test(type) || parts.length > 4) return undefined;
  if (parts.length === 1) {
    if (m === 'GET' || m === 'HEAD') return target('search-type', 's', 'R', { type });
    if (m === 'POST') return target('create', 'c', 'C', { type });
    if (m === 'PUT' || m === 'PATCH') return target('update', 'u', 'U', { type });
    if (m === 'DELETE') return target('delete', 'd', 'D', { type });
    return undefined;
  }
  if (second === '_search') return target('search-type', 's', 'R', { type });
  if (second === '_history') return target('history-type', 's', 'R', { type });
  if (second?.startsWith('$')) return target('operation', 'r', 'E', { type, operation: second.slice(1) });
  const id = second;
  if (parts.length === 2) {
    if (m === 'GET' || m === 'HEAD') return target('read', 'r', 'R', { type, id });
    if (m === 'PUT') return target('update', 'u', 'U', { type, id });
    if (m === 'PATCH') return target('patch', 'u', 'U', { type, id });
    if (m === 'DELETE') return target('delete', 'd', 'D', { type, id });
    return target('update', 'u', 'U', { type, id });
  }
  if (third === '_history') {
    return fourth ? target('vread', 'r', 'R', { type, id }) : target('history-instance', 'r', 'R', { type, id });
  }
  if (third?.startsWith('$')) return target('operation', 'r', 'E', { type, id, operation: third.slice(1) });
  // A compartment search such as Patient/1/Observation: a search of the inner type.
  if (third && TYPE.test(third)) return target('search-type', 's', 'R', { type: third, id });
  return undefined;
}
