/** Reading a lost attempt's checkpoint back: only the drill's own shapes count, and retries never reuse a write number. */
import { firstSeqOf, probeCheckpointOf, recoveryCheckpointOf, SEQ_PER_ATTEMPT } from '../../../../src/activities/postgres/drill/drillCheckpoints.js';
import { ProbeRecorder } from '../../../../src/activities/postgres/drill/probeSummary.js';

test('probe checkpoints: the drill\'s own shape, not what an older worker heartbeated', () => {
  const recorder = new ProbeRecorder(1_000, ['write']).state();
  const checkpoint = { kind: 'probes', at: 2_000, recorder, interruptions: [], elapsedMs: 1_000, probes: 0, failed: 0 };
  expect(probeCheckpointOf(checkpoint)).toEqual(checkpoint);
  expect(probeCheckpointOf({ elapsedMs: 1_000, probes: 3, failed: 0 })).toBeUndefined(); // before drill-resume-v1
  expect(probeCheckpointOf(undefined)).toBeUndefined();
  expect(probeCheckpointOf({ kind: 'probes', at: 2_000, recorder: {} })).toBeUndefined();
});

test('recovery checkpoints: of the same node only', () => {
  const checkpoint = { kind: 'recovery', node: 'worker-0', startedAt: 1_000, at: 1_500 };
  expect(recoveryCheckpointOf(checkpoint, 'worker-0')).toEqual(checkpoint);
  expect(recoveryCheckpointOf(checkpoint, 'worker-1')).toBeUndefined();
  expect(recoveryCheckpointOf({ node: 'worker-0', accepting: false, waitedMs: 10 }, 'worker-0')).toBeUndefined();
});

test('each attempt numbers its writes in its own range', () => {
  expect(firstSeqOf(1)).toBe(1);
  expect(firstSeqOf(2)).toBe(SEQ_PER_ATTEMPT + 1);
  expect(firstSeqOf(3)).toBe(2 * SEQ_PER_ATTEMPT + 1);
});
