/**
 * serveApi given only a LabSpec finds the lab's coordinator and credentials the way the SQL
 * activities do (no explicit connection), and listens on loopback.
 */
import { documentoOf } from '../../src/activities/postgres/sampleRows.js';
import { serveApi } from '../../src/api/serve.js';
import { startPlainApiLab, type ApiLab } from '../support/apiServer.js';
import { raw } from './fhirClient.js';

let lab: ApiLab;
beforeAll(async () => {
  lab = await startPlainApiLab(5);
}, 180_000);
afterAll(async () => {
  await lab?.close();
});

test('the coordinator comes from the lab spec; /ready and a read work', async () => {
  const api = await serveApi({ spec: lab.lab.spec, host: '127.0.0.1', port: 0 });
  try {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await raw(`${api.url}/ready`)).status).toBe(200);
    expect(await raw(`${api.url}/Patient/${documentoOf(2)}`)).toMatchObject({ status: 200, body: { resourceType: 'Patient', id: String(documentoOf(2)) } });
  } finally {
    await api.close();
  }
});

test('a database that does not exist: the server starts, /ready says 503 with an OperationOutcome', async () => {
  const api = await serveApi({ spec: lab.lab.spec, database: 'no_such_db', host: '127.0.0.1', port: 0 });
  try {
    expect((await raw(`${api.url}/health`)).status).toBe(200);
    expect(await raw(`${api.url}/ready`)).toMatchObject({ status: 503, body: { resourceType: 'OperationOutcome' } });
  } finally {
    await api.close();
  }
});
