/**
 * The API's connection pool. Timeouts are short on purpose: with the database down a request must
 * fail in about a second (503) instead of hanging, and the pool reconnects by itself once it is back.
 */
import pg from 'pg';
import type { ConnectionParameters } from './coordinatorConnection.js';

export const APPLICATION_NAME = 'citus-lab-api';

export interface PoolOptions {
  max?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

export function createPool(parameters: ConnectionParameters, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    ...parameters,
    application_name: APPLICATION_NAME,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 1_500,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    // Timestamps come back as UTC ISO strings from to_jsonb, the form FHIR instants take.
    options: '-c TimeZone=UTC',
  });
  // An idle client whose server went away emits 'error'; without a listener that would kill the process.
  pool.on('error', () => undefined);
  return pool;
}
