/**
 * Search filters -> one parameterised SELECT. Paging is keyset: the cursor holds the last row's sort
 * value and key, and the next page starts strictly after it (no OFFSET scan, stable while rows are
 * added). Column expressions come from the resource tables; every request value is a bound parameter.
 */
import type { ResourceDefinition } from '../resources/definition.js';
import type { Filter, SearchRequest } from '../fhir/searchParameters.js';
import { keyColumns, rowSelect } from './resourceStore.js';
import { quoteIdentifier } from '../../activities/postgres/identifiers.js';

export interface Keyset {
  /** Sort value of the row the page continues from (absent when sorting by key only). */
  readonly sortValue?: string | null;
  readonly key: readonly string[];
  /** `next`: rows after it in sort order; `previous`: rows before it. */
  readonly direction: 'next' | 'previous';
}

export interface SearchSql {
  readonly text: string;
  readonly values: unknown[];
  readonly countText: string;
  readonly countValues: unknown[];
}

const BIGINT = /^[1-9][0-9]{0,18}$/;

class Binder {
  readonly values: unknown[] = [];
  bind(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function anyOf(parts: string[]): string {
  if (!parts.length) return 'FALSE';
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`;
}

function condition(filter: Filter, b: Binder, def: ResourceDefinition): string {
  switch (filter.kind) {
    case 'string':
      return anyOf(
        filter.values.flatMap((v) =>
          filter.expressions.map((e) => {
            if (filter.mode === 'exact') return `${e} = ${b.bind(v)}`;
            const pattern = filter.mode === 'contains' ? `%${likeEscape(v)}%` : `${likeEscape(v)}%`;
            return `${e} ILIKE ${b.bind(pattern)}`;
          }),
        ),
      );
    case 'token':
      return anyOf(
        filter.values.map((v) => {
          const parts: string[] = [];
          if (v.system !== undefined && v.system !== '') {
            if (filter.systemExpression) parts.push(`${filter.systemExpression} = ${b.bind(v.system)}`);
            else if (filter.system !== v.system) return 'FALSE';
          }
          if (v.code !== undefined) {
            if (filter.bigint) {
              if (!BIGINT.test(v.code)) return 'FALSE';
              parts.push(`${filter.expression} = ${b.bind(v.code, '::bigint')}`);
            } else parts.push(`${filter.expression} = ${b.bind(v.code)}`);
          } else parts.push(`${filter.expression} IS NOT NULL`);
          return parts.join(' AND ');
        }),
      );
    case 'date':
      // AND of each value's range test: date=ge2024-01-01&date=lt2025 are two filters; a comma is OR.
      return anyOf(
        filter.values.map((r) => {
          const e = `(${filter.expression})::timestamptz`;
          switch (r.prefix) {
            case 'eq':
              return `(${e} >= ${b.bind(r.start, '::timestamptz')} AND ${e} < ${b.bind(r.end, '::timestamptz')})`;
            case 'ne':
              return `NOT (${e} >= ${b.bind(r.start, '::timestamptz')} AND ${e} < ${b.bind(r.end, '::timestamptz')})`;
            case 'gt':
              return `${e} >= ${b.bind(r.end, '::timestamptz')}`;
            case 'ge':
              return `${e} >= ${b.bind(r.start, '::timestamptz')}`;
            case 'lt':
              return `${e} < ${b.bind(r.start, '::timestamptz')}`;
            case 'le':
              return `${e} < ${b.bind(r.end, '::timestamptz')}`;
          }
        }),
      );
    case 'patient': {
      const documentos = filter.documentos.filter((d): d is string => d !== undefined);
      if (def.scope === 'reference') return 'FALSE';
      if (documentos.length === 1) return `t.documento_id = ${b.bind(documentos[0], '::bigint')}`;
      return documentos.length ? `t.documento_id = ANY(${b.bind(documentos, '::bigint[]')})` : 'FALSE';
    }
    case 'id':
      return anyOf(
        filter.keys.map((k) => {
          if (!k) return 'FALSE';
          const cols = keyColumns(def);
          const vals = def.scope === 'patient' ? [k.documento] : def.scope === 'compartment' ? [k.documento, k.local] : [k.local];
          return cols.map((c, i) => `t.${quoteIdentifier(c)} = ${b.bind(vals[i], '::bigint')}`).join(' AND ');
        }),
      );
  }
}

/** The expression rows are ordered by before their key, as text the cursor can carry. */
function sortExpression(def: ResourceDefinition, search: SearchRequest): string | undefined {
  if (search.sort.by === 'lastUpdated') return 't.last_updated';
  if (search.sort.by === 'date' && def.sortDate) return `coalesce((${def.sortDate})::timestamptz, '-infinity'::timestamptz)`;
  return undefined;
}

export function buildSearchSql(def: ResourceDefinition, search: SearchRequest, keyset?: Keyset): SearchSql {
  const b = new Binder();
  const where = search.filters.map((f) => condition(f, b, def));
  const countValues = [...b.values];
  const countWhere = where.length ? where.join(' AND ') : 'TRUE';

  const sortExpr = sortExpression(def, search);
  const keys = keyColumns(def).map((c) => `t.${quoteIdentifier(c)}`);
  const ordered = [...(sortExpr ? [sortExpr] : []), ...keys];
  // Walking backwards reverses the order; the caller puts the page back in order.
  const descending = search.sort.descending !== (keyset?.direction === 'previous');
  if (keyset) {
    const bounds = [
      ...(sortExpr ? [b.bind(keyset.sortValue ?? '-infinity', '::timestamptz')] : []),
      ...keyset.key.map((k) => b.bind(k, '::bigint')),
    ];
    where.push(`(${ordered.join(', ')}) ${descending ? '<' : '>'} (${bounds.join(', ')})`);
  }
  const direction = descending ? ' DESC' : '';
  const text =
    `SELECT ${rowSelect(def)}, ${sortExpr ? `(${sortExpr})::text` : 'NULL::text'} AS sort_value FROM ${quoteIdentifier(def.table)} t` +
    ` WHERE ${where.length ? where.join(' AND ') : 'TRUE'}` +
    ` ORDER BY ${ordered.map((o) => o + direction).join(', ')} LIMIT ${b.bind(search.count + 1, '::int')}`;
  return {
    text,
    values: b.values,
    countText: `SELECT count(*)::text AS n FROM ${quoteIdentifier(def.table)} t WHERE ${countWhere}`,
    countValues,
  };
}
