import {
  DOCUMENT_BASE,
  SAMPLE_TABLES,
  expectedObservationAggregates,
  expectedRowCounts,
  hash,
  mul32,
} from '../../../src/activities/postgres/sampleRows.js';
import { TABLES, TABLE_PLAN, readSchemaSql } from '../../../src/activities/postgres/schema.js';

const lines = (table: string, patients: number) => {
  const t = SAMPLE_TABLES.find((s) => s.table === table);
  if (!t) throw new Error(`no sample table ${table}`);
  return [...t.lines(patients)];
};

describe('sample data generator', () => {
  test('mul32 is Math.imul', () => {
    for (let i = 0; i < 10_000; i++) {
      const a = (i * 2_654_435_761) >>> 0;
      const b = (i * 40_503 + 0x85ebca6b) >>> 0;
      expect(mul32(a, b)).toBe(Math.imul(a, b));
    }
    expect(mul32(0xffffffff, 0xffffffff)).toBe(Math.imul(0xffffffff, 0xffffffff));
  });

  test('is deterministic and spreads values', () => {
    expect(lines('observaciones', 50)).toEqual(lines('observaciones', 50));
    const hashes = new Set(Array.from({ length: 1000 }, (_, i) => hash(i, 1) % 97));
    expect(hashes.size).toBeGreaterThan(90);
  });

  test('a larger data set extends a smaller one', () => {
    for (const t of SAMPLE_TABLES) {
      expect(lines(t.table, 200).slice(0, lines(t.table, 100).length)).toEqual(lines(t.table, 100));
    }
  });

  test('emits exactly the expected rows, with one field per column', () => {
    const expected = expectedRowCounts(100);
    expect(expected).toEqual({
      medicos: 20,
      usuario: 10,
      pacientes: 100,
      observaciones: 300,
      medicamentos: 150,
      diagnosticos: 133,
      encuentros: 175,
    });
    for (const t of SAMPLE_TABLES) {
      const rows = lines(t.table, 100);
      expect({ table: t.table, rows: rows.length }).toEqual({ table: t.table, rows: expected[t.table] });
      for (const row of rows) {
        expect(row.endsWith('\n')).toBe(true);
        expect(row.slice(0, -1).split('\t')).toHaveLength(t.columns.length);
      }
    }
    expect(expectedRowCounts(0)).toMatchObject({ pacientes: 0, observaciones: 0, medicos: 20 });
  });

  test('every patient-keyed row belongs to a generated patient', () => {
    const documents = new Set(lines('pacientes', 100).map((l) => l.split('\t')[0]));
    expect(documents.size).toBe(100);
    expect(documents.has(String(DOCUMENT_BASE + 1))).toBe(true);
    for (const table of ['observaciones', 'medicamentos', 'diagnosticos', 'encuentros']) {
      for (const row of lines(table, 100)) expect(documents.has(row.split('\t')[0])).toBe(true);
    }
  });

  test('aggregates add up to the generated observations', () => {
    const aggregates = expectedObservationAggregates(100);
    expect(aggregates.reduce((n, a) => n + a.count, 0)).toBe(300);
    const tenths = lines('observaciones', 100).reduce((sum, l) => sum + Math.round(Number(l.split('\t')[3]) * 10), 0);
    expect(aggregates.reduce((sum, a) => sum + Math.round(Number(a.sum) * 10), 0)).toBe(tenths);
    for (const a of aggregates) expect(a.sum).toMatch(/^\d+\.\d$/);
  });
});

describe('schema', () => {
  test('the schema files create exactly the planned tables, each keyed by what it is distributed on', () => {
    const sql = readSchemaSql();
    const created = [...sql.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)/g)].map((m) => m[1]);
    expect([...created].sort()).toEqual([...TABLES].sort());
    // The sample tables come first, in load order; the FHIR storage tables follow.
    expect(TABLES.slice(0, SAMPLE_TABLES.length)).toEqual(SAMPLE_TABLES.map((t) => t.table));
    expect(sql).not.toMatch(/create_distributed_table|create_reference_table|DROP (TABLE|SCHEMA|DATABASE|COLUMN|INDEX)/i);
    for (const plan of TABLE_PLAN) {
      if (plan.distribution.kind !== 'distributed') continue;
      const body = sql.slice(sql.indexOf(`CREATE TABLE IF NOT EXISTS ${plan.table} (`));
      const primaryKey = /PRIMARY KEY \(([^)]*)\)/.exec(body)?.[1] ?? '';
      expect({ table: plan.table, pk: primaryKey }).toEqual({
        table: plan.table,
        pk: expect.stringContaining(plan.distribution.column),
      });
    }
  });
});
