/**
 * The four roles and what each may do, as SMART-on-FHIR v2 style scopes (`<context>/<Type>.<cruds>`):
 *
 *   patient       patient/*.rs          read and search, only inside their own compartment
 *   practitioner  user/*.crus           read every patient; create and update; no delete, no users
 *   admin         user/*.cruds  user/AuditEvent.rs  admin/users.cruds
 *   auditor       user/AuditEvent.rs    the audit trail and nothing clinical
 *
 * `*` means the clinical resource types, never AuditEvent: reading the trail needs its own scope.
 * `admin/users` is this server's own scope for /admin (users and API keys). Nobody has `d` on AuditEvent.
 */
export const ROLES = ['admin', 'practitioner', 'patient', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export const ROLE_SCOPES: Readonly<Record<Role, readonly string[]>> = {
  patient: ['patient/*.rs'],
  practitioner: ['user/*.crus'],
  admin: ['user/*.cruds', 'user/AuditEvent.rs', 'admin/users.cruds'],
  auditor: ['user/AuditEvent.rs'],
};

export const AUDIT_TYPE = 'AuditEvent';
export const USERS_RESOURCE = 'users';

/** One letter of SMART v2: create, read, update, delete, search. */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

interface ParsedScope {
  readonly context: 'patient' | 'user' | 'admin';
  readonly type: string;
  readonly permissions: ReadonlySet<Permission>;
}

const SCOPE = /^(patient|user|admin)\/([A-Za-z]+|\*)\.(c?r?u?d?s?)$/;

export function parseScope(scope: string): ParsedScope | undefined {
  const m = SCOPE.exec(scope);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { context: m[1] as ParsedScope['context'], type: m[2], permissions: new Set(m[3].split('') as Permission[]) };
}

export function isValidScope(scope: string): boolean {
  return parseScope(scope) !== undefined;
}

/** What a set of scopes grants on one resource type: the permissions, and whether only in the own compartment. */
export interface Grant {
  readonly allowed: boolean;
  /** True when the grant comes from `patient/` scopes only: every query must carry the compartment filter. */
  readonly compartmentOnly: boolean;
}

function covers(scope: ParsedScope, type: string): boolean {
  if (scope.context === 'admin') return false;
  if (scope.type === '*') return type !== AUDIT_TYPE;
  return scope.type === type;
}

export function grantFor(scopes: readonly string[], type: string, permission: Permission): Grant {
  let user = false;
  let patient = false;
  for (const text of scopes) {
    const scope = parseScope(text);
    if (!scope || !covers(scope, type) || !scope.permissions.has(permission)) continue;
    if (scope.context === 'user') user = true;
    else patient = true;
  }
  return { allowed: user || patient, compartmentOnly: !user && patient };
}

export function mayManageUsers(scopes: readonly string[], permission: Permission): boolean {
  return scopes.some((text) => {
    const scope = parseScope(text);
    return scope?.context === 'admin' && scope.type === USERS_RESOURCE && scope.permissions.has(permission);
  });
}

function typeWithin(requested: string, own: string): boolean {
  if (own === '*') return requested !== AUDIT_TYPE;
  return requested === own;
}

/** Whether everything `requested` grants is also granted by one of `own` (same context, wider or equal type). */
export function scopeWithin(requested: string, own: readonly string[]): boolean {
  const r = parseScope(requested);
  if (!r || r.permissions.size === 0) return false;
  const owned = own.map(parseScope).filter((o): o is ParsedScope => o !== undefined);
  return [...r.permissions].every((p) =>
    owned.some((o) => o.context === r.context && typeWithin(r.type, o.type) && o.permissions.has(p)),
  );
}

/** The scopes a key may hold for a user of this role: what was asked for, cut down to what the role has. */
export function narrowScopes(role: Role, requested: readonly string[] | undefined): string[] {
  const own = ROLE_SCOPES[role];
  if (!requested) return [...own];
  return requested.filter((s) => scopeWithin(s, own));
}
