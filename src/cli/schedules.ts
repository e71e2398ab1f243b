/**
 * Scheduled HA drills as Temporal Schedules (client side only). One schedule per env + cluster + node;
 * `upsertDrillSchedule` creates it, or updates it when its settings changed, or leaves it alone when
 * they did not: running the same command twice changes nothing. Scheduled runs skip while the
 * previous one still runs (overlap SKIP) and carry the lab's search attributes, so the cluster lock
 * and the Web UI see them like any other lab run.
 */
import { createHash } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { LabSpec } from '../config/labSpec.js';
import { LAB_CLUSTER, LAB_ENV } from '../temporal/searchAttributes.js';
import { drillScheduleId, scheduledDrillWorkflowId, type HaDrillInput } from '../workflows/drill/haDrillTypes.js';
import { labTaskQueue } from '../workflows/inputs.js';

/** Memo key holding the digest of the settings a schedule was written with. */
const CONFIG_MEMO = 'citusLabConfig';
const SCHEDULE_PREFIX = 'citus-lab-';

export interface DrillScheduleRequest {
  input: HaDrillInput;
  /** Already validated (cron.ts). */
  cron: string;
  taskQueue?: string;
}

export interface ScheduleChange {
  scheduleId: string;
  action: 'created' | 'updated' | 'unchanged';
}

function scheduleOptions(request: DrillScheduleRequest): ScheduleOptions {
  const { input, cron } = request;
  const { spec, node } = input;
  // Scheduled runs go to the lab's own queue, like the runs the CLI starts (`npm run worker -- --lab env/cluster`).
  const taskQueue = request.taskQueue ?? labTaskQueue(spec);
  const settings = { cron, input, taskQueue };
  const digest = createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
  const attributes = [
    { key: LAB_ENV, value: spec.env },
    { key: LAB_CLUSTER, value: spec.cluster },
  ];
  return {
    scheduleId: drillScheduleId(spec, node),
    spec: { cronExpressions: [cron] },
    action: {
      type: 'startWorkflow',
      workflowType: 'haDrill',
      workflowId: scheduledDrillWorkflowId(spec, node),
      taskQueue,
      args: [input],
      typedSearchAttributes: attributes,
      memo: { [CONFIG_MEMO]: digest, command: 'scheduled ha-drill', node, cron },
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    typedSearchAttributes: attributes,
    state: { note: `citus-lab: HA drill of ${node} in lab ${spec.cluster} (${spec.env}) at "${cron}"` },
  };
}

function digestOf(memo: Record<string, unknown> | undefined): unknown {
  return memo?.[CONFIG_MEMO];
}

export async function upsertDrillSchedule(client: Client, request: DrillScheduleRequest): Promise<ScheduleChange> {
  const options = scheduleOptions(request);
  const { scheduleId } = options;
  try {
    await client.schedule.create(options);
    return { scheduleId, action: 'created' };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  const current = await handle.describe();
  if (digestOf(current.action.memo) === digestOf(options.action.memo)) return { scheduleId, action: 'unchanged' };
  // Paused or not is the operator's call: an update changes the settings and keeps that state.
  await handle.update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP },
  }));
  return { scheduleId, action: 'updated' };
}

export interface ScheduleRow {
  scheduleId: string;
  node?: string;
  cron?: string;
  paused: boolean;
  nextRun?: string;
  lastRun?: { workflowId: string; at: string };
}

/** The lab's schedules (every citus-lab schedule, or one env/cluster's). */
export async function listLabSchedules(client: Client, filter: Partial<Pick<LabSpec, 'env' | 'cluster'>> = {}): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
    const env = s.typedSearchAttributes?.get(LAB_ENV);
    const cluster = s.typedSearchAttributes?.get(LAB_CLUSTER);
    if ((filter.env && env !== filter.env) || (filter.cluster && cluster !== filter.cluster)) continue;
    const last = s.info.recentActions[s.info.recentActions.length - 1];
    // The node and cron live in the action's memo (updatable, unlike the schedule's own memo).
    let memo: Record<string, unknown> | undefined;
    try {
      memo = (await client.schedule.getHandle(s.scheduleId).describe()).action.memo;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) continue; // deleted since the listing was taken
      throw err;
    }
    rows.push({
      scheduleId: s.scheduleId,
      paused: s.state.paused,
      ...(typeof memo?.node === 'string' ? { node: memo.node } : {}),
      ...(typeof memo?.cron === 'string' ? { cron: memo.cron } : {}),
      ...(s.info.nextActionTimes[0] ? { nextRun: s.info.nextActionTimes[0].toISOString() } : {}),
      ...(last ? { lastRun: { workflowId: last.action.workflow.workflowId, at: last.takenAt.toISOString() } } : {}),
    });
  }
  return rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/** Deletes the schedule; false when there was none (deleting twice is fine). Runs it started keep running. */
export async function deleteSchedule(client: Client, scheduleId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

export interface TriggerResult {
  /** The run the trigger started; undefined when one was already running (overlap SKIP). */
  started?: { workflowId: string; runId: string };
  alreadyRunning?: string;
}

/** Runs the schedule's drill now. Skips, like the schedule itself, while its previous run still runs. */
export async function triggerSchedule(client: Client, scheduleId: string, waitMs = 10_000): Promise<TriggerResult> {
  const handle = client.schedule.getHandle(scheduleId);
  const before = await handle.describe(); // ScheduleNotFoundError when there is no such schedule
  const running = before.info.runningActions[0]?.workflow.workflowId;
  if (running) return { alreadyRunning: running };
  const seen = new Set(before.info.recentActions.map((a) => a.action.workflow.firstExecutionRunId));
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  // The server starts the run asynchronously; it shows up among the schedule's recent actions.
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const fresh = (await handle.describe()).info.recentActions.find((a) => !seen.has(a.action.workflow.firstExecutionRunId));
    if (fresh) return { started: { workflowId: fresh.action.workflow.workflowId, runId: fresh.action.workflow.firstExecutionRunId } };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {};
}
