import { authorize, authorizeAll } from '../../../src/api/auth/authorize.js';
import { classifyFhirRequest, type FhirTarget } from '../../../src/api/auth/fhirRequest.js';
import type { Principal } from '../../../src/api/auth/principal.js';
import { ROLE_SCOPES, grantFor, mayManageUsers, narrowScopes, scopeWithin, type Role } from '../../../src/api/auth/roles.js';

const principal = (role: Role, documentoId?: string): Principal => ({ username: role, role, scopes: ROLE_SCOPES[role], ...(documentoId ? { documentoId } : {}) });
const target = (method: string, url: string): FhirTarget => {
  const t = classifyFhirRequest(method, url);
  if (!t) throw new Error(`${method} ${url} is no FHIR request`);
  return t;
};

describe('classifyFhirRequest', () => {
  test.each([
    ['GET', '/Patient/1', 'read', 'r'],
    ['GET', '/Observation?patient=1', 'search-type', 's'],
    ['POST', '/Observation/_search', 'search-type', 's'],
    ['POST', '/Observation', 'create', 'c'],
    ['PUT', '/Observation/1-2', 'update', 'u'],
    ['DELETE', '/Observation/1-2', 'delete', 'd'],
    ['GET', '/Observation/1-2/_history', 'history-instance', 'r'],
    ['GET', '/Observation/1-2/_history/3', 'vread', 'r'],
    ['GET', '/Patient/1/$everything', 'operation', 'r'],
    ['POST', '/', 'batch', 'c'],
  ])('%s %s is %s (%s)', (method, url, interaction, permission) => {
    expect(target(method, url)).toMatchObject({ interaction, permission });
  });

  test('paths that are not FHIR resources are not classified', () => {
    for (const url of ['/metadata', '/health', '/auth/login', '/admin/users', '/.well-known/jwks.json', '/']) {
      expect(classifyFhirRequest('GET', url)).toBeUndefined();
    }
  });
});

describe('role scopes', () => {
  test('patient: read and search, own compartment only, nothing else', () => {
    const p = principal('patient', '1000000001');
    expect(authorize(p, target('GET', '/Observation'))).toEqual({ ok: true, compartment: '1000000001' });
    expect(authorize(p, target('GET', '/Patient/1000000002'))).toEqual({ ok: true, compartment: '1000000001' });
    expect(authorize(p, target('POST', '/Observation'))).toMatchObject({ ok: false, status: 403 });
    expect(authorize(p, target('GET', '/Practitioner/1'))).toMatchObject({ ok: false, status: 403 });
    expect(authorize(p, target('GET', '/AuditEvent'))).toMatchObject({ ok: false, status: 403 });
    expect(mayManageUsers(p.scopes, 'r')).toBe(false);
  });

  test('a patient-scoped principal without a patient gets nothing', () => {
    expect(authorize(principal('patient'), target('GET', '/Observation'))).toMatchObject({ ok: false, status: 403 });
  });

  test('practitioner: reads all, creates and updates, never deletes, no users, no audit', () => {
    const p = principal('practitioner');
    expect(authorize(p, target('GET', '/Observation'))).toEqual({ ok: true });
    expect(authorize(p, target('POST', '/Observation'))).toEqual({ ok: true });
    expect(authorize(p, target('PUT', '/Patient/1'))).toEqual({ ok: true });
    expect(authorize(p, target('DELETE', '/Patient/1'))).toMatchObject({ ok: false, status: 403 });
    expect(authorize(p, target('GET', '/AuditEvent'))).toMatchObject({ ok: false, status: 403 });
    expect(mayManageUsers(p.scopes, 'c')).toBe(false);
  });

  test('auditor: the audit trail only', () => {
    const p = principal('auditor');
    expect(authorize(p, target('GET', '/AuditEvent?agent=x'))).toEqual({ ok: true });
    expect(authorize(p, target('GET', '/Patient/1'))).toMatchObject({ ok: false, status: 403 });
    expect(authorize(p, target('GET', '/Patient/1/$everything'))).toMatchObject({ ok: false, status: 403 });
  });

  test('admin: everything clinical and users, but AuditEvent is read-only for everyone (405)', () => {
    const p = principal('admin');
    expect(authorize(p, target('DELETE', '/Observation/1-2'))).toEqual({ ok: true });
    expect(mayManageUsers(p.scopes, 'd')).toBe(true);
    for (const role of ['admin', 'auditor', 'practitioner'] as const) {
      expect(authorize(principal(role), target('DELETE', '/AuditEvent/0-x'))).toMatchObject({ ok: false, status: 405 });
      expect(authorize(principal(role), target('PUT', '/AuditEvent/0-x'))).toMatchObject({ ok: false, status: 405 });
    }
  });

  test('a Bundle is allowed only when every entry is', () => {
    const p = principal('practitioner');
    expect(authorizeAll(p, [target('POST', '/Observation'), target('GET', '/Patient/1')])).toEqual({ ok: true });
    expect(authorizeAll(p, [target('POST', '/Observation'), target('DELETE', '/Patient/1')])).toMatchObject({ ok: false, status: 403 });
  });

  test('`*` never covers AuditEvent', () => {
    expect(grantFor(['user/*.cruds'], 'AuditEvent', 'r').allowed).toBe(false);
    expect(grantFor(['user/*.cruds'], 'Observation', 'd').allowed).toBe(true);
  });

  test('API key scopes are cut down to what the role has', () => {
    expect(narrowScopes('practitioner', ['user/Observation.rs', 'user/Patient.d', 'admin/users.r', 'user/AuditEvent.r'])).toEqual(['user/Observation.rs']);
    expect(narrowScopes('auditor', undefined)).toEqual(['user/AuditEvent.rs']);
    expect(scopeWithin('user/*.rs', ['user/*.crus'])).toBe(true);
    expect(scopeWithin('user/*.rs', ['user/Observation.rs'])).toBe(false);
    expect(scopeWithin('patient/Observation.r', ['user/*.crus'])).toBe(false);
    expect(scopeWithin('nonsense', ['user/*.crus'])).toBe(false);
  });
});
