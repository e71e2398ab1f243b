/**
 * A running FHIR API over a throwaway lab for black-box tests: plain PostgreSQL (the schema applied
 * as plain SQL, no distribution) or a real Citus lab built by the deploy's own activities. Every SQL
 * statement the server sends is recorded, so tests can EXPLAIN the exact statements.
 */
import { serveApi, type RunningApi } from '../../src/api/serve.js';
import type { SqlStatement } from '../../src/api/storage/sqlSession.js';
import type { ConnectionParameters } from '../../src/api/storage/coordinatorConnection.js';
import type { TempLab } from './localLab.js';
import { coordinatorParameters, serveCitusLab, servePlainLab } from './servedLab.js';

export interface ApiLab {
  readonly lab: TempLab;
  readonly api: RunningApi;
  readonly connection: ConnectionParameters;
  /** Every statement the server sent, oldest first; tests clear it before the request they study. */
  readonly statements: SqlStatement[];
  /** Restarts the API on the same port (after the test stopped the database, say). */
  close(): Promise<void>;
}

async function serveOver(lab: TempLab): Promise<ApiLab> {
  const statements: SqlStatement[] = [];
  const connection = await coordinatorParameters(lab);
  const api = await serveApi({ spec: lab.spec, host: '127.0.0.1', port: 0, connection, onStatement: (s) => statements.push(s) });
  return {
    lab,
    api,
    connection,
    statements,
    async close() {
      await api.close();
      await lab.cleanup();
    },
  };
}

/** Plain PostgreSQL: one node, the lab schema applied as plain SQL, the sample data loaded with COPY. */
export function startPlainApiLab(patients: number): Promise<ApiLab> {
  return servePlainLab(patients, serveOver);
}

/** A Citus lab (coordinator + 2 workers) deployed by the lab's own SQL activities, sample data loaded. */
export function startCitusApiLab(): Promise<ApiLab> {
  return serveCitusLab('api', serveOver);
}
