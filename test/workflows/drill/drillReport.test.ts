/** The drill's numbers and verdict on synthetic probe data (the pure module the workflow runs). */
import type { DrillAfterCheck, OutcomeRun, ProbeClassSummary, ProbeRunSummary } from '../../../src/activities/postgres/drill/drillTypes.js';
import { classOutcome, drillMetrics, drillSummary, judgeDrill, measurementGaps } from '../../../src/workflows/drill/drillReport.js';
import { FAKE_FINGERPRINT, fakeProbeSummary } from '../../support/fakeActivities.js';

const FAULT = 1_700_000_010_000;
const START = FAULT - 1_000;

function summary(cls: ProbeClassSummary['cls'], runs: OutcomeRun[]): ProbeClassSummary {
  const probes = runs.reduce((n, r) => n + r.count, 0);
  const failed = runs.filter((r) => !r.ok).reduce((n, r) => n + r.count, 0);
  return { cls, probes, ok: probes - failed, failed, runs, latencyMs: { p50: 2, p99: 8, max: 9 }, errors: {}, perSecond: [] };
}
const ok = (from: number, to: number, count: number): OutcomeRun => ({ ok: true, from, to, count });
const bad = (from: number, to: number, count: number): OutcomeRun => ({ ok: false, from, to, count, error: 'refused' });

test('a clean outage: detect, downtime, recovery, availability', () => {
  const outcome = classOutcome(summary('read-failed-node', [ok(START, FAULT - 10, 10), bad(FAULT + 30, FAULT + 230, 3), ok(FAULT + 330, FAULT + 3_000, 27)]), FAULT);
  expect(outcome).toMatchObject({
    firstFailureMs: 30,
    downtimeMs: 300,
    recoveredAfterMs: 330,
    healthyAtEnd: true,
    availabilityPct: 92.5,
    p50Ms: 2,
    p99Ms: 8,
  });
});

test('a class that never failed has no downtime and no recovery time', () => {
  expect(classOutcome(summary('read-healthy-node', [ok(START, FAULT + 3_000, 40)]), FAULT)).toMatchObject({
    downtimeMs: 0,
    availabilityPct: 100,
    healthyAtEnd: true,
  });
  expect(classOutcome(summary('read-healthy-node', [ok(START, FAULT + 3_000, 40)]), FAULT).recoveredAfterMs).toBeUndefined();
});

test('flapping is charged from the first failure to the first lasting success', () => {
  const outcome = classOutcome(
    summary('multi-shard', [ok(START, FAULT - 10, 10), bad(FAULT + 10, FAULT + 110, 2), ok(FAULT + 210, FAULT + 210, 1), bad(FAULT + 310, FAULT + 410, 2), ok(FAULT + 510, FAULT + 2_000, 15)]),
    FAULT,
  );
  expect(outcome).toMatchObject({ firstFailureMs: 10, downtimeMs: 500, recoveredAfterMs: 510, failed: 4 });
});

test('a class still failing at the end has no recovery and is not healthy', () => {
  const outcome = classOutcome(summary('write', [ok(START, FAULT - 10, 10), bad(FAULT + 50, FAULT + 60_000, 600)]), FAULT);
  expect(outcome).toMatchObject({ firstFailureMs: 50, healthyAtEnd: false });
  expect(outcome.downtimeMs).toBeUndefined();
  expect(outcome.recoveredAfterMs).toBeUndefined();
});

test('a failure that ended before the fault costs availability, not downtime', () => {
  const outcome = classOutcome(summary('write', [bad(START, START + 100, 2), ok(START + 200, FAULT + 2_000, 28)]), FAULT);
  expect(outcome).toMatchObject({ downtimeMs: 0, availabilityPct: 93.3 });
  expect(outcome.firstFailureMs).toBeUndefined();
});

test('drill metrics: detection is the earliest class, recovery the latest, the distributed query the multi-shard class', () => {
  const metrics = drillMetrics(fakeProbeSummary(START, FAULT), FAULT, { node: 'worker-0', acceptingAt: FAULT + 250, distributedOkAt: FAULT + 320 });
  expect(metrics).toMatchObject({ detectMs: 20, nodeAcceptingMs: 250, firstDistributedQueryMs: 320, recoveryMs: 320, probes: 160, failedProbes: 9 });
  expect(metrics.classes.map((c) => [c.cls, c.downtimeMs])).toEqual([
    ['read-failed-node', 280],
    ['read-healthy-node', 0],
    ['multi-shard', 300],
    ['write', 280],
  ]);
  const table = drillSummary('worker-0', 'PASS', metrics);
  expect(table).toMatchObject({ 'time to detect (ms)': 20, 'multi-shard: downtime (ms)': 300, 'write: availability (%)': 92.5, 'committed writes lost': 'n/a' });
});

test('no recovery figure while any class is still down', () => {
  const probes: ProbeRunSummary = fakeProbeSummary(START, FAULT);
  const stuck = { ...probes, classes: probes.classes.map((c) => (c.cls === 'write' ? summary('write', [bad(FAULT + 20, FAULT + 9_000, 90)]) : c)) };
  expect(drillMetrics(stuck, FAULT).recoveryMs).toBeUndefined();
});

const cleanAfter = (lost = 0): DrillAfterCheck => ({
  ...FAKE_FINGERPRINT,
  writes: { committed: 37, present: 37 - lost, lost, lostSample: lost ? [13, 14].slice(0, lost) : [], unacknowledgedPresent: 0 },
});

function evidence(after: DrillAfterCheck | undefined) {
  const recovery = { node: 'worker-0', acceptingAt: FAULT + 250, distributedOkAt: FAULT + 320 };
  return { node: 'worker-0', metrics: drillMetrics(fakeProbeSummary(START, FAULT), FAULT, recovery), recovery, baseline: FAKE_FINGERPRINT, after };
}

test('verdict PASS: back, healthy, nothing lost, nothing changed', () => {
  const verdict = judgeDrill(evidence(cleanAfter()));
  expect(verdict.status).toBe('PASS');
  expect(verdict.checks.map((c) => [c.name, c.status])).toEqual([
    ['node back', 'PASS'],
    ['probes healthy again', 'PASS'],
    ['no committed write lost', 'PASS'],
    ['data unchanged', 'PASS'],
    ['shard placements unchanged', 'PASS'],
  ]);
  expect(verdict.checks[2]?.message).toBe('37 committed writes, all present');
});

test('verdict FAIL on a lost committed write, naming it', () => {
  const verdict = judgeDrill(evidence(cleanAfter(2)));
  expect(verdict.status).toBe('FAIL');
  expect(verdict.checks.find((c) => c.name === 'no committed write lost')).toMatchObject({
    status: 'FAIL',
    message: '2 of 37 committed writes missing (seq 13, 14)',
  });
});

test('verdict FAIL when rows or placements changed', () => {
  const changed = cleanAfter();
  const after: DrillAfterCheck = {
    ...changed,
    tables: [{ table: 'pacientes', rows: 99, checksum: '1' }, ...changed.tables.slice(1)],
    placementDigest: 'moved',
  };
  const verdict = judgeDrill(evidence(after));
  expect(verdict.checks.find((c) => c.name === 'data unchanged')).toMatchObject({ status: 'FAIL', message: 'changed: pacientes (100 -> 99 rows)' });
  expect(verdict.checks.find((c) => c.name === 'shard placements unchanged')?.status).toBe('FAIL');
});

test('verdict FAIL with the reason when the node never came back and nothing could be checked', () => {
  const verdict = judgeDrill({
    node: 'worker-0',
    recoveryError: 'worker-0 did not accept connections within 60 s of the fault',
    probesError: undefined,
    baseline: FAKE_FINGERPRINT,
    afterError: 'cannot connect',
  });
  expect(verdict.status).toBe('FAIL');
  expect(verdict.checks[0]).toMatchObject({ name: 'node back', status: 'FAIL', message: 'worker-0 did not accept connections within 60 s of the fault' });
  expect(verdict.checks.filter((c) => c.status === 'FAIL')).toHaveLength(5);
  expect(verdict.checks[2]?.message).toBe('the after-drill check did not run: cannot connect');
});

test('a drill whose workers lived throughout has no measurement gaps, and its messages say nothing of them', () => {
  const e = evidence(cleanAfter());
  expect(measurementGaps(FAULT, fakeProbeSummary(START, FAULT), e.recovery)).toEqual([]);
  expect(judgeDrill({ ...e, gaps: [] }).checks.map((c) => c.message).join(' ')).not.toMatch(/lost|watched/);
});

test('a lost worker: the spans without probes and the unwatched recovery are named, in the checks whose figures they bound', () => {
  const probes: ProbeRunSummary = { ...fakeProbeSummary(START, FAULT), interruptions: [{ from: FAULT + 100, to: FAULT + 6_100, attempt: 2 }] };
  const recovery = {
    node: 'worker-0',
    acceptingAt: FAULT + 6_200,
    distributedOkAt: FAULT + 6_300,
    unobserved: { acceptingAt: { from: FAULT + 150, to: FAULT + 6_200 } },
  };
  const gaps = measurementGaps(FAULT, probes, recovery);
  expect(gaps).toEqual([
    expect.stringMatching(/^no probes ran from 100 to 6100 ms after the fault \(their worker was lost; attempt 2 resumed them\)/),
    'the node began accepting connections between 150 and 6200 ms after the fault (nobody watched: the worker was lost; the later figure is reported)',
  ]);
  const after = { ...cleanAfter(), writes: { ...cleanAfter().writes, unacknowledgedPresent: 3 } };
  const verdict = judgeDrill({ ...evidence(after), recovery, gaps });
  // Still a PASS (nothing failed), but no figure pretends to be exact.
  expect(verdict.status).toBe('PASS');
  expect(verdict.checks[0]?.message).toMatch(/accepted connections 250 ms after the kill; the node began accepting connections between 150 and 6200 ms/);
  expect(verdict.checks[1]?.message).toMatch(/; no probes ran from 100 to 6100 ms/);
  expect(verdict.checks[2]?.message).toMatch(/3 more are present: commits that raced the fault, or acknowledged to a lost worker after its last checkpoint/);
});
