/**
 * ensureApiSecrets on a lab deployed without patients (`deploy --patients 0`, as the drain bench does):
 * the deploy must not fail; the `patient` account waits until a deploy finds a patient to link it to.
 */
import fs from 'node:fs';
import { jest } from '@jest/globals';
import type pg from 'pg';
import { ensureApiSecrets, passwordFile } from '../../../src/api/auth/bootstrap.js';
import { connectNode, startTempLab, type TempLab } from '../../support/localLab.js';
import { loadPlainSchema } from '../../support/plainSchemaLab.js';

jest.setTimeout(120_000);

let lab: TempLab;
let db: pg.Client;
let secretsDir: string;

beforeAll(async () => {
  lab = await startTempLab({ workers: 1, preloadCitus: false });
  lab = { ...lab, spec: await loadPlainSchema(lab, 0) };
  db = await connectNode(lab, 'coordinator', lab.spec.database);
  secretsDir = `${lab.spec.dataDir}/secrets-under-test`;
});

afterAll(async () => {
  await db?.end();
  await lab?.cleanup();
});

test('without patients: three accounts, no patient account and no password file for it; it comes with the first patient', async () => {
  const first = await ensureApiSecrets({ secretsDir, db });
  expect(first.users.map((u) => u.username)).toEqual(['admin', 'practitioner', 'auditor']);
  expect(first.skipped).toEqual([{ username: 'patient', reason: expect.stringMatching(/no patient is loaded/) }]);
  expect(fs.existsSync(passwordFile(secretsDir, 'patient'))).toBe(false);
  expect((await db.query("SELECT 1 FROM api_users WHERE username = 'patient'")).rowCount).toBe(0);

  await db.query("INSERT INTO pacientes (documento_id, paciente_id, nombre) VALUES (1007, 1, 'Ana'), (1003, 2, 'Luis')");
  const second = await ensureApiSecrets({ secretsDir, db });
  expect(second.skipped).toEqual([]);
  expect(second.users.filter((u) => u.created).map((u) => u.username)).toEqual(['patient']);
  const { rows } = await db.query<{ documento_id: string }>("SELECT documento_id::text FROM api_users WHERE username = 'patient'");
  expect(rows).toEqual([{ documento_id: '1003' }]);
  expect(fs.statSync(passwordFile(secretsDir, 'patient')).mode & 0o777).toBe(0o600);
});
