/**
 * A client writing one row every `everyMs` through the coordinator (autocommit), remembering which
 * ids were acknowledged and when each write succeeded or failed: the lost-write proof and the outage
 * as clients see it. It reconnects after errors, as an application pool would.
 */
import pg from 'pg';
import type { TempLab } from './localLab.js';

export interface WriteOutcome {
  readonly id: number;
  readonly at: number;
  readonly ok: boolean;
  readonly error?: string;
}

/** `statementTimeoutMs`: 3 s by default; 0 for none (a write then waits as long as the server makes it). */
export function startPacedWriter(lab: TempLab, options: { everyMs: number; patients: number; firstId?: number; statementTimeoutMs?: number }) {
  let stopped = false;
  const outcomes: WriteOutcome[] = [];
  const node = lab.env.nodes().find((n) => n.name === 'coordinator')!;
  const statementTimeout = options.statementTimeoutMs ?? 3_000;
  const done = (async () => {
    const { user, password } = await lab.env.credentials();
    let client: pg.Client | undefined;
    for (let id = options.firstId ?? 800_000_000; !stopped; id++) {
      const started = Date.now();
      try {
        if (!client) {
          client = new pg.Client({ host: node.host, port: node.port, user, password, database: lab.spec.database, connectionTimeoutMillis: 2_000,
            ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
          });
          client.on('error', () => undefined);
          await client.connect();
        }
        await client.query(`INSERT INTO observaciones (documento_id, observacion_id, codigo, valor) VALUES ($1, $2, 'hr', 70)`, [
          1_000_000_001 + (id % options.patients),
          id,
        ]);
        outcomes.push({ id, at: Date.now(), ok: true });
      } catch (err) {
        outcomes.push({ id, at: Date.now(), ok: false, error: err instanceof Error ? err.message : String(err) });
        await client?.end().catch(() => undefined);
        client = undefined;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, options.everyMs - (Date.now() - started))));
    }
    await client?.end().catch(() => undefined);
  })();
  return {
    outcomes,
    acked: () => outcomes.filter((o) => o.ok).map((o) => o.id),
    /** Longest time between two successful writes (the outage or pause clients saw). */
    longestGapMs(): number {
      const oks = outcomes.filter((o) => o.ok).map((o) => o.at);
      return oks.slice(1).reduce((max, at, i) => Math.max(max, at - (oks[i] ?? at)), 0);
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** How many of `ids` are missing from observaciones (0 is the proof). */
export async function missingIds(client: pg.Client, ids: number[]): Promise<number> {
  const { rows } = await client.query<{ n: number }>('SELECT count(DISTINCT observacion_id)::int AS n FROM observaciones WHERE observacion_id = ANY($1::bigint[])', [ids]);
  return new Set(ids).size - (rows[0]?.n ?? 0);
}
