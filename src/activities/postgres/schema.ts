/**
 * Creates the clinical-records schema on the coordinator and spreads it over the cluster. The DDL is
 * plain SQL: sql/schema.sql (the seed's tables) then sql/migrations/*.sql in name order (the FHIR
 * storage of the API), all idempotent, so running deploy again upgrades an existing lab. How each
 * table is distributed is data here, so every table is checked on its own against pg_dist_partition
 * and only what is missing is done.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from 'pg';
import { LabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { SchemaResult } from '../results.js';
import { heartbeatIfActivity } from '../activityContext.js';
import { coordinatorOf, withNodeClient } from './connect.js';
import { assertCitusExtension } from './databaseAndExtension.js';
import { assertIdentifier } from './identifiers.js';

export type Distribution =
  | { readonly kind: 'reference' }
  | { readonly kind: 'distributed'; readonly column: string; readonly colocateWith?: string };

export interface TablePlan {
  readonly table: string;
  readonly distribution: Distribution;
}

const BY_DOCUMENT = { kind: 'distributed', column: 'documento_id', colocateWith: 'pacientes' } as const;

/** In dependency order: reference tables, then pacientes, then what is co-located with it. */
export const TABLE_PLAN: readonly TablePlan[] = [
  { table: 'medicos', distribution: { kind: 'reference' } },
  { table: 'usuario', distribution: { kind: 'reference' } },
  { table: 'pacientes', distribution: { kind: 'distributed', column: 'documento_id' } },
  { table: 'observaciones', distribution: BY_DOCUMENT },
  { table: 'medicamentos', distribution: BY_DOCUMENT },
  { table: 'diagnosticos', distribution: BY_DOCUMENT },
  { table: 'encuentros', distribution: BY_DOCUMENT },
  // FHIR storage (sql/migrations/001_fhir_storage.sql).
  { table: 'organizaciones', distribution: { kind: 'reference' } },
  { table: 'historia_referencia', distribution: { kind: 'reference' } },
  { table: 'procedimientos', distribution: BY_DOCUMENT },
  { table: 'historia_clinica', distribution: BY_DOCUMENT },
  // API accounts and audit trail (sql/migrations/010_api_auth.sql, 011_api_audit.sql).
  { table: 'api_users', distribution: { kind: 'reference' } },
  { table: 'api_refresh_tokens', distribution: { kind: 'reference' } },
  { table: 'api_keys', distribution: { kind: 'reference' } },
  { table: 'api_login_failures', distribution: { kind: 'reference' } },
  { table: 'api_audit_events', distribution: BY_DOCUMENT },
];

export const TABLES = TABLE_PLAN.map((t) => t.table);

export const SCHEMA_SQL_PATH = fileURLToPath(new URL('../../../sql/schema.sql', import.meta.url));
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../sql/migrations/', import.meta.url));

/** Every DDL file deploy applies, in order: the seed schema, then each migration by file name. */
export function schemaSqlFiles(): string[] {
  const migrations = fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => path.join(MIGRATIONS_DIR, f));
  return [SCHEMA_SQL_PATH, ...migrations];
}

/**
 * A DDL file statement by statement. Citus cannot propagate DDL on a distributed table (an ALTER TABLE
 * of a lab deployed before) from a multi-statement query string, so deploy sends them one by one.
 * The files hold plain DDL only (no function bodies): a semicolon at the end of a line ends a statement.
 */
export function sqlStatements(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .replace(/--.*$/gm, '')
    .split(/;[ \t]*(?:\n|$)/)
    .map((st) => st.trim())
    .filter(Boolean);
}

/** The whole DDL as one script (plain SQL, no Citus calls: it works on plain PostgreSQL too). */
export function readSchemaSql(): string {
  return schemaSqlFiles()
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');
}

/** Tables of the plan that do not exist in the connected database. */
export async function missingTables(client: Client, tables: readonly string[] = TABLES): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    'SELECT t.name FROM unnest($1::text[]) AS t(name) WHERE to_regclass(t.name) IS NULL',
    [tables],
  );
  return rows.map((r) => r.name);
}

interface DistributedAs {
  table: string;
  partmethod: string;
  repmodel: string;
  column: string | null;
  colocationid: number;
}

async function currentDistribution(client: Client): Promise<Map<string, DistributedAs>> {
  const { rows } = await client.query<DistributedAs>(
    `SELECT logicalrelid::regclass::text AS table, partmethod, repmodel, colocationid,
            CASE WHEN partmethod = 'h' THEN column_to_column_name(logicalrelid, partkey) END AS column
       FROM pg_dist_partition
      WHERE logicalrelid::regclass::text = ANY($1::text[])`,
    [TABLES],
  );
  return new Map(rows.map((r) => [r.table, r]));
}

function describe(d: DistributedAs): string {
  if (d.partmethod === 'h') return `distributed by ${d.column ?? '?'}`;
  if (d.partmethod === 'n' && d.repmodel === 't') return 'a reference table';
  if (d.partmethod === 'n') return 'a Citus local table';
  return `distributed with method ${d.partmethod}`;
}

/** Why an existing distribution is not the planned one, or undefined when it is. */
function mismatch(plan: TablePlan, actual: DistributedAs, all: Map<string, DistributedAs>): string | undefined {
  const want = plan.distribution;
  if (want.kind === 'reference') return actual.partmethod === 'n' && actual.repmodel === 't' ? undefined : describe(actual);
  if (actual.partmethod !== 'h' || actual.column !== want.column) return describe(actual);
  const anchor = want.colocateWith ? all.get(want.colocateWith) : undefined;
  if (anchor && anchor.colocationid !== actual.colocationid) return `not co-located with ${want.colocateWith}`;
  return undefined;
}

function expectation(plan: TablePlan): string {
  const d = plan.distribution;
  if (d.kind === 'reference') return 'a reference table';
  return `distributed by ${d.column}${d.colocateWith ? ` and co-located with ${d.colocateWith}` : ''}`;
}

async function distribute(client: Client, plan: TablePlan): Promise<void> {
  const d = plan.distribution;
  if (d.kind === 'reference') {
    await client.query('SELECT create_reference_table($1::regclass)', [plan.table]);
  } else if (d.colocateWith) {
    await client.query('SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)', [
      plan.table,
      assertIdentifier(d.column, 'distribution column'),
      d.colocateWith,
    ]);
  } else {
    await client.query('SELECT create_distributed_table($1::regclass, $2)', [
      plan.table,
      assertIdentifier(d.column, 'distribution column'),
    ]);
  }
}

/** Refuses (ConfigInvalid) when a table the plan names exists distributed another way. */
function assertPlanned(plan: TablePlan, all: Map<string, DistributedAs>, database: string): void {
  const actual = all.get(plan.table);
  const problem = actual ? mismatch(plan, actual, all) : undefined;
  if (problem) {
    throw new LabError(
      'ConfigInvalid',
      `table ${plan.table} in ${database} is ${problem}, but the lab needs it ${expectation(plan)}: ` +
        'drop the table (or use a fresh database) and run deploy again.',
    );
  }
}

export async function applySchema(env: LabEnvironment): Promise<SchemaResult> {
  const database = env.spec.database;
  return withNodeClient(env, coordinatorOf(env).name, database, async (client, node) => {
    await assertCitusExtension(client, database, node.name);
    const [seedSchema, ...migrations] = schemaSqlFiles();
    for (const statement of sqlStatements(seedSchema as string)) await client.query(statement);
    // A table laid out another way is refused before any migration touches it.
    const before = await currentDistribution(client);
    for (const plan of TABLE_PLAN) assertPlanned(plan, before, database);
    for (const file of migrations) for (const statement of sqlStatements(file)) await client.query(statement);

    const created: string[] = [];
    const existing: string[] = [];
    for (const plan of TABLE_PLAN) {
      heartbeatIfActivity({ table: plan.table });
      const all = await currentDistribution(client);
      if (!all.has(plan.table)) {
        await distribute(client, plan);
        created.push(plan.table);
        continue;
      }
      assertPlanned(plan, all, database);
      existing.push(plan.table);
    }
    return { created, existing };
  });
}
