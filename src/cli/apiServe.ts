/**
 * Runs the FHIR API until the CLI's signal fires (Ctrl-C, SIGTERM from the supervisor or `cleanup`),
 * then closes it. Loaded only by `api serve`, so no other command pays for the server's imports.
 */
import type { LabSpec } from '../config/labSpec.js';
import { LabError } from '../errors.js';
import { EXIT_OK } from './errors.js';
import type { CliIO } from './runLabWorkflow.js';

export interface ApiConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface ApiServeRequest {
  spec: LabSpec;
  host: string;
  port: number;
  connection?: ApiConnection;
}

/** The contract of src/api/serve.ts. */
export type ServeApi = (options: {
  spec: LabSpec;
  host: string;
  port: number;
  database?: string;
  connection?: ApiConnection;
  auth?: { secretsDir: string };
}) => Promise<{ url: string; close(): Promise<void> }>;

/** A server that does not close within this is left to the process exit. */
const CLOSE_TIMEOUT_MS = 5_000;

export async function serveUntilStopped(request: ApiServeRequest, io: CliIO, serve?: ServeApi): Promise<number> {
  const start: ServeApi = serve ?? (await import('../api/serve.js')).serveApi;
  const { spec, host, port, connection } = request;
  // A lab's API logs users in with the key and accounts deploy left in the lab's secrets (src/api/auth);
  // `--pg-host` serves some other PostgreSQL without them, so only on loopback (serveApi refuses more).
  const { apiSecretsDir } = await import('../api/auth/bootstrap.js');
  const auth = connection ? undefined : { secretsDir: apiSecretsDir(spec) };
  let server;
  try {
    server = await start({ spec, host, port, database: spec.database, ...(connection ? { connection } : {}), ...(auth ? { auth } : {}) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new LabError('PortInUse', `Port ${port} is already in use: stop what listens there, or choose another port with --api-port.`, {
        cause: err,
      });
    }
    throw err;
  }
  const target = connection ? `PostgreSQL at ${connection.host}:${connection.port}/${connection.database}` : `lab "${spec.cluster}" (${spec.env})`;
  io.stdout.write(`FHIR API of ${target} listening on ${server.url} (Ctrl-C stops it)\n`);
  await new Promise<void>((resolve) => {
    if (!io.signal || io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stdout.write('Stopping the API...\n');
  const closed = await Promise.race([
    server.close().then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS).unref()),
  ]);
  io.stdout.write(closed ? 'API stopped.\n' : `API did not close within ${CLOSE_TIMEOUT_MS / 1000} s; exiting anyway.\n`);
  return EXIT_OK;
}
