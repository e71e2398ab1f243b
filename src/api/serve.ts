/**
 * Starts the FHIR API for a lab: connects to the lab's coordinator (or an explicit database), loads
 * the R4 definitions, and listens on 127.0.0.1 (no authentication yet). Its own runtime: workflow
 * code never imports it.
 */
import type { LabSpec } from '../config/labSpec.js';
import { buildApiServer } from './http/server.js';
import { coordinatorConnection, type ConnectionParameters } from './storage/coordinatorConnection.js';
import { createPool } from './storage/pool.js';
import { loadR4Definitions } from './fhir/validation.js';
import type { StatementObserver } from './storage/sqlSession.js';
import { assertListenAllowed, loadSigningKey, type ApiAuthConfig } from './auth/serverAuth.js';

export interface ApiServeOptions {
  spec: LabSpec;
  host: string;
  port: number;
  /** The lab database by default (spec.database). */
  database?: string;
  /** Overrides the lab's coordinator (tests against plain PostgreSQL). */
  connection?: ConnectionParameters;
  /** Sees every SQL statement the server sends (the routing test EXPLAINs them). */
  onStatement?: StatementObserver;
  /** Tokens, roles and audit (src/api/auth): required to listen beyond loopback. */
  auth?: ApiAuthConfig;
}

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export async function serveApi(options: ApiServeOptions): Promise<RunningApi> {
  assertListenAllowed(options.host, options.auth !== undefined);
  const signingKey = options.auth ? await loadSigningKey(options.auth) : undefined;
  loadR4Definitions();
  const connection = await coordinatorConnection(options.spec, options.database ?? options.spec.database, options.connection);
  const pool = createPool(connection.parameters);
  const auth = signingKey ? { signingKey, ...(options.auth?.userCacheMs !== undefined ? { userCacheMs: options.auth.userCacheMs } : {}) } : undefined;
  const app = await buildApiServer({ pool, onStatement: options.onStatement, lab: options.spec, ...(auth ? { auth } : {}) });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await pool.end().catch(() => undefined);
    await connection.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    async close() {
      try {
        await app.close();
      } finally {
        await pool.end().catch(() => undefined);
        await connection.close();
      }
    },
  };
}
