/**
 * The two throwaway labs the API tests serve over, each handed to `serve`; when starting or serving
 * fails the lab is cleaned up, so a failed set-up leaves no PostgreSQL running.
 */
import type { ConnectionParameters } from '../../src/api/storage/coordinatorConnection.js';
import { startCitusSampleLab } from './citusSampleLab.js';
import { startTempLab, type TempLab } from './localLab.js';
import { loadPlainSchema } from './plainSchemaLab.js';

async function serveOrClean<T>(lab: TempLab, serve: (lab: TempLab) => Promise<T>): Promise<T> {
  try {
    return await serve(lab);
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
}

/** Plain PostgreSQL: one node, the lab schema and migrations as plain SQL, the sample data by COPY. */
export async function servePlainLab<T>(patients: number, serve: (lab: TempLab) => Promise<T>): Promise<T> {
  const lab = await startTempLab({ workers: 1, preloadCitus: false });
  return serveOrClean(lab, async (started) => serve({ ...started, spec: await loadPlainSchema(started, patients) }));
}

/** Citus: coordinator + 2 workers, schema distributed by the deploy's own activity, sample data loaded. */
export async function serveCitusLab<T>(prefix: string, serve: (lab: TempLab) => Promise<T>): Promise<T> {
  return serveOrClean(await startCitusSampleLab({ workers: 2, registered: 2, prefix }), serve);
}

/** How the API server reaches the lab's coordinator database. */
export async function coordinatorParameters(lab: TempLab): Promise<ConnectionParameters> {
  const node = lab.env.nodes().find((n) => n.name === 'coordinator');
  if (!node) throw new Error('no coordinator');
  const { user, password } = await lab.env.credentials();
  return { host: node.host, port: node.port, user, password, database: lab.spec.database };
}
