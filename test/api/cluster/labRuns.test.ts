/**
 * The last deploy/drill/drain runs of a lab as the admin dashboard lists them, from the real Temporal
 * dev server of the test run. Runs are started on a task queue nobody polls: they stay open, which is
 * all a listing needs, and are terminated afterwards.
 */
import { randomBytes } from 'node:crypto';
import { LabRunsReader, labRunsQuery } from '../../../src/api/cluster/labRuns.js';
import { LAB_CLUSTER, LAB_ENV } from '../../../src/temporal/searchAttributes.js';
import { labWorkflowId } from '../../../src/workflows/inputs.js';
import { connectTemporal, temporalAddress, type TestTemporal } from '../../support/temporal.js';

const cluster = `dash-${randomBytes(3).toString('hex')}`;
const spec = { env: 'local' as const, cluster };

describe('LabRunsReader', () => {
  let temporal: TestTemporal;
  const started: string[] = [];

  async function start(type: string, workflowId: string, forCluster = cluster): Promise<string> {
    const handle = await temporal.client.workflow.start(type, {
      taskQueue: `nobody-polls-${cluster}`,
      workflowId,
      args: [],
      typedSearchAttributes: [
        { key: LAB_ENV, value: 'local' },
        { key: LAB_CLUSTER, value: forCluster },
      ],
    });
    started.push(workflowId);
    return handle.firstExecutionRunId;
  }

  beforeAll(async () => {
    temporal = await connectTemporal();
  });
  afterAll(async () => {
    for (const id of started) await temporal.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    await temporal?.close();
  });

  test('gives the last run of each kind for this lab only, with Web UI links', async () => {
    await start('deployLab', `${labWorkflowId(spec, 'deploy')}-old`);
    const deployRun = await start('deployLab', labWorkflowId(spec, 'deploy'));
    const drillRun = await start('haDrill', labWorkflowId(spec, 'ha-drill-worker-1'));
    const drainRun = await start('rebalanceAndDrain', labWorkflowId(spec, 'drain-worker-2'));
    await start('deployLab', labWorkflowId({ env: 'local', cluster: `${cluster}-other` }, 'deploy'), `${cluster}-other`);
    await start('verifyLab', labWorkflowId(spec, 'verify'));

    const reader = new LabRunsReader({ ...spec, address: temporalAddress(), environment: { CITUS_LAB_UI_URL: 'http://ui.test:8233/' } });
    try {
      // Visibility is eventually consistent: wait until all three kinds are listed.
      let result = await reader.read();
      for (let i = 0; i < 50 && result.runs.length < 3; i++) {
        await new Promise((r) => setTimeout(r, 200));
        result = await reader.read();
      }
      expect(result.temporal).toMatchObject({ reachable: true, uiUrl: 'http://ui.test:8233' });
      expect(result.runs.map((r) => [r.kind, r.workflowId, r.runId, r.status])).toEqual([
        ['deploy', labWorkflowId(spec, 'deploy'), deployRun, 'running'],
        ['drill', labWorkflowId(spec, 'ha-drill-worker-1'), drillRun, 'running'],
        ['drain', labWorkflowId(spec, 'drain-worker-2'), drainRun, 'running'],
      ]);
      expect(result.runs[0]?.url).toBe(
        `http://ui.test:8233/namespaces/default/workflows/${encodeURIComponent(labWorkflowId(spec, 'deploy'))}/${deployRun}/history`,
      );
    } finally {
      await reader.close();
    }
  });

  test('reports a Temporal server that does not answer instead of failing', async () => {
    const reader = new LabRunsReader({ ...spec, address: '127.0.0.1:1', environment: {} });
    try {
      const result = await reader.read();
      expect(result.runs).toEqual([]);
      expect(result.temporal.reachable).toBe(false);
      expect(result.temporal.message).toMatch(/127\.0\.0\.1:1/);
    } finally {
      await reader.close();
    }
  });

  test('quotes the lab names in its list query', () => {
    expect(labRunsQuery('local', "x' OR 1=1")).toBe(
      "CitusLabEnv = 'local' AND CitusLabCluster = 'x\\' OR 1=1' AND WorkflowType IN ('deployLab', 'haDrill', 'rebalanceAndDrain')",
    );
  });
});
