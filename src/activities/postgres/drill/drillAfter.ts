/**
 * After the drill: the cluster's fingerprint again (rows, checksums, placements) and every write the
 * probes saw acknowledged, looked up by its sequence number. A committed write that is missing is lost.
 */
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import { coordinatorOf, withNodeClient } from '../connect.js';
import { drillWritesTable, fingerprint } from './drillBaseline.js';
import type { DrillAfterCheck } from './drillTypes.js';
import { missingFrom, rangeCount } from './probeSummary.js';

const STATEMENT_TIMEOUT_MS = 300_000;
const LOST_SAMPLE = 20;

export interface AfterCheckInput {
  drillId: string;
  committedRanges: Array<[number, number]>;
}

export async function checkAfterDrill(env: LabEnvironment, input: AfterCheckInput): Promise<DrillAfterCheck> {
  return withNodeClient(
    env,
    coordinatorOf(env).name,
    env.spec.database,
    async (client) => {
      const print = await fingerprint(client);
      const { rows } = await client.query<{ seq: string }>(`SELECT seq FROM ${drillWritesTable()} WHERE drill_id = $1`, [input.drillId]);
      const present = new Set(rows.map((r) => Number(r.seq)));
      const lost = missingFrom(input.committedRanges, present);
      const committed = rangeCount(input.committedRanges);
      return {
        ...print,
        writes: {
          committed,
          present: present.size,
          lost: lost.length,
          lostSample: lost.slice(0, LOST_SAMPLE),
          unacknowledgedPresent: present.size - (committed - lost.length),
        },
      };
    },
    { statementTimeoutMs: STATEMENT_TIMEOUT_MS },
  );
}
