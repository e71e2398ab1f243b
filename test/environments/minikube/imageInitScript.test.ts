/**
 * The init script baked into the lab image (infra/postgres-citus/initdb/, also mounted by the compose
 * file) run the way the postgres image's entrypoint runs it, against real local PostgreSQL + Citus nodes:
 * no container can run here, but the script's SQL and its idempotence can be checked for real.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { findPgBinaries } from '../../../src/environments/local/pgBinaries.js';
import { describeIfCitus } from '../../support/citus.js';
import { connectNode, startTempLab, type TempLab } from '../../support/localLab.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = path.join(repo, 'infra', 'postgres-citus', 'initdb', '010-citus-lab-database.sh');

describeIfCitus('the lab image’s init script', () => {
  let lab: TempLab;
  beforeAll(async () => {
    lab = await startTempLab({ workers: 1, preloadCitus: true });
  }, 120_000);
  afterAll(() => lab?.cleanup());

  /** As the entrypoint does: psql on the path, the superuser's name and the password in the environment. */
  async function runScript(nodeName: string, vars: Record<string, string>) {
    const node = lab.env.nodes().find((n) => n.name === nodeName);
    const { user, password } = await lab.env.credentials();
    return execa('bash', [SCRIPT], {
      reject: false,
      env: {
        PATH: `${findPgBinaries().binDir}:${process.env.PATH ?? ''}`,
        PGHOST: node?.host ?? '',
        PGPORT: String(node?.port),
        PGPASSWORD: password,
        POSTGRES_USER: user,
        CITUS_LAB_SCHEMA_SQL: path.join(repo, 'sql', 'schema.sql'),
        ...vars,
      },
    });
  }

  async function tablesAndCitus(nodeName: string, database: string) {
    const client = await connectNode(lab, nodeName, database);
    try {
      const tables = await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
      const citus = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
      return { tables: tables.rows.map((r) => r.t), citus: citus.rowCount === 1 };
    } finally {
      await client.end();
    }
  }

  test('coordinator: the lab database with citus and the lab tables, and a second run changes nothing', async () => {
    for (let run = 0; run < 2; run++) {
      const result = await runScript('coordinator', { CITUS_LAB_DATABASE: 'img_lab', CITUS_LAB_ROLE: 'coordinator' });
      expect({ exitCode: result.exitCode, stderr: result.stderr.replace(/^(psql:\S+ )?NOTICE: .*$\n?/gm, '') }).toEqual({ exitCode: 0, stderr: '' });
    }
    expect(await tablesAndCitus('coordinator', 'img_lab')).toEqual({
      citus: true,
      tables: ['diagnosticos', 'encuentros', 'medicamentos', 'medicos', 'observaciones', 'pacientes', 'usuario'],
    });
  });

  test('worker: the database and citus only (distributed tables come from the coordinator)', async () => {
    const result = await runScript('worker-0', { CITUS_LAB_DATABASE: 'img_lab' });
    expect(result.exitCode).toBe(0);
    expect(await tablesAndCitus('worker-0', 'img_lab')).toEqual({ citus: true, tables: [] });
  });

  test('refuses a database name that is not a plain identifier, before any SQL', async () => {
    const result = await runScript('worker-0', { CITUS_LAB_DATABASE: 'x"; DROP DATABASE postgres; --' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('CITUS_LAB_DATABASE must be a plain lowercase SQL identifier');
  });
});
