import { decodeCursor, encodeCursor } from '../../../src/api/fhir/cursor.js';
import { FhirError } from '../../../src/api/fhir/outcomes.js';
import { parseDateValue, parseSearch } from '../../../src/api/fhir/searchParameters.js';
import { observationDefinition } from '../../../src/api/resources/observation.js';
import type { ResourceDefinition } from '../../../src/api/resources/definition.js';
import { buildSearchSql } from '../../../src/api/storage/searchSql.js';

const observation = observationDefinition as unknown as ResourceDefinition;

function status(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof FhirError ? err.status : -1;
  }
  return undefined;
}

describe('date search values', () => {
  test('each precision covers its range', () => {
    expect(parseDateValue('2024', 'date')).toEqual({ prefix: 'eq', start: '2024-01-01T00:00:00Z', end: '2025-01-01T00:00:00Z' });
    expect(parseDateValue('ge2024-02', 'date')).toEqual({ prefix: 'ge', start: '2024-02-01T00:00:00Z', end: '2024-03-01T00:00:00Z' });
    expect(parseDateValue('lt2024-12', 'date').end).toBe('2025-01-01T00:00:00Z');
    expect(parseDateValue('2024-02-29', 'date').end).toBe('2024-03-01T00:00:00.000Z');
    expect(parseDateValue('2024-05-01T10:00:00+02:00', 'date')).toMatchObject({ start: '2024-05-01T10:00:00+02:00', end: '2024-05-01T08:00:01.000Z' });
  });

  test('impossible dates are a 400', () => {
    for (const v of ['2024-13-45', '2023-02-29', '2024-00', 'gx2024', '2024-01-01T24:00', '20240101']) expect({ v, status: status(() => parseDateValue(v, 'date')) }).toEqual({ v, status: 400 });
  });
});

describe('parseSearch', () => {
  test('known parameters become filters; unknown ones are collected', () => {
    const s = parseSearch(observation, new URLSearchParams('patient=Patient/1000000001&code=http://loinc.org|8867-4&colour=blue&name:exact=x&_count=5'));
    expect(s.filters.map((f) => f.kind)).toEqual(['patient', 'token']);
    expect(s.unknown).toEqual(['colour=blue', 'name:exact=x']);
    expect(s.count).toBe(5);
  });

  test('_count, _sort and _total are checked', () => {
    for (const q of ['_count=-1', '_count=1001', '_count=1.5', '_sort=colour', '_total=maybe']) expect({ q, status: status(() => parseSearch(observation, new URLSearchParams(q))) }).toEqual({ q, status: 400 });
  });

  test('values are bound parameters, never SQL text', () => {
    const evil = "x'); DROP TABLE observaciones; --";
    const sql = buildSearchSql(observation, parseSearch(observation, new URLSearchParams({ code: evil, status: evil })));
    expect(sql.text).not.toContain('DROP');
    expect(sql.values).toEqual(expect.arrayContaining([evil]));
  });

  test('paging is keyset, never OFFSET', () => {
    const search = parseSearch(observation, new URLSearchParams('patient=1000000001&_sort=-date'));
    const sql = buildSearchSql(observation, search, { direction: 'next', sortValue: '2024-01-01 00:00:00+00', key: ['1000000001', '5'] });
    expect(sql.text).not.toMatch(/OFFSET/i);
    expect(sql.text).toContain('ORDER BY coalesce((t.fecha)::timestamptz');
    expect(sql.text).toMatch(/\) < \(\$\d+::timestamptz, \$\d+::bigint, \$\d+::bigint\)/);
  });
});

describe('cursors', () => {
  test('round trip, and refuse anything else', () => {
    const keyset = { direction: 'previous' as const, sortValue: '2024-01-01 00:00:00+00', key: ['1000000001', '5'] };
    expect(decodeCursor(encodeCursor(keyset), 2, true)).toEqual(keyset);
    for (const token of ['nope', encodeCursor({ ...keyset, key: ['1'] }), encodeCursor({ ...keyset, sortValue: "'; DROP" }), encodeCursor({ ...keyset, key: ['x', '1'] })]) {
      expect(status(() => decodeCursor(token, 2, true))).toBe(400);
    }
  });
});
