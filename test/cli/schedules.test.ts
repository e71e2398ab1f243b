/**
 * Drill schedules on the real dev server: created once and left alone by a second identical run,
 * updated when settings change, listed, triggered (the drill runs, with replaced activities), deleted.
 */
import type { ScheduleDescription } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { parseCron } from '../../src/cli/cron.js';
import { deleteSchedule, listLabSchedules, triggerSchedule, upsertDrillSchedule } from '../../src/cli/schedules.js';
import { LAB_CLUSTER, LAB_ENV } from '../../src/temporal/searchAttributes.js';
import { scheduledDrillWorkflowId, type HaDrillInput } from '../../src/workflows/drill/haDrillTypes.js';
import type { haDrill } from '../../src/workflows/index.js';
import { createFakeActivities, testSpec } from '../support/fakeActivities.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../support/temporal.js';

let t: TestTemporal;
const created: string[] = [];
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  for (const id of created) await deleteSchedule(t.client, id).catch(() => undefined);
  await t?.close();
});

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** What a re-run must not change: everything the schedule is, and when it was last written. */
function essence(d: ScheduleDescription) {
  return {
    spec: d.spec,
    action: d.action,
    policies: d.policies,
    state: d.state,
    memo: d.memo,
    createdAt: d.info.createdAt,
    lastUpdatedAt: d.info.lastUpdatedAt,
  };
}

test('running the same schedule command twice changes nothing; a new cron updates it', async () => {
  const spec = testSpec({ cluster: unique('sched') });
  const input: HaDrillInput = { spec, node: 'worker-0' };
  const first = await upsertDrillSchedule(t.client, { input, cron: '0 3 * * *' });
  created.push(first.scheduleId);
  expect(first).toEqual({ scheduleId: `citus-lab-local-${spec.cluster}-ha-drill-worker-0`, action: 'created' });
  const handle = t.client.schedule.getHandle(first.scheduleId);
  const before = await handle.describe();
  expect(before.policies.overlap).toBe('SKIP');
  expect(before.action).toMatchObject({ workflowType: 'haDrill', workflowId: scheduledDrillWorkflowId(spec, 'worker-0'), args: [input] });
  const attributes = before.action.typedSearchAttributes;
  expect(attributes).toBeInstanceOf(TypedSearchAttributes);
  expect((attributes as TypedSearchAttributes).get(LAB_CLUSTER)).toBe(spec.cluster);
  expect((attributes as TypedSearchAttributes).get(LAB_ENV)).toBe('local');
  expect(before.info.nextActionTimes[0]?.getUTCHours()).toBe(3);

  expect(await upsertDrillSchedule(t.client, { input, cron: '0 3 * * *' })).toEqual({ scheduleId: first.scheduleId, action: 'unchanged' });
  expect(essence(await handle.describe())).toEqual(essence(before));

  expect(await upsertDrillSchedule(t.client, { input, cron: '30 4 * * *' })).toEqual({ scheduleId: first.scheduleId, action: 'updated' });
  const after = await handle.describe();
  expect(after.info.nextActionTimes[0]?.getUTCHours()).toBe(4);
  expect(after.info.nextActionTimes[0]?.getUTCMinutes()).toBe(30);
  expect(after.info.createdAt).toEqual(before.info.createdAt);
});

test('list shows the schedule with its node and cron; delete removes it, twice is fine', async () => {
  const spec = testSpec({ cluster: unique('list') });
  const { scheduleId } = await upsertDrillSchedule(t.client, { input: { spec, node: 'worker-1' }, cron: '15 2 * * mon-fri' });
  created.push(scheduleId);
  const rows = await listWhenVisible(spec.cluster, 1);
  expect(rows).toEqual([{ scheduleId, node: 'worker-1', cron: '15 2 * * mon-fri', paused: false, nextRun: expect.stringMatching(/T02:15:00/) }]);
  expect((await listLabSchedules(t.client, { cluster: `${spec.cluster}-other` })).length).toBe(0);

  expect(await deleteSchedule(t.client, scheduleId)).toBe(true);
  expect(await deleteSchedule(t.client, scheduleId)).toBe(false);
  expect(await listWhenVisible(spec.cluster, 0)).toEqual([]);
});

/** Schedule listing goes through visibility, which trails writes by a moment. */
async function listWhenVisible(cluster: string, count: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await listLabSchedules(t.client, { env: 'local', cluster });
    if (rows.length === count || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a trigger starts a drill run carrying the lab search attributes', async () => {
  const spec = testSpec({ cluster: unique('trigger') });
  const taskQueue = uniqueTaskQueue('sched-trigger');
  const { scheduleId } = await upsertDrillSchedule(t.client, { input: { spec, node: 'worker-0', settleSeconds: 1 }, cron: '0 3 * * *', taskQueue });
  created.push(scheduleId);
  const calls: string[] = [];
  const worker = await createTestWorker(t, taskQueue, createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a)));
  const { triggered, result, attributes } = await worker.runUntil(async () => {
    const triggered = await triggerSchedule(t.client, scheduleId);
    if (!triggered.started) throw new Error(`no run started: ${JSON.stringify(triggered)}`);
    const handle = t.client.workflow.getHandle<typeof haDrill>(triggered.started.workflowId, triggered.started.runId);
    const result = await handle.result();
    return { triggered, result, attributes: (await handle.describe()).typedSearchAttributes };
  });
  expect(triggered.started?.workflowId.startsWith(`${scheduledDrillWorkflowId(spec, 'worker-0')}-`)).toBe(true);
  expect(result).toMatchObject({ status: 'PASS', node: 'worker-0' });
  expect(calls).toContain('injectNodeFault(worker-0)');
  expect(attributes.get(LAB_CLUSTER)).toBe(spec.cluster);
  expect(attributes.get(LAB_ENV)).toBe('local');
  const rows = await listLabSchedules(t.client, { cluster: spec.cluster });
  expect(rows[0]?.lastRun?.workflowId).toBe(triggered.started?.workflowId);
});

test('every cron expression the CLI accepts, the server accepts too', async () => {
  const accepted = ['0 3 * * *', '*/15 * * * *', '0 2-4 1,15 * mon-fri', '30 1 * JAN,Jul 0', '0 0 * * 7', '5 10-20/2 * 1-6/2 *', '@daily'];
  for (const expression of accepted) {
    const spec = testSpec({ cluster: unique('cron') });
    const change = await upsertDrillSchedule(t.client, { input: { spec, node: 'worker-0' }, cron: parseCron(expression) });
    created.push(change.scheduleId);
    expect(change.action).toBe('created');
    const next = (await t.client.schedule.getHandle(change.scheduleId).describe()).info.nextActionTimes;
    expect(next.length).toBeGreaterThan(0);
  }
});
