/**
 * The lab's schema on plain PostgreSQL (no Citus, as on a CI machine): the lab database, the schema and
 * its migrations applied as plain SQL, and the sample data loaded with COPY, into a lab that runs.
 */
import { createPostgresActivities } from '../../src/activities/postgres/index.js';
import { readSchemaSql } from '../../src/activities/postgres/schema.js';
import type { LabSpec } from '../../src/config/labSpec.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';
import { connectNode, type TempLab } from './localLab.js';

/** Returns the lab's spec with `patients` sample patients. */
export async function loadPlainSchema(lab: TempLab, patients: number): Promise<LabSpec> {
  const admin = await connectNode(lab, 'coordinator');
  await admin.query(`CREATE DATABASE ${lab.spec.database}`).finally(() => admin.end());
  const client = await connectNode(lab, 'coordinator', lab.spec.database);
  await client.query(readSchemaSql()).finally(() => client.end());
  const spec: LabSpec = { ...lab.spec, patients };
  await createPostgresActivities({ environmentFor: (s) => new LocalEnvironment(s, { preloadCitus: false }) }).loadSampleData(spec);
  return spec;
}
