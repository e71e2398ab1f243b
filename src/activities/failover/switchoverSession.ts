/**
 * The SQL a switchover runs on the old primary and on its standby, on connections opened before the
 * writes pause: inside the pause every new connection (SCRAM, backend start) and every process start
 * (pg_ctl) is time the group's writers wait.
 */
import type { Client } from 'pg';
import { LabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { lsnValue, withMemberClient } from './memberClient.js';

const POLL_MS = 2;
/** Before the pause: how long the standby may take to replay up to the old primary's position. */
export const PRE_CATCH_UP_TIMEOUT_MS = 10_000;
/** Inside the pause: the last WAL (shutdown checkpoint included) is small, so this is a failure bound, not an expectation. */
export const FINAL_CATCH_UP_TIMEOUT_MS = 10_000;
export const PROMOTE_TIMEOUT_MS = 30_000;

async function pollUntil(what: () => Promise<boolean>, timeoutMs: number, failure: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > deadline) throw new LabError('NodeNotReady', failure);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Before the pause: a CHECKPOINT on the old primary (so the shutdown checkpoint inside the pause has
 * little left to write), then waits until the standby replayed up to the primary's position after it.
 * What the writers add meanwhile is the only WAL left to ship and replay in the pause. Returns that
 * position; undefined when the old primary does not answer (an interrupted attempt stopped it already).
 */
export async function prepareOldPrimary(env: LabEnvironment, oldPrimary: string, standby: Client, standbyName: string): Promise<string | undefined> {
  let lsn: string | undefined;
  try {
    lsn = await withMemberClient(
      env,
      oldPrimary,
      async (client) => {
        await client.query('CHECKPOINT');
        const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
        return rows[0]?.lsn;
      },
      { connectTimeoutMs: 2_000, statementTimeoutMs: 30_000 },
    );
  } catch {
    return undefined;
  }
  if (!lsn) return undefined;
  const target = lsnValue(lsn);
  await pollUntil(
    async () => lsnValue(await replayLsn(standby)) >= target,
    PRE_CATCH_UP_TIMEOUT_MS,
    `Standby ${standbyName} did not replay up to ${lsn} of ${oldPrimary} within ${PRE_CATCH_UP_TIMEOUT_MS} ms: not switching over to it.`,
  );
  return lsn;
}

async function replayLsn(standby: Client): Promise<string> {
  const { rows } = await standby.query<{ replayed: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS replayed');
  return rows[0]?.replayed ?? '0/0';
}

/** Inside the pause, the old primary stopped: waits until the standby replayed all it received (nothing more comes). */
export async function waitReplayedAll(standby: Client, standbyName: string): Promise<void> {
  await pollUntil(
    async () => {
      const { rows } = await standby.query<{ received: string | null; replayed: string | null }>(
        'SELECT pg_last_wal_receive_lsn()::text AS received, pg_last_wal_replay_lsn()::text AS replayed',
      );
      const r = rows[0];
      return !!r?.received && !!r.replayed && lsnValue(r.replayed) >= lsnValue(r.received);
    },
    FINAL_CATCH_UP_TIMEOUT_MS,
    `Standby ${standbyName} did not finish replaying within ${FINAL_CATCH_UP_TIMEOUT_MS} ms.`,
  );
}

/**
 * Promotes the standby on its open session: `pg_promote(wait => false)` and a 2 ms poll of
 * pg_is_in_recovery(), since pg_promote's own wait (like `pg_ctl promote -w`) checks every 100 ms.
 */
export async function promoteOnSession(standby: Client, standbyName: string): Promise<void> {
  const { rows } = await standby.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
  if (rows[0]?.r === false) return;
  await standby.query('SELECT pg_promote(false)');
  await pollUntil(
    async () => (await standby.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === false,
    PROMOTE_TIMEOUT_MS,
    `Standby ${standbyName} did not leave recovery within ${PROMOTE_TIMEOUT_MS} ms of pg_promote.`,
  );
}
