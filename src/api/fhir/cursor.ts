/** Opaque page cursors for keyset paging: the sort value and key of the row a page continues from. */
import type { Keyset } from '../storage/searchSql.js';
import { badRequest } from './outcomes.js';

const BIGINT = /^[1-9][0-9]{0,18}$/;
const TIMESTAMP = /^(-?infinity|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:\d{2})?)?)$/;

export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(JSON.stringify({ d: keyset.direction === 'next' ? 'n' : 'p', s: keyset.sortValue ?? null, k: keyset.key })).toString('base64url');
}

export function decodeCursor(token: string, keyLength: number, sorted: boolean): Keyset {
  const invalid = () => badRequest('_cursor is not a cursor this server handed out: follow the Bundle links as they are.', ['_cursor']);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const c = parsed as { d?: unknown; s?: unknown; k?: unknown };
  if (c.d !== 'n' && c.d !== 'p') throw invalid();
  if (!Array.isArray(c.k) || c.k.length !== keyLength || !c.k.every((k) => typeof k === 'string' && BIGINT.test(k))) throw invalid();
  if (sorted ? !(c.s === null || (typeof c.s === 'string' && TIMESTAMP.test(c.s))) : c.s !== null) throw invalid();
  return { direction: c.d === 'n' ? 'next' : 'previous', sortValue: c.s as string | null, key: c.k as string[] };
}
