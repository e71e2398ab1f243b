import { startCitusApiLab } from './test/support/apiServer.ts';
const l = await startCitusApiLab();
try {
  const r = await fetch(l.api.url + '/Patient', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'X' }] }) });
  console.log(r.status, await r.text());
  console.log(l.statements.slice(-3));
} finally { await l.close(); }
