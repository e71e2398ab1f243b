/**
 * Runs the API's SQL: one pooled client per session (a transaction when asked), and every statement
 * reported to an observer before it runs, so tests can EXPLAIN exactly what the server sends.
 */
import type pg from 'pg';

export interface SqlStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

export type StatementObserver = (statement: SqlStatement) => void;

export class SqlSession {
  constructor(
    private readonly client: pg.PoolClient | pg.Pool,
    private readonly observe: StatementObserver | undefined,
  ) {}

  async query<T extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<T[]> {
    this.observe?.({ text, values });
    const result = await this.client.query<T>(text, values as unknown[]);
    return result.rows;
  }
}

export class SqlRunner {
  constructor(
    readonly pool: pg.Pool,
    private readonly observe?: StatementObserver,
  ) {}

  /** Statements outside a transaction (each on whichever pooled connection is free). */
  session(): SqlSession {
    return new SqlSession(this.pool, this.observe);
  }

  /** `fn` inside BEGIN/COMMIT on one connection; any throw rolls everything back. */
  async transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(new SqlSession(client, this.observe));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      // A connection whose ROLLBACK failed is not reused: its state is unknown.
      client.release(broken);
    }
  }
}
