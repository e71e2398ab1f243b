/** Which probe classes a drill runs: the API reads only when asked for, and only for the keys the plan has. */
import { probedClasses } from '../../../../src/activities/postgres/drill/probes.js';
import type { DrillPlan } from '../../../../src/activities/postgres/drill/drillTypes.js';

const plan: DrillPlan = { drillId: 'd', node: 'worker-0', failedNodeKey: 1, healthyNodeKey: 2, writeKeys: [1], keysExist: true, patients: 10 };

test('SQL classes only, unless the drill probes the API too', () => {
  expect(probedClasses(plan)).toEqual(['read-failed-node', 'read-healthy-node', 'multi-shard', 'write']);
  expect(probedClasses(plan, true)).toEqual([
    'read-failed-node',
    'read-healthy-node',
    'multi-shard',
    'write',
    'api-read-failed-node',
    'api-read-healthy-node',
  ]);
});

test('a node without shards has no failed-node reads, by SQL or through the API', () => {
  const withoutFailed: DrillPlan = { ...plan, failedNodeKey: undefined };
  expect(probedClasses(withoutFailed, true)).toEqual(['read-healthy-node', 'multi-shard', 'write', 'api-read-healthy-node']);
});
