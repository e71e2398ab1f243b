/**
 * Every history in test/histories/ was recorded from a real run (local environment, real Citus,
 * the embedded dev server) and exported with `history export`. Files are named
 * `<workflowId>__<what the run shows>.json`: replay needs the original id, because child workflow
 * ids are derived from it. The current workflow code must
 * replay each of them without a determinism error; see README "Changing workflow code".
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { replayHistories } from '../../src/temporal/replay.js';
import { quietRuntime, workflowBundle } from '../support/temporal.js';

const dir = fileURLToPath(new URL('../histories', import.meta.url));
const recorded = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    file,
    workflowId: path.basename(file, '.json').split('__')[0]!,
    history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))),
  }));

beforeAll(() => quietRuntime());

test('there are recorded histories of every lab workflow', () => {
  const types = new Set(recorded.map((r) => r.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
  expect([...types].sort()).toEqual(
    expect.arrayContaining([
      'cleanupLab',
      'deployLab',
      'failoverNode',
      'haDrill',
      'labStatus',
      'labTestSuite',
      'rebalanceAndDrain',
      'registerWorkers',
      'switchoverNode',
      'verifyLab',
      'watchLab',
    ]),
  );
});

test('the current workflow code replays every recorded history', async () => {
  const outcomes = await replayHistories(recorded, { workflowBundle: await workflowBundle() });
  expect(outcomes.map((o) => ({ id: o.workflowId, error: o.error }))).toEqual(recorded.map((r) => ({ id: r.workflowId, error: undefined })));
  expect(outcomes.every((o) => o.events > 0)).toBe(true);
}, 120_000);

test('an incompatible change to DeployLab is rejected (the replay test can fail)', async () => {
  const changed = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../fixtures/changedWorkflows/index.ts', import.meta.url)),
    logger: new DefaultLogger('WARN'),
  });
  const deploys = recorded.filter((r) => r.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name === 'deployLab');
  expect(deploys.length).toBeGreaterThan(0);
  const outcomes = await replayHistories(deploys, { workflowBundle: changed });
  for (const outcome of outcomes) expect(outcome.error).toMatch(/[Nn]ondetermin/);
}, 120_000);

test('every patch id has a recorded history of a run that took it (so the new branch is replayed too)', async () => {
  const patches = await import('../../src/workflows/patches.js');
  const ids: string[] = Object.values(patches).filter((v) => typeof v === 'string');
  expect(ids.length).toBeGreaterThan(0);
  const taken = new Set(
    recorded.flatMap((r) =>
      (r.history.events ?? []).flatMap((e) => {
        const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
        return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
      }),
    ),
  );
  expect(ids.filter((id) => !taken.has(id))).toEqual([]);
});
