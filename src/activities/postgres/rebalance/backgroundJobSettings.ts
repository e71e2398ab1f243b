/**
 * The coordinator settings that decide how fast a Citus background rebalance job runs. Citus 13.2
 * runs one task at a time (max_background_task_executors 1, per node 1) and looks for new jobs every
 * 5 s; a lab drain of 16 shard groups then waits on those. Settings are only ever raised (or the
 * interval shortened), with ALTER SYSTEM + pg_reload_conf() on the coordinator, and every change is
 * returned so the result and report say what was changed on the cluster.
 */
import type { Client } from 'pg';
import type { SettingChange } from '../../../workflows/rebalance/rebalanceTypes.js';

const HOW = 'ALTER SYSTEM + pg_reload_conf() on the coordinator';

/** How often the maintenance daemon looks for a new job: its start latency. Cheap (one catalog lookup). */
export const TASK_QUEUE_INTERVAL_MS = 200;

interface Wanted {
  name: string;
  /** True when `current` (pg_settings.setting, in the setting's base unit) is already good enough. */
  satisfied(current: number): boolean;
  value: string;
}

function wanted(parallelMoves: number): Wanted[] {
  return [
    { name: 'citus.max_background_task_executors', satisfied: (v) => v >= parallelMoves, value: String(parallelMoves) },
    { name: 'citus.max_background_task_executors_per_node', satisfied: (v) => v >= parallelMoves, value: String(parallelMoves) },
    // -1 disables the check entirely; anything at or below ours is already fast enough.
    { name: 'citus.background_task_queue_interval', satisfied: (v) => v >= 0 && v <= TASK_QUEUE_INTERVAL_MS, value: `${TASK_QUEUE_INTERVAL_MS}ms` },
  ];
}

export async function ensureJobSettings(client: Client, parallelMoves: number): Promise<SettingChange[]> {
  const targets = wanted(parallelMoves);
  // Older Citus versions lack some of these: only settings the server knows are touched.
  const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
    'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[])',
    [targets.map((t) => t.name)],
  );
  const changes: SettingChange[] = [];
  for (const target of targets) {
    const row = rows.find((r) => r.name === target.name);
    if (!row || target.satisfied(Number(row.setting))) continue;
    // ALTER SYSTEM takes no bound parameters; names come from the list above and values are digits/units.
    await client.query(`ALTER SYSTEM SET ${target.name} = '${target.value}'`);
    changes.push({ name: target.name, from: `${row.setting}${row.unit ?? ''}`, to: target.value, how: HOW });
  }
  if (changes.length) await client.query('SELECT pg_reload_conf()');
  return changes;
}
