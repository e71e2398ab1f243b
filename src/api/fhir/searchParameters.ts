/**
 * Parses FHIR search parameters into typed filters, checking every value (a bad date, a negative
 * _count: 400). Parameters the type does not support are collected, not applied: the caller
 * reports them in the Bundle, or refuses them under `Prefer: handling=strict`.
 */
import type { ResourceDefinition, SearchParamDefinition } from '../resources/definition.js';
import { type RowKey, keyOfId, documentoOfPatientReference } from '../storage/fhirIds.js';
import { badRequest } from './outcomes.js';

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

export type DatePrefix = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export interface DateRange {
  readonly prefix: DatePrefix;
  /** Inclusive lower and exclusive upper bound of the value's precision, as ISO instants. */
  readonly start: string;
  readonly end: string;
}

export type Filter =
  | { readonly kind: 'string'; readonly expressions: readonly string[]; readonly mode: 'starts' | 'exact' | 'contains'; readonly values: readonly string[] }
  | {
      readonly kind: 'token';
      readonly expression: string;
      readonly system?: string;
      readonly systemExpression?: string;
      readonly bigint: boolean;
      readonly values: readonly { system?: string; code?: string }[];
    }
  | { readonly kind: 'date'; readonly expression: string; readonly values: readonly DateRange[] }
  | { readonly kind: 'patient'; readonly documentos: readonly (string | undefined)[] }
  | { readonly kind: 'id'; readonly keys: readonly (RowKey | undefined)[] };

export type SortOrder = { readonly by: 'key' | 'lastUpdated' | 'date'; readonly descending: boolean };

export interface SearchRequest {
  readonly filters: readonly Filter[];
  readonly count: number;
  readonly sort: SortOrder;
  readonly total: 'none' | 'accurate';
  readonly cursor?: string;
  /** Parameters neither supported nor understood, as `name=value`. */
  readonly unknown: readonly string[];
}

/** Parameters every type has, besides its own (listed in /metadata too). */
export const COMMON_PARAMETERS = [
  { name: '_id', type: 'token', description: 'Logical id of the resource.' },
  { name: '_lastUpdated', type: 'date', description: 'When the resource last changed.' },
] as const;
export const RESULT_PARAMETERS = ['_count', '_sort', '_total', '_cursor'] as const;

const DATE = /^(eq|ne|gt|ge|lt|le)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** A FHIR date search value as the range its precision covers; throws 400 on an impossible date. */
export function parseDateValue(raw: string, param: string): DateRange {
  const m = DATE.exec(raw);
  if (!m) throw badRequest(`${param}=${raw}: not a FHIR date (use [prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]], prefix eq|ne|gt|ge|lt|le).`);
  const [, prefix, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? undefined : Number(mo);
  const day = d === undefined ? undefined : Number(d);
  const invalid = () => badRequest(`${param}=${raw}: no such date or time.`);
  if (month !== undefined && (month < 1 || month > 12)) throw invalid();
  if (day !== undefined && (day < 1 || day > new Date(Date.UTC(year, month as number, 0)).getUTCDate())) throw invalid();
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) throw invalid();
  let start: string;
  let end: string;
  if (month === undefined) {
    start = `${y}-01-01T00:00:00Z`;
    end = `${year + 1}-01-01T00:00:00Z`;
  } else if (day === undefined) {
    start = `${y}-${mo}-01T00:00:00Z`;
    end = month === 12 ? `${year + 1}-01-01T00:00:00Z` : `${y}-${two(month + 1)}-01T00:00:00Z`;
  } else if (h === undefined) {
    start = `${y}-${mo}-${d}T00:00:00Z`;
    end = new Date(Date.UTC(year, month - 1, day + 1)).toISOString();
  } else {
    const tz = zone ?? 'Z';
    start = `${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${frac ?? ''}${tz}`;
    const ms = new Date(start).getTime();
    if (Number.isNaN(ms)) throw invalid();
    // The precision given: to the second (or fraction), or to the minute.
    end = new Date(ms + (frac ? 1 : s !== undefined ? 1000 : 60_000)).toISOString();
  }
  return { prefix: (prefix ?? 'eq') as DatePrefix, start, end };
}

/** Splits on commas not escaped with a backslash (FHIR's OR), unescaping `\,`. */
function orValues(raw: string): string[] {
  return raw.split(/(?<!\\),/).map((v) => v.replace(/\\([,$|\\])/g, '$1'));
}

function tokenValue(raw: string): { system?: string; code?: string } {
  const bar = raw.search(/(?<!\\)\|/);
  if (bar < 0) return { code: raw };
  const system = raw.slice(0, bar);
  const code = raw.slice(bar + 1);
  return { system, ...(code ? { code } : {}) };
}

function filterOf(def: ResourceDefinition, param: SearchParamDefinition | (typeof COMMON_PARAMETERS)[number], modifier: string | undefined, raw: string): Filter | undefined {
  const values = orValues(raw);
  if (param.name === '_id') {
    if (modifier) return undefined;
    return { kind: 'id', keys: values.map((v) => keyOfId(def.scope, v)) };
  }
  if (param.name === '_lastUpdated') {
    if (modifier) return undefined;
    return { kind: 'date', expression: 't.last_updated', values: values.map((v) => parseDateValue(v, param.name)) };
  }
  const p = param as SearchParamDefinition;
  switch (p.type) {
    case 'string': {
      const mode = modifier === undefined ? 'starts' : modifier === 'exact' ? 'exact' : modifier === 'contains' ? 'contains' : undefined;
      if (!mode) return undefined;
      return { kind: 'string', expressions: p.expressions, mode, values };
    }
    case 'token':
      if (modifier) return undefined;
      return {
        kind: 'token',
        expression: p.expression,
        bigint: p.expression === 't.documento_id',
        ...(p.system ? { system: p.system } : {}),
        ...(p.systemExpression ? { systemExpression: p.systemExpression } : {}),
        values: values.map(tokenValue),
      };
    case 'date':
      if (modifier) return undefined;
      return { kind: 'date', expression: p.expression, values: values.map((v) => parseDateValue(v, p.name)) };
    case 'reference':
      if (modifier && modifier !== 'Patient') return undefined;
      return { kind: 'patient', documentos: values.map((v) => documentoOfPatientReference(v)) };
  }
}

function parseCount(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_COUNT;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_COUNT) throw badRequest(`_count=${raw}: use a whole number from 0 to ${MAX_COUNT}.`, ['_count']);
  return Number(raw);
}

function parseSort(def: ResourceDefinition, raw: string | undefined): SortOrder {
  if (raw === undefined) return { by: 'key', descending: false };
  const descending = raw.startsWith('-');
  const name = descending ? raw.slice(1) : raw;
  if (name === '_lastUpdated') return { by: 'lastUpdated', descending };
  if (name === '_id') return { by: 'key', descending };
  if (name === 'date' && def.sortDate) return { by: 'date', descending };
  throw badRequest(`_sort=${raw}: ${def.type} sorts by _id, _lastUpdated${def.sortDate ? ', date' : ''} (prefix - for descending).`, ['_sort']);
}

/** Search parameters of a type, by name: its own and the common ones. */
export function parametersOf(def: ResourceDefinition): Map<string, SearchParamDefinition | (typeof COMMON_PARAMETERS)[number]> {
  return new Map<string, SearchParamDefinition | (typeof COMMON_PARAMETERS)[number]>([
    ...COMMON_PARAMETERS.map((p) => [p.name, p] as const),
    ...def.search.map((p) => [p.name, p] as const),
  ]);
}

export function parseSearch(def: ResourceDefinition, params: URLSearchParams): SearchRequest {
  const known = parametersOf(def);
  const filters: Filter[] = [];
  const unknown: string[] = [];
  for (const [name, value] of params) {
    if ((RESULT_PARAMETERS as readonly string[]).includes(name)) continue;
    const [base = '', modifier] = name.split(':', 2);
    const param = known.get(base);
    const filter = param ? filterOf(def, param, modifier, value) : undefined;
    if (filter) filters.push(filter);
    else unknown.push(`${name}=${value}`);
  }
  const total = params.get('_total') ?? 'none';
  if (total !== 'none' && total !== 'accurate' && total !== 'estimate') throw badRequest(`_total=${total}: use none or accurate.`, ['_total']);
  const cursor = params.get('_cursor') ?? undefined;
  return {
    filters,
    count: parseCount(params.get('_count') ?? undefined),
    sort: parseSort(def, params.get('_sort') ?? undefined),
    total: total === 'none' ? 'none' : 'accurate',
    ...(cursor ? { cursor } : {}),
    unknown,
  };
}
