/**
 * One audit record (table api_audit_events) and how it is written. Written on the connection the
 * caller hands in: inside a write's own transaction (so the write and its trace commit together, on
 * the patient's shard), or on the pool for reads, refusals and failures.
 */
import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../auth/requestAccess.js';

/** documento_id of events that concern no single patient (logins, admin changes, cross-patient searches). */
export const NO_PATIENT = '0';

export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

export interface AuditRecord {
  readonly documentoId: string;
  readonly action: AuditAction;
  /** restful-interaction code (read, search-type, create, ...) or one of ours (login, refresh, logout, api-key-create, ...). */
  readonly subtype: string;
  readonly agent: string;
  readonly agentRole?: string;
  readonly apiKeyId?: string;
  readonly address: string;
  readonly method: string;
  readonly path: string;
  readonly entity?: string;
  readonly status: number;
  readonly detail?: string;
}

/** FHIR AuditEvent.outcome: 0 success, 4 minor failure (the request was refused), 8 serious failure (ours). */
export function outcomeOf(status: number): '0' | '4' | '8' {
  if (status < 400) return '0';
  return status < 500 ? '4' : '8';
}

const MAX_TEXT = 2_000;
const clip = (s: string | undefined) => (s === undefined ? null : s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

export async function writeAudit(db: SqlExecutor, record: AuditRecord): Promise<string> {
  const eventId = randomUUID();
  await db.query(
    `INSERT INTO api_audit_events
       (documento_id, event_id, action, subtype, agent, agent_role, api_key_id, address, method, path, entity, status, outcome, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      record.documentoId,
      eventId,
      record.action,
      record.subtype,
      clip(record.agent),
      record.agentRole ?? null,
      record.apiKeyId ?? null,
      clip(record.address),
      record.method,
      clip(record.path),
      clip(record.entity),
      record.status,
      outcomeOf(record.status),
      clip(record.detail),
    ],
  );
  return eventId;
}
