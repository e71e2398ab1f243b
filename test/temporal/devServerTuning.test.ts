/**
 * The embedded dev server's settings (src/temporal/devServerTuning.ts): the arguments, and proof on
 * the real server (global setup starts it with the same arguments) that the server took them. A
 * misspelt dynamic-config key is silently ignored, so each proof is an effect, not the flag's presence.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { devServerArgs } from '../../src/temporal/devServer.js';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../src/temporal/devServerTuning.js';
import { roundTripActivities } from '../fixtures/roundTrips/activities.js';
import { activityRoundTrips } from '../fixtures/roundTrips/workflows.js';
import { connectTemporal, uniqueTaskQueue, type TestTemporal } from '../support/temporal.js';

const valuesOf = (args: string[], flag: string) => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));

test('every setting is passed; the SQLite pragmas only with a history file', () => {
  const inMemory = devServerArgs({ address: '127.0.0.1:7233', headless: true });
  expect(valuesOf(inMemory, '--dynamic-config-value')).toEqual([
    'history.transferProcessorMaxPollRPS=1000',
    'history.timerProcessorMaxPollRPS=1000',
    'history.visibilityProcessorMaxPollRPS=1000',
    'system.enableActivityEagerExecution=true',
    'history.defaultWorkflowTaskTimeout="2s"',
  ]);
  expect(valuesOf(inMemory, '--sqlite-pragma')).toEqual([]);
  const persistent = devServerArgs({ address: '127.0.0.1:7233', headless: true, dbFile: `${process.env.CITUS_LAB_TEST_TEMPORAL_DIR}/tuning/t.db` });
  expect(valuesOf(persistent, '--sqlite-pragma')).toEqual(['journal_mode=wal', 'synchronous=normal']);
});

describe('on the running dev server', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTemporal();
  });
  afterAll(async () => {
    await t?.close();
  });

  test('a run started without a workflow task timeout gets the 2 s default', async () => {
    const taskQueue = uniqueTaskQueue('tuning-timeout');
    const handle = await t.client.workflow.start(activityRoundTrips, { taskQueue, workflowId: taskQueue, args: [0] });
    try {
      const { events } = await handle.fetchHistory();
      const started = events?.[0]?.workflowExecutionStartedEventAttributes;
      expect(Number(started?.workflowTaskTimeout?.seconds)).toBe(2);
      expect(DEV_SERVER_DYNAMIC_CONFIG['history.defaultWorkflowTaskTimeout']).toBe('2s');
    } finally {
      await handle.terminate('only its start event was needed');
    }
  });

  test('workflow tasks are not held to the default 20 reads/s once the burst is spent', async () => {
    // Each round trip's workflow task goes through the transfer queue. With the default limit its reader
    // waits for a token (one per 50 ms, burst 20) before every read: ~20-40 ms from scheduled to started
    // on average once the burst is spent. Server-side timestamps keep the workers' CPU out of it.
    const taskQueue = uniqueTaskQueue('tuning-rps');
    const worker = await Worker.create({
      connection: t.nativeConnection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/roundTrips/workflows.ts', import.meta.url)),
      activities: roundTripActivities,
    });
    await worker.runUntil(t.client.workflow.execute(activityRoundTrips, { taskQueue, workflowId: taskQueue, args: [60] }));
    const { events } = await t.client.workflow.getHandle(taskQueue).fetchHistory();
    const at = (e: (typeof events & object)[number]) => Number(e.eventTime?.seconds) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    const waits: number[] = [];
    let scheduledAt = 0;
    for (const e of events ?? []) {
      if (e.workflowTaskScheduledEventAttributes) scheduledAt = at(e);
      if (e.workflowTaskStartedEventAttributes) waits.push(at(e) - scheduledAt);
    }
    const afterBurst = waits.slice(21);
    expect(afterBurst.length).toBeGreaterThan(30);
    expect(afterBurst.reduce((a, b) => a + b, 0) / afterBurst.length).toBeLessThan(12);
  }, 120_000);
});
