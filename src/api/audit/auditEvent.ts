/**
 * A stored audit row as a FHIR R4 AuditEvent. Its id is `<documento_id>-<event uuid>`: like every
 * compartment resource here, the id alone names the shard that holds it.
 */
export interface AuditRow {
  documento_id: string;
  event_id: string;
  recorded: Date;
  /** recorded to the microsecond (a JS Date keeps milliseconds): what paging cursors carry. */
  recorded_exact: string;
  action: string;
  subtype: string;
  agent: string;
  agent_role: string | null;
  api_key_id: string | null;
  address: string;
  method: string;
  path: string;
  entity: string | null;
  status: number;
  outcome: string;
  detail: string | null;
}

export const AUDIT_COLUMNS =
  'documento_id::text, event_id::text, recorded, to_char(recorded AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS recorded_exact, action, subtype, agent, agent_role, api_key_id::text, address, method, path, entity, status, outcome, detail';

const REST_CODES = new Set([
  'read', 'vread', 'update', 'patch', 'delete', 'history', 'history-instance', 'history-type', 'create', 'search', 'search-type', 'batch', 'transaction', 'operation',
]);

export function auditEventId(documentoId: string, eventId: string): string {
  return `${documentoId}-${eventId}`;
}

const ID = /^([0-9]{1,19})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function parseAuditEventId(id: string): { documentoId: string; eventId: string } | undefined {
  const m = ID.exec(id);
  if (!m?.[1] || !m[2] || BigInt(m[1]) > 9223372036854775807n) return undefined;
  return { documentoId: m[1], eventId: m[2] };
}

function typeOf(subtype: string) {
  if (REST_CODES.has(subtype)) {
    return {
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: subtype }],
    };
  }
  const login = subtype === 'login' || subtype === 'logout' || subtype === 'refresh';
  return {
    type: login
      ? { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114', display: 'User Authentication' }
      : { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110', display: 'Patient Record' },
    subtype: [{ system: 'urn:citus-lab:audit-subtype', code: subtype }],
  };
}

function entityOf(row: AuditRow) {
  const entity: Record<string, unknown> = {};
  if (row.entity && /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(row.entity)) entity.what = { reference: row.entity };
  else if (row.documento_id !== '0') entity.what = { reference: `Patient/${row.documento_id}` };
  // The request as received (FHIR wants the query base64Binary; R4 allows a query or a name, not both).
  entity.query = Buffer.from(`${row.method} ${row.path}`, 'utf8').toString('base64');
  entity.description = `${row.entity ? `${row.entity}: ` : ''}${row.method} ${row.path} -> ${row.status}`;
  return entity;
}

export function toAuditEvent(row: AuditRow): Record<string, unknown> {
  const { type, subtype } = typeOf(row.subtype);
  return {
    resourceType: 'AuditEvent',
    id: auditEventId(row.documento_id, row.event_id),
    meta: { versionId: '1', lastUpdated: row.recorded.toISOString() },
    type,
    subtype,
    action: row.action,
    recorded: row.recorded.toISOString(),
    outcome: row.outcome,
    ...(row.detail ? { outcomeDesc: row.detail } : {}),
    agent: [
      {
        who: { identifier: { system: 'urn:citus-lab:api-user', value: row.agent }, display: row.agent },
        ...(row.api_key_id ? { altId: `api-key:${row.api_key_id}` } : {}),
        ...(row.agent_role ? { role: [{ text: row.agent_role }] } : {}),
        requestor: true,
        network: { address: row.address, type: '2' },
      },
    ],
    source: { observer: { display: 'citus-lab-api' } },
    entity: [entityOf(row)],
  };
}
