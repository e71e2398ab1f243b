/**
 * Creates the lab database and the citus extension on one node, each only when missing, and reports
 * which of the two this call created.
 */
import type { Client } from 'pg';
import { LabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { DatabaseAndExtension } from '../results.js';
import { MAINTENANCE_DATABASE, errorCode, errorMessage, findNode, withNodeClient } from './connect.js';
import { quoteIdentifier } from './identifiers.js';

const DUPLICATE_DATABASE = '42P04';

export async function ensureDatabaseAndExtension(env: LabEnvironment, nodeName: string): Promise<DatabaseAndExtension> {
  const database = env.spec.database;
  const quoted = quoteIdentifier(database, 'database name');
  findNode(env, nodeName);

  const databaseCreated = await withNodeClient(env, nodeName, MAINTENANCE_DATABASE, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoted}`);
      return true;
    } catch (err) {
      // A concurrent attempt (an activity retry racing its predecessor) created it first: fine.
      if (errorCode(err) === DUPLICATE_DATABASE) return false;
      throw err;
    }
  });

  return withNodeClient(env, nodeName, database, async (client, node) => {
    try {
      const { rowCount } = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
      if (!rowCount) await client.query('CREATE EXTENSION IF NOT EXISTS citus');
      const { rows } = await client.query<{ version: string }>('SELECT citus_version() AS version');
      return { node: node.name, databaseCreated, extensionCreated: !rowCount, citusVersion: rows[0]?.version ?? 'unknown' };
    } catch (err) {
      // An existing extension whose library is no longer preloaded fails at citus_version(): same fix.
      throw citusMissing(err, node.name) ?? err;
    }
  });
}

/** For activities that need Citus metadata: a clear error instead of "relation pg_dist_node does not exist". */
export async function assertCitusExtension(client: Client, database: string, nodeName: string): Promise<void> {
  const { rowCount } = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
  if (rowCount) return;
  throw new LabError(
    'CitusNotInstalled',
    `the citus extension does not exist in database ${database} on ${nodeName}: run deploy, which creates it on every node first.`,
  );
}

/** Recognises "Citus is not there" (no control file / library) and "Citus is not preloaded". */
export function citusMissing(err: unknown, nodeName: string): LabError | undefined {
  const message = errorMessage(err);
  if (/shared_preload_libraries/i.test(message)) {
    return new LabError(
      'CitusNotInstalled',
      `${nodeName} has Citus installed but not preloaded (${message}): add citus to shared_preload_libraries in ` +
        'postgresql.conf and restart the node.',
      { cause: err },
    );
  }
  // PostgreSQL 15.20 says `extension "citus" is not available` (the control file path moved to the
  // detail); earlier minor versions said `could not open extension control file`.
  if (/could not open extension control file|extension "citus" is not available|citus\.so|could not access file "citus"/i.test(message)) {
    return new LabError(
      'CitusNotInstalled',
      `${nodeName} has no Citus extension (${message}): install Citus for this PostgreSQL version on the node ` +
        '(citus.control in its extension dir and citus.so in its lib dir), or use an image that ships it.',
      { cause: err },
    );
  }
  return undefined;
}
