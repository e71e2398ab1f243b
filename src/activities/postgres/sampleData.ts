/**
 * Loads the generated sample data set through the coordinator with COPY, every table in one
 * transaction: either the whole data set lands or nothing does. A re-run finds the exact row counts
 * and skips; any other content was put there by someone else and is never deleted.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { LabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { LoadResult } from '../results.js';
import { cancellationSignalIfActivity, heartbeatIfActivity } from '../activityContext.js';
import { coordinatorOf, withNodeClient } from './connect.js';
import { quoteIdentifier } from './identifiers.js';
import { SAMPLE_TABLES, SERVER_ASSIGNED_ID_BASE, expectedRowCounts, type SampleTable } from './sampleRows.js';
import { missingTables } from './schema.js';

/** Serialises concurrent loads (an activity retry racing an attempt that is still running). */
const LOAD_LOCK = 'citus-lab:sample-data';
/** Bytes per COPY chunk: large enough that per-message overhead vanishes, small enough to stream. */
const CHUNK_BYTES = 256 * 1024;
const HEARTBEAT_EVERY_ROWS = 100_000;

export async function countRows(client: Client, tables: readonly string[]): Promise<Record<string, number>> {
  const columns = tables.map((t) => `(SELECT count(*) FROM ${quoteIdentifier(t, 'table')})::bigint AS ${quoteIdentifier(t)}`);
  const { rows } = await client.query<Record<string, string>>(`SELECT ${columns.join(', ')}`);
  const row = rows[0] ?? {};
  return Object.fromEntries(tables.map((t) => [t, Number(row[t] ?? 0)]));
}

/**
 * Rows with sample-set keys only: what the FHIR API created since (keys from SERVER_ASSIGNED_ID_BASE
 * on) must not make a re-deploy think the tables hold a foreign data set.
 */
export async function countSampleRows(client: Client, tables: readonly SampleTable[]): Promise<Record<string, number>> {
  const columns = tables.map(
    (t) =>
      `(SELECT count(*) FROM ${quoteIdentifier(t.table, 'table')} WHERE ${quoteIdentifier(t.idColumn, 'column')} < ${SERVER_ASSIGNED_ID_BASE})::bigint AS ${quoteIdentifier(t.table)}`,
  );
  const { rows } = await client.query<Record<string, string>>(`SELECT ${columns.join(', ')}`);
  const row = rows[0] ?? {};
  return Object.fromEntries(tables.map((t) => [t.table, Number(row[t.table] ?? 0)]));
}

/** Groups generated lines into large buffers and heartbeats progress while COPY consumes them. */
function* chunks(table: SampleTable, patients: number): Generator<Buffer> {
  let parts: string[] = [];
  let size = 0;
  let rows = 0;
  for (const line of table.lines(patients)) {
    parts.push(line);
    size += line.length;
    if (++rows % HEARTBEAT_EVERY_ROWS === 0) heartbeatIfActivity({ table: table.table, rows });
    if (size >= CHUNK_BYTES) {
      yield Buffer.from(parts.join(''));
      parts = [];
      size = 0;
    }
  }
  if (parts.length) yield Buffer.from(parts.join(''));
}

async function copyTable(client: Client, table: SampleTable, patients: number, signal?: AbortSignal): Promise<number> {
  const columns = table.columns.map((c) => quoteIdentifier(c, 'column')).join(', ');
  const copy = client.query(copyFrom(`COPY ${quoteIdentifier(table.table, 'table')} (${columns}) FROM STDIN`));
  await pipeline(Readable.from(chunks(table, patients)), copy, ...(signal ? [{ signal }] : []));
  return copy.rowCount;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  return Object.keys(b).every((t) => a[t] === b[t]);
}

function occupied(actual: Record<string, number>, expected: Record<string, number>, patients: number): LabError {
  const held = Object.entries(actual)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n} (the sample set has ${expected[t]})`)
    .join(', ');
  return new LabError(
    'ConfigInvalid',
    `the sample tables already hold rows that are not the sample data set for ${patients} patients (${held}); ` +
      'the load is a single transaction, so an interrupted load leaves nothing behind and these rows came from ' +
      'elsewhere (or from a load with another --patients): pass the --patients they were loaded with, or load ' +
      'into a fresh lab (cleanup --volumes, then deploy).',
    { details: { actual, expected } },
  );
}

export async function loadSampleData(env: LabEnvironment): Promise<LoadResult> {
  const patients = env.spec.patients;
  const expected = expectedRowCounts(patients);
  const tables = SAMPLE_TABLES.map((t) => t.table);
  const signal = cancellationSignalIfActivity();

  return withNodeClient(env, coordinatorOf(env).name, env.spec.database, async (client) => {
    const missing = await missingTables(client, tables);
    if (missing.length) {
      throw new LabError(
        'NodeNotReady',
        `the schema is not applied in ${env.spec.database} (missing ${missing.join(', ')}): run deploy, which applies it before loading data.`,
      );
    }
    const startedAt = performance.now();
    const elapsed = () => (performance.now() - startedAt) / 1000;
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOAD_LOCK]);
      const before = await countSampleRows(client, SAMPLE_TABLES);
      if (sameCounts(before, expected)) {
        await client.query('COMMIT');
        return { skipped: true, rows: before, seconds: round(elapsed()), rowsPerSecond: 0 };
      }
      if (Object.values(before).some((n) => n > 0)) throw occupied(before, expected, patients);

      const rows: Record<string, number> = {};
      for (const table of SAMPLE_TABLES) {
        rows[table.table] = await copyTable(client, table, patients, signal);
        heartbeatIfActivity({ table: table.table, rows: rows[table.table], done: true });
      }
      await client.query('COMMIT');
      const seconds = elapsed();
      const total = Object.values(rows).reduce((a, b) => a + b, 0);
      return { skipped: false, rows, seconds: round(seconds), rowsPerSecond: Math.round(total / seconds) };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
