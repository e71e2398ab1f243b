/**
 * Draining one worker, side by side with the seed's plain `citus_drain_node`, on the seed's data set:
 * 3 local nodes (coordinator + 2 workers), pacientes and observaciones co-located, 32 shards each,
 * 1000 + 3000 rows. The lab is deployed through the CLI, reduced to those two tables and filled like
 * the seed script does; between measurements the drained worker gets its shards back (plain
 * block_writes rebalance), so every drain starts from the same 16/16 layout.
 *
 * - online: `citus-lab drain --node worker-1` (transfer mode auto, logical replication) while a writer
 *   keeps inserting, against the baseline's `drain_s` (same call, default mode, seed node settings).
 * - block_writes: `citus-lab drain --transfer-mode block_writes` against a plain
 *   `citus_drain_node(..., shard_transfer_mode := 'block_writes')` on this very lab.
 * "Moves" is the workflow's mark-draining + start-job + move-shards steps (what the plain call does);
 * the whole command adds a fresh CLI process, Temporal, preflight, two data proofs and the report.
 */
import pg from 'pg';
import { parseLabSpec } from '../../src/config/labSpec.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';
import { benchLab, disposeBenchLab, runLabCli, type BenchLab } from '../labCli.js';
import { spread, type BenchFigure, type BenchSection } from '../types.js';

const MOVE_STEPS = new Set(['mark-draining', 'start-job', 'move-shards']);

interface Address {
  host: string;
  port: number;
}

async function connect(lab: BenchLab): Promise<{ client: pg.Client; worker0: Address; worker1: Address }> {
  const spec = parseLabSpec({ env: 'local', dataDir: lab.dataDir, basePort: lab.basePort, workers: 2 });
  const env = new LocalEnvironment(spec);
  const { user, password } = await env.credentials();
  const coordinator = env.nodes()[0]!;
  const [worker0, worker1] = [env.nodes()[1]!, env.nodes()[2]!];
  const client = new pg.Client({ host: coordinator.host, port: coordinator.port, user, password, database: spec.database });
  client.on('error', () => undefined);
  await client.connect();
  return {
    client,
    worker0: { host: worker0.clusterHost, port: worker0.clusterPort },
    worker1: { host: worker1.clusterHost, port: worker1.clusterPort },
  };
}

/**
 * The seed script's schema and rows: only pacientes and observaciones, filled as run_tests.sh does.
 * Every other table the lab's schema has (the clinical ones, the reference tables, the API's) goes:
 * each co-located table is one more shard per move, which the seed's drain does not pay.
 */
async function seedDataSet(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT logicalrelid::text AS name FROM pg_dist_partition WHERE logicalrelid NOT IN ('pacientes'::regclass, 'observaciones'::regclass)`,
  );
  for (const { name } of rows) await client.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`);
  // The one sample patient deploy loaded (for the API's accounts) goes too: 1000 patients, as the seed has.
  await client.query('TRUNCATE observaciones, pacientes');
  await client.query(`INSERT INTO pacientes SELECT i, i, 'N' || i, 'A' || i, '1980-01-01' FROM generate_series(1, 1000) i`);
  await client.query(`INSERT INTO observaciones (documento_id, observacion_id, codigo, valor) SELECT (i % 1000) + 1, i, 'hr', 70 FROM generate_series(1, 3000) i`);
}

/** Gives worker-1 every other shard group back (plain blocking moves: not what is measured), 16/16 again. */
async function restore(client: pg.Client, worker0: Address, worker1: Address): Promise<void> {
  await client.query(`SELECT citus_set_node_property($1, $2, 'shouldhaveshards', true)`, [worker1.host, worker1.port]);
  const { rows } = await client.query<{ shardid: string }>(
    `SELECT shardid FROM (SELECT shardid, row_number() OVER (ORDER BY shardid) AS n FROM pg_dist_shard
                           WHERE logicalrelid = 'pacientes'::regclass) s WHERE n % 2 = 0`,
  );
  for (const { shardid } of rows) {
    await client.query(`SELECT citus_move_shard_placement($1, $2, $3, $4, $5, 'block_writes')`, [
      shardid,
      worker0.host,
      worker0.port,
      worker1.host,
      worker1.port,
    ]);
  }
}

function stepSeconds(result: Record<string, unknown>): number {
  const steps = (result.steps ?? []) as Array<{ name: string; durationMs?: number }>;
  return steps.filter((s) => MOVE_STEPS.has(s.name)).reduce((sum, s) => sum + (s.durationMs ?? 0), 0) / 1000;
}

/** Inserts one observation at a time until stopped: the online drain's "writes keep working". */
function startWriter(client: pg.Client, firstId: number) {
  let stop = false;
  let ok = 0;
  const errors: string[] = [];
  const done = (async () => {
    for (let id = firstId; !stop; id++) {
      try {
        await client.query(`INSERT INTO observaciones (documento_id, observacion_id, codigo, valor) VALUES ($1, $2, 'hr', 71)`, [(id % 1000) + 1, id]);
        ok++;
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  })();
  return {
    async stop() {
      stop = true;
      await done;
      return { ok, failed: errors.length, firstError: errors[0] };
    },
  };
}

async function drainCommand(lab: BenchLab, extra: string[]): Promise<{ moves: number; command: number; steps: string }> {
  const { seconds, result } = await runLabCli(lab, 'drain', ['--node', 'worker-1', ...extra]);
  if (result.status !== 'PASS') throw new Error(`drain ended ${String(result.status)}: ${JSON.stringify(result.problems)}`);
  const steps = ((result.steps ?? []) as Array<{ name: string; durationMs?: number }>).map((s) => `${s.name} ${s.durationMs ?? 0}`).join(', ');
  return { moves: stepSeconds(result), command: seconds, steps };
}

export const drainSection: BenchSection = {
  name: 'drain',
  async run(ctx) {
    const lab = await benchLab(ctx.workDir, 'drain', ctx.basePort);
    const online: number[] = [];
    const onlineCommand: number[] = [];
    const blocking: number[] = [];
    const blockingCommand: number[] = [];
    const plainBlocking: number[] = [];
    let writes = { ok: 0, failed: 0, firstError: undefined as string | undefined };
    let citus = 'unknown';
    try {
      // One patient: deploy creates the API's accounts, and the `patient` account must be a loaded patient.
      await runLabCli(lab, 'deploy', ['--workers', '2', '--patients', '1']);
      const { client, worker0, worker1 } = await connect(lab);
      try {
        citus = (await client.query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'citus'`)).rows[0]?.v ?? citus;
        ctx.log(`drain: Citus ${citus}`);
        await seedDataSet(client);
        for (let i = 0; i < ctx.runs; i++) {
          // Ids never repeat across runs (observaciones keeps every row).
          const writer = startWriter(client, 10_000_000 * (i + 1));
          const ours = await drainCommand(lab, ['--writes-to', 'observaciones']).finally(async () => {
            const w = await writer.stop();
            writes = { ok: writes.ok + w.ok, failed: writes.failed + w.failed, firstError: writes.firstError ?? w.firstError };
          });
          online.push(ours.moves);
          onlineCommand.push(ours.command);
          await restore(client, worker0, worker1);

          const started = performance.now();
          await client.query(`SELECT citus_drain_node($1, $2, shard_transfer_mode := 'block_writes')`, [worker1.host, worker1.port]);
          plainBlocking.push((performance.now() - started) / 1000);
          await restore(client, worker0, worker1);

          const blocked = await drainCommand(lab, ['--transfer-mode', 'block_writes']);
          blocking.push(blocked.moves);
          blockingCommand.push(blocked.command);
          await restore(client, worker0, worker1);
          ctx.log(
            `drain run ${i + 1}/${ctx.runs}: online ${ours.moves.toFixed(2)} s (command ${ours.command.toFixed(2)} s), ` +
              `block_writes ${blocked.moves.toFixed(2)} s vs plain ${plainBlocking.at(-1)?.toFixed(2)} s`,
          );
          ctx.log(`  online steps (ms): ${ours.steps}`);
          ctx.log(`  block_writes steps (ms): ${blocked.steps}`);
        }
      } finally {
        await client.end();
      }
    } finally {
      await disposeBenchLab(lab);
    }
    const seed = ctx.baseline?.drain_s ?? undefined;
    const onlineSpread = spread(online);
    const plain = spread(plainBlocking);
    const blockingSpread = spread(blocking);
    if (seed) ctx.log(`online drain: ${(seed / onlineSpread.median).toFixed(1)}x faster than the seed's citus_drain_node (${seed} s)`);
    ctx.log(`block_writes drain: ${(plain.median / blockingSpread.median).toFixed(2)}x the plain call's speed`);
    const figures: BenchFigure[] = [
      {
        name: 'drain worker-1 online (auto, logical): the moves',
        unit: 's',
        ours: onlineSpread,
        seed,
        ratio: seed ? seed / onlineSpread.median : undefined,
        target: 'ratio >= 5',
        note:
          `Citus ${citus}: moves from the run's session where Citus has no parallel transfer of co-located shards (12.x), ` +
          `else a background job, 4 moves at once; lab node settings (wal_retrieve_retry_interval 100ms); seed: citus_drain_node, default mode, ` +
          `seed settings${seed ? '' : ` (baseline not run: ${ctx.baselineSkipped ?? 'unknown'})`}; ` +
          `writes during our drains: ${writes.ok} committed, ${writes.failed} failed${writes.firstError ? ` (first: ${writes.firstError})` : ''}`,
      },
      {
        name: 'drain worker-1 online: the whole `citus-lab drain` command',
        unit: 's',
        ours: spread(onlineCommand),
        seed,
        ratio: seed ? seed / spread(onlineCommand).median : undefined,
        note: 'fresh CLI process + Temporal + preflight + two data proofs + report, against the bare SQL call',
      },
      {
        name: 'drain worker-1 block_writes: the moves',
        unit: 's',
        ours: blockingSpread,
        seed: plain.median,
        ratio: plain.median / blockingSpread.median,
        target: 'ratio >= 1 (no slower than plain citus_drain_node block_writes)',
        note: `plain call on this lab: ${plain.median.toFixed(2)} s (${plain.min.toFixed(2)} - ${plain.max.toFixed(2)}); whole command ${spread(blockingCommand).median.toFixed(2)} s`,
      },
    ];
    return figures;
  },
};
