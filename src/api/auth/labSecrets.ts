/**
 * ensureApiSecrets for a lab named by its spec: connects to the lab's coordinator database the way
 * the API does (its environment, stored credentials, a tunnel where needed), runs the bootstrap, and
 * closes. What a deploy activity calls once the schema and the sample data are in.
 */
import pg from 'pg';
import type { LabSpec } from '../../config/labSpec.js';
import { coordinatorConnection } from '../storage/coordinatorConnection.js';
import { apiSecretsDir, ensureApiSecrets, type ApiSecretsResult } from './bootstrap.js';

export async function ensureLabApiSecrets(spec: LabSpec): Promise<ApiSecretsResult> {
  const connection = await coordinatorConnection(spec);
  const client = new pg.Client({ ...connection.parameters, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    return await ensureApiSecrets({ secretsDir: apiSecretsDir(spec), db: client });
  } finally {
    await client.end().catch(() => undefined);
    await connection.close();
  }
}
