/**
 * The audit of one HTTP request: exactly one AuditEvent per interaction. A write records it inside
 * its own transaction (RequestAccess.recordWrite, called by the repository before COMMIT), so the
 * write and its trace commit or roll back together. Everything else (reads, searches, refusals,
 * failures, and a write whose transaction rolled back) is recorded just before the response leaves,
 * with the status actually answered; if that insert fails the client gets 503 instead of data
 * nobody traced.
 */
import type { Pool } from 'pg';
import type { SqlExecutor } from '../auth/requestAccess.js';
import { NO_PATIENT, outcomeOf, writeAudit, type AuditAction, type AuditRecord } from './auditRecord.js';

export interface AuditSubjectInfo {
  agent?: string;
  agentRole?: string;
  apiKeyId?: string;
}

export class RequestAudit {
  subtype: string;
  action: AuditAction;
  entity: string | undefined;
  documentoId: string | undefined;
  detail: string | undefined;
  who: AuditSubjectInfo = {};
  /** Set once the event is written: where, and its id (to check a rolled-back transaction did not take it). */
  private written: { eventId: string; documentoId: string; inTransaction: boolean } | undefined;

  constructor(
    private readonly request: { readonly method: string; readonly url: string; readonly address: string },
    what: { subtype: string; action: AuditAction; entity?: string; documentoId?: string },
  ) {
    this.subtype = what.subtype;
    this.action = what.action;
    this.entity = what.entity;
    this.documentoId = what.documentoId;
  }

  private record(status: number, documentoId: string | undefined): AuditRecord {
    return {
      documentoId: documentoId ?? this.documentoId ?? NO_PATIENT,
      action: this.action,
      subtype: this.subtype,
      agent: this.who.agent ?? 'anonymous',
      ...(this.who.agentRole ? { agentRole: this.who.agentRole } : {}),
      ...(this.who.apiKeyId ? { apiKeyId: this.who.apiKeyId } : {}),
      address: this.request.address,
      method: this.request.method,
      path: this.request.url,
      ...(this.entity ? { entity: this.entity } : {}),
      status,
      ...(this.detail ? { detail: this.detail } : {}),
    };
  }

  /**
   * Inside a write's transaction: records the event there (the first write of the request carries it;
   * a Bundle is one interaction and gets one event).
   */
  async recordWrite(client: SqlExecutor, write: { documentoId: string; reference?: string; status?: number }): Promise<void> {
    if (this.written) return;
    // A single write names its resource and patient exactly (a create learns its id only now); a Bundle stays `Bundle`.
    if (write.reference && this.subtype !== 'batch') this.entity = write.reference;
    const documentoId = write.documentoId;
    this.documentoId = documentoId;
    const eventId = await writeAudit(client, this.record(write.status ?? (this.action === 'C' ? 201 : 200), documentoId));
    this.written = { eventId, documentoId, inTransaction: true };
  }

  /** Same, on a connection the caller manages (admin changes, which run their own transaction). */
  async recordOn(client: SqlExecutor, status: number): Promise<void> {
    await this.recordWrite(client, { documentoId: this.documentoId ?? NO_PATIENT, status });
  }

  /** Before the response: writes the event unless a committed write already carries it. */
  async finish(pool: Pool, status: number): Promise<void> {
    if (this.written?.inTransaction) {
      if (outcomeOf(status) === '0') return;
      // A failed request whose transaction had written the event: the rollback took it away, unless it committed.
      const { rowCount } = await pool.query('SELECT 1 FROM api_audit_events WHERE documento_id = $1 AND event_id = $2', [
        this.written.documentoId,
        this.written.eventId,
      ]);
      if (rowCount) return;
    } else if (this.written) {
      return;
    }
    const eventId = await writeAudit(pool, this.record(status, undefined));
    this.written = { eventId, documentoId: this.documentoId ?? NO_PATIENT, inTransaction: false };
  }
}
