/**
 * A fresh access token for one account of a deployed lab, for scripts (`citus-lab api token --user`):
 * signed with the lab's key from its secrets directory, with the user's role and scopes as stored now.
 */
import pg from 'pg';
import type { LabSpec } from '../../config/labSpec.js';
import { LabError } from '../../errors.js';
import { coordinatorConnection } from '../storage/coordinatorConnection.js';
import { issueAccessToken } from './accessTokens.js';
import { apiSecretsDir } from './bootstrap.js';
import { ROLE_SCOPES } from './roles.js';
import { loadSigningKey } from './serverAuth.js';
import { findUser } from './userStore.js';

export async function tokenForUser(spec: LabSpec, username: string): Promise<string> {
  const signingKey = await loadSigningKey({ secretsDir: apiSecretsDir(spec) });
  const connection = await coordinatorConnection(spec);
  const client = new pg.Client({ ...connection.parameters, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const user = await findUser(client, username);
    if (!user?.active) throw new LabError('ConfigInvalid', `there is no active API user ${username} in ${spec.database} (the deploy creates admin, practitioner, patient and auditor).`);
    return await issueAccessToken(signingKey, {
      username: user.username,
      role: user.role,
      scopes: ROLE_SCOPES[user.role],
      ...(user.documentoId ? { documentoId: user.documentoId } : {}),
    });
  } finally {
    await client.end().catch(() => undefined);
    await connection.close();
  }
}
