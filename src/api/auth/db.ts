/** The little the auth and audit modules need from PostgreSQL: a pool, and one transaction helper. */
import type { Client, Pool, PoolClient } from 'pg';

export type Queryable = Pool | PoolClient | Client;

export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
