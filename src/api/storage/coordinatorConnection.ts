/**
 * Where the API's database is: the lab's coordinator, found the way the SQL activities find it (the
 * lab's environment, its stored credentials, a tunnel where the platform needs one), or an explicit
 * connection (tests against plain PostgreSQL). Kept apart from the pool so the server never learns
 * which platform the lab runs on.
 */
import type { LabSpec } from '../../config/labSpec.js';
import { coordinatorOf } from '../../activities/postgres/connect.js';
import { resolveEnvironment } from '../../environments/index.js';

export interface ConnectionParameters {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export interface CoordinatorConnection {
  readonly parameters: ConnectionParameters;
  /** Closes the tunnel when the platform opened one. */
  close(): Promise<void>;
}

export async function coordinatorConnection(
  spec: LabSpec,
  database: string = spec.database,
  explicit?: ConnectionParameters,
): Promise<CoordinatorConnection> {
  if (explicit) return { parameters: explicit, close: async () => undefined };
  const env = await resolveEnvironment(spec);
  const node = coordinatorOf(env);
  const { user, password } = await env.credentials();
  const endpoint = await env.openSqlEndpoint?.(node);
  return {
    parameters: { host: endpoint?.host ?? node.host, port: endpoint?.port ?? node.port, user, password, database },
    close: async () => {
      await endpoint?.close();
    },
  };
}
