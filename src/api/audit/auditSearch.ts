/**
 * `AuditEvent?patient=&agent=&date=&action=&_count=` as one SQL query with bound values. `patient`
 * becomes `documento_id = $n`, so a patient's trail is a router query on their shard; paging is a
 * keyset cursor on (recorded, event_id), newest first, never OFFSET.
 */
import type { Queryable } from '../auth/db.js';
import { AUDIT_COLUMNS, type AuditRow } from './auditEvent.js';

export class AuditSearchError extends Error {
  override readonly name = 'AuditSearchError';
}

export interface AuditQuery {
  readonly documentoId?: string;
  readonly agent?: string;
  readonly actions?: readonly string[];
  readonly subtype?: string;
  readonly dates: readonly { op: string; lo: Date; hi: Date }[];
  readonly count: number;
  readonly cursor?: { recorded: string; eventId: string };
  readonly total: boolean;
}

export const SEARCH_PARAMETERS = ['patient', 'agent', 'date', 'action', 'subtype', '_count', '_cursor', '_total'] as const;
export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/** A FHIR date/dateTime as the interval it stands for ([lo, hi)), refusing impossible dates. */
export function dateInterval(text: string): { lo: Date; hi: Date } {
  const m = DATE.exec(text);
  if (!m) throw new AuditSearchError(`date ${text} is not a FHIR date or dateTime`);
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : 1;
  const day = d ? Number(d) : 1;
  if (month < 1 || month > 12) throw new AuditSearchError(`date ${text} has no month ${month}`);
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > lastDay) throw new AuditSearchError(`date ${text} has no day ${day}`);
  if (h !== undefined) {
    if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) throw new AuditSearchError(`date ${text} has an impossible time`);
    const lo = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${frac ?? ''}${tz}`);
    const step = s === undefined ? 60_000 : frac ? 1 : 1_000;
    return { lo, hi: new Date(lo.getTime() + step) };
  }
  const lo = new Date(Date.UTC(year, month - 1, day));
  const hi = d ? new Date(Date.UTC(year, month - 1, day + 1)) : mo ? new Date(Date.UTC(year, month, 1)) : new Date(Date.UTC(year + 1, 0, 1));
  return { lo, hi };
}

const PREFIX = /^(eq|ne|gt|ge|lt|le|sa|eb)?(.*)$/;

type Params = Record<string, string | string[] | undefined>;
const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const one = (params: Params, name: string): string | undefined => {
  const values = all(params[name]);
  if (values.length > 1) throw new AuditSearchError(`${name} may be given once`);
  return values[0];
};

/** Parses the query string; the parameters it ignored are returned for the Bundle's OperationOutcome. */
export function parseAuditQuery(params: Params): { query: AuditQuery; ignored: string[] } {
  const ignored = Object.keys(params).filter((k) => !(SEARCH_PARAMETERS as readonly string[]).includes(k));
  const patient = one(params, 'patient');
  let documentoId: string | undefined;
  if (patient !== undefined) {
    const m = /^(?:Patient\/)?([0-9]{1,19})$/.exec(patient);
    if (!m?.[1] || BigInt(m[1]) > 9223372036854775807n) throw new AuditSearchError(`patient ${patient} is not a Patient id of this server`);
    documentoId = m[1];
  }
  const actions = (one(params, 'action') ?? '').split(',').filter(Boolean);
  for (const a of actions) if (!/^[CRUDE]$/.test(a)) throw new AuditSearchError(`action ${a} is not one of C, R, U, D, E`);
  const dates = all(params.date).map((value) => {
    const [, op = 'eq', rest = ''] = PREFIX.exec(value) ?? [];
    if (op === 'sa' || op === 'eb') throw new AuditSearchError(`date prefix ${op} is not supported`);
    return { op, ...dateInterval(rest) };
  });
  const countText = one(params, '_count');
  const count = countText === undefined ? DEFAULT_COUNT : Number(countText);
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw new AuditSearchError(`_count must be an integer from 1 to ${MAX_COUNT}`);
  const cursorText = one(params, '_cursor');
  let cursor: AuditQuery['cursor'];
  if (cursorText !== undefined) {
    const [recorded, eventId] = Buffer.from(cursorText, 'base64url').toString('utf8').split('|');
    if (!recorded || !eventId || Number.isNaN(Date.parse(recorded)) || !/^[0-9a-f-]{36}$/.test(eventId)) throw new AuditSearchError('_cursor is not a cursor this server made');
    cursor = { recorded, eventId };
  }
  const totalText = one(params, '_total');
  if (totalText !== undefined && !['none', 'accurate', 'estimate'].includes(totalText)) throw new AuditSearchError('_total must be none, estimate or accurate');
  const agent = one(params, 'agent');
  const subtype = one(params, 'subtype');
  return {
    query: {
      ...(documentoId ? { documentoId } : {}),
      ...(agent ? { agent } : {}),
      ...(actions.length ? { actions } : {}),
      ...(subtype ? { subtype } : {}),
      dates,
      count,
      ...(cursor ? { cursor } : {}),
      total: totalText === 'accurate',
    },
    ignored,
  };
}

export function cursorOf(row: AuditRow): string {
  return Buffer.from(`${row.recorded_exact}|${row.event_id}`, 'utf8').toString('base64url');
}

function whereOf(q: AuditQuery, values: unknown[]): string[] {
  const where: string[] = [];
  const bind = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  if (q.documentoId) where.push(`documento_id = ${bind(q.documentoId)}::bigint`);
  if (q.agent) where.push(`agent = ${bind(q.agent)}`);
  if (q.actions) where.push(`action = ANY(${bind(q.actions)}::text[])`);
  if (q.subtype) where.push(`subtype = ${bind(q.subtype)}`);
  for (const { op, lo, hi } of q.dates) {
    // Bind only what the condition uses: an unused parameter has no type and PostgreSQL refuses it.
    const at = (d: Date) => `${bind(d.toISOString())}::timestamptz`;
    switch (op) {
      case 'ne':
        where.push(`(recorded < ${at(lo)} OR recorded >= ${at(hi)})`);
        break;
      case 'gt':
        where.push(`recorded >= ${at(hi)}`);
        break;
      case 'ge':
        where.push(`recorded >= ${at(lo)}`);
        break;
      case 'lt':
        where.push(`recorded < ${at(lo)}`);
        break;
      case 'le':
        where.push(`recorded < ${at(hi)}`);
        break;
      default:
        where.push(`recorded >= ${at(lo)} AND recorded < ${at(hi)}`);
    }
  }
  return where;
}

export async function searchAuditEvents(db: Queryable, q: AuditQuery): Promise<{ rows: AuditRow[]; more: boolean; total?: number }> {
  const values: unknown[] = [];
  const where = whereOf(q, values);
  const filter = [...where];
  if (q.cursor) {
    values.push(q.cursor.recorded, q.cursor.eventId);
    filter.push(`(recorded, event_id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
  }
  values.push(q.count + 1);
  const { rows } = await db.query<AuditRow>(
    `SELECT ${AUDIT_COLUMNS} FROM api_audit_events ${filter.length ? `WHERE ${filter.join(' AND ')}` : ''}
      ORDER BY recorded DESC, event_id DESC LIMIT $${values.length}`,
    values,
  );
  const more = rows.length > q.count;
  let total: number | undefined;
  if (q.total) {
    const countValues: unknown[] = [];
    const countWhere = whereOf(q, countValues);
    const { rows: c } = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM api_audit_events ${countWhere.length ? `WHERE ${countWhere.join(' AND ')}` : ''}`,
      countValues,
    );
    total = Number(c[0]?.n ?? 0);
  }
  return { rows: rows.slice(0, q.count), more, ...(total !== undefined ? { total } : {}) };
}

export async function readAuditEvent(db: Queryable, documentoId: string, eventId: string): Promise<AuditRow | undefined> {
  const { rows } = await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM api_audit_events WHERE documento_id = $1 AND event_id = $2`, [
    documentoId,
    eventId,
  ]);
  return rows[0];
}
