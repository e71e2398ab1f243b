/**
 * The real thing: a local Citus lab (1 coordinator + 2 workers, supervised) deployed by DeployLab, then
 * an HA drill on worker-0 and the `complete` test suite, every activity real, on the dev server.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../../src/activities/index.js';
import type { LabSpec } from '../../../src/config/labSpec.js';
import { LocalEnvironment } from '../../../src/environments/local/localEnvironment.js';
import { runningSupervisor } from '../../../src/environments/local/supervisor.js';
import { LAB_CLUSTER, LAB_ENV } from '../../../src/temporal/searchAttributes.js';
import { deployLab, haDrill, labTestSuite } from '../../../src/workflows/index.js';
import { describeIfCitus } from '../../support/citus.js';
import { makeTempDataDir, makeTempLab, type TempLab } from '../../support/localLab.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../../support/temporal.js';

describeIfCitus('HA drill and lab tests on a real local Citus lab', () => {
  let lab: TempLab;
  let t: TestTemporal;
  let taskQueue: string;
  let reportsDir: string;

  const start = <T,>(operation: string, input: T) => ({
    taskQueue,
    workflowId: `citus-lab-local-${lab.spec.cluster}-${operation}`,
    args: [input] as [T],
    typedSearchAttributes: [
      { key: LAB_ENV, value: 'local' },
      { key: LAB_CLUSTER, value: lab.spec.cluster },
    ],
  });

  /** A worker with the real activities for one run (a worker shuts down when runUntil ends). */
  async function run<R>(fn: () => Promise<R>): Promise<R> {
    const worker: Worker = await createTestWorker(
      t,
      taskQueue,
      createActivities({
        environmentFor: (spec: LabSpec) => new LocalEnvironment(spec, { preloadCitus: true, supervise: true }),
        reportsDir: () => reportsDir,
      }),
    );
    return worker.runUntil(fn);
  }

  beforeAll(async () => {
    lab = await makeTempLab({ workers: 2, preloadCitus: true, supervise: true, cluster: `drill-${Date.now().toString(36)}` });
    reportsDir = makeTempDataDir('citus-lab-drill-reports-');
    t = await connectTemporal();
    taskQueue = uniqueTaskQueue('ha-drill-citus');
    const deployed = await run(() => t.client.workflow.execute(deployLab, start('deploy', { spec: lab.spec })));
    expect(deployed.status).toBe('PASS');
    expect(runningSupervisor(lab.env.layout)).toBeDefined();
  }, 300_000);

  afterAll(async () => {
    await lab?.cleanup();
    await t?.close();
    if (reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
  });

  test('a drill on worker-0 passes: 0 committed writes lost, a measured downtime, recovery in seconds', async () => {
    const result = await run(() =>
      t.client.workflow.execute(haDrill, start('ha-drill-worker-0', { spec: lab.spec, node: 'worker-0', settleSeconds: 2 })),
    );
    const m = result.metrics;
    process.stderr.write(
      `HA drill (local, worker-0): detect ${m.detectMs} ms, node accepting ${m.nodeAcceptingMs} ms, first distributed query ` +
        `${m.firstDistributedQueryMs} ms, all classes ${m.recoveryMs} ms; downtime ${m.classes.map((c) => `${c.cls}=${c.downtimeMs}`).join(' ')}; ` +
        `writes ${result.after?.writes.committed} committed, ${result.after?.writes.lost} lost\n`,
    );
    expect(result.checks.filter((c) => c.status === 'FAIL')).toEqual([]);
    expect(result.status).toBe('PASS');
    expect(result.after?.writes.lost).toBe(0);
    expect(result.after?.writes.committed).toBeGreaterThan(10);

    // The outage was seen and measured: the failed node's reads and the multi-shard query went down and came back.
    const byClass = Object.fromEntries(m.classes.map((c) => [c.cls, c]));
    expect(byClass['read-failed-node']?.downtimeMs).toBeGreaterThan(0);
    expect(byClass['multi-shard']?.downtimeMs).toBeGreaterThan(0);
    expect(byClass['read-healthy-node']?.availabilityPct).toBeGreaterThan(90);
    // What an application sees through the lab's API (deploy started it): the same two patients, by HTTP.
    expect(byClass['api-read-failed-node']?.downtimeMs).toBeGreaterThan(0);
    expect(byClass['api-read-healthy-node']?.availabilityPct).toBeGreaterThan(90);
    expect(Object.keys(byClass['api-read-failed-node']?.errors ?? {}).every((e) => e.startsWith('API: '))).toBe(true);
    // Measured, not bounded (timings belong in bench/): the drill saw the failure and the recovery.
    expect(m.detectMs).toBeGreaterThanOrEqual(0);
    expect(m.firstDistributedQueryMs).toBeGreaterThan(0);
    expect(m.nodeAcceptingMs).toBeLessThanOrEqual(m.firstDistributedQueryMs ?? Infinity);

    const json = JSON.parse(fs.readFileSync(result.reports.json, 'utf8')) as { data: { metrics: unknown }; status: string };
    expect(json.status).toBe('PASS');
    expect(json.data.metrics).toEqual(m);
    const markdown = fs.readFileSync(result.reports.markdown, 'utf8');
    expect(path.basename(result.reports.markdown)).toMatch(/^RESULTADOS_HA_DRILL_\d{8}_\d{6}\.md$/);
    expect(markdown).toContain('| time to detect (ms) |');
    expect(markdown).toContain('no committed write lost');
  });

  test('test complete passes: the suite database holds 1000 patients and every query gives the exact values', async () => {
    const result = await run(() => t.client.workflow.execute(labTestSuite, start('test-complete', { spec: lab.spec, suite: 'complete' as const })));
    expect(result.checks.filter((c) => c.status === 'FAIL')).toEqual([]);
    expect(result.status).toBe('PASS');
    expect(result.suiteDatabase).toBe(`${lab.spec.database}_suite`);
    const names = result.checks.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'connectivity coordinator',
        'citus extension on worker-1',
        'workers registered',
        'every node healthy',
        'distributed schema present',
        '1000 patients + 3000 observations loaded',
        'shards on every worker',
        'pacientes count',
        'observaciones count',
        'co-located join',
        'aggregate per codigo',
        'distributed select',
      ]),
    );
    expect(result.checks.find((c) => c.name === 'observaciones count')?.message).toBe('3000 sample rows in observaciones, expected 3000 for 1000 patients');
    expect(path.basename(result.reports.markdown)).toMatch(/^RESULTADOS_TESTS_COMPLETE_\d{8}_\d{6}\.md$/);
    expect(fs.readFileSync(result.reports.markdown, 'utf8')).toMatch(/Checks: \d+\/\d+ passed \(100%\)/);
  });
});
