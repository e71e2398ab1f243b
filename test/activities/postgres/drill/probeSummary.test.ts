/** Folding probe samples: run-length timelines, percentiles, per-second counts, the write ledger, and when a drill has settled. */
import {
  ProbeRecorder,
  latencySummary,
  missingFrom,
  percentile,
  rangeCount,
  shortError,
  toRanges,
  type ProbeSample,
} from '../../../../src/activities/postgres/drill/probeSummary.js';

const T0 = 1_700_000_000_000;

/** A class probed every 100 ms for `seconds`, failing in [failFrom, failTo) ms after T0. */
function stream(cls: ProbeSample['cls'], seconds: number, failFrom = Infinity, failTo = Infinity): ProbeSample[] {
  return Array.from({ length: seconds * 10 }, (_, i) => {
    const at = T0 + i * 100 + 5;
    const ok = !(at - T0 >= failFrom && at - T0 < failTo);
    return { cls, at, ok, latencyMs: ok ? 1 + (i % 10) : 3, ...(ok ? {} : { error: 'connection refused\nDETAIL: remote node' }) };
  });
}

test('percentile is nearest-rank', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(sorted, 50)).toBe(50);
  expect(percentile(sorted, 99)).toBe(99);
  expect(percentile(sorted, 100)).toBe(100);
  expect(percentile([7], 99)).toBe(7);
  expect(percentile([], 50)).toBeUndefined();
  expect(latencySummary([5, 1, 3])).toEqual({ p50: 3, p99: 5, max: 5 });
  expect(latencySummary([])).toBeUndefined();
});

test('ranges compress sequence numbers and find what is missing', () => {
  expect(toRanges([5, 1, 2, 3, 7, 8, 8])).toEqual([[1, 3], [5, 5], [7, 8]]);
  expect(toRanges([])).toEqual([]);
  expect(rangeCount([[1, 3], [5, 5], [7, 8]])).toBe(6);
  expect(missingFrom([[1, 3], [7, 8]], new Set([1, 3, 7, 8, 99]))).toEqual([2]);
});

test('errors keep their first line, bounded', () => {
  expect(shortError('connection refused\nDETAIL: x')).toBe('connection refused');
  expect(shortError('x'.repeat(500))).toHaveLength(200);
});

test('an outage folds into three runs per failing class, with per-second counts and latencies of successes', () => {
  const recorder = new ProbeRecorder(T0, ['read-failed-node', 'read-healthy-node']);
  const samples = [...stream('read-failed-node', 3, 1_000, 1_400), ...stream('read-healthy-node', 3)].sort((a, b) => a.at - b.at);
  for (const s of samples) recorder.add(s);
  const [failed, healthy] = recorder.classSummaries();

  expect(failed).toMatchObject({ cls: 'read-failed-node', probes: 30, ok: 26, failed: 4, errors: { 'connection refused': 4 } });
  expect(failed?.runs).toEqual([
    { ok: true, from: T0 + 5, to: T0 + 905, count: 10 },
    { ok: false, from: T0 + 1_005, to: T0 + 1_305, count: 4, error: 'connection refused' },
    { ok: true, from: T0 + 1_405, to: T0 + 2_905, count: 16 },
  ]);
  expect(failed?.perSecond).toEqual([[10, 0], [6, 4], [10, 0]]);
  // Only the 26 successes count (1..10 ms); with the four 3 ms failures the median would be 5.
  expect(failed?.latencyMs).toEqual({ p50: 6, p99: 10, max: 10 });
  expect(healthy).toMatchObject({ probes: 30, ok: 30, failed: 0, errors: {} });
  expect(healthy?.runs).toHaveLength(1);
  expect(recorder.totals()).toEqual({ probes: 60, failed: 4 });
});

test('settled: a failure was seen, and every class has been healthy for the settle time since', () => {
  const recorder = new ProbeRecorder(T0, ['multi-shard', 'write']);
  const feed = (samples: ProbeSample[]) => samples.forEach((s) => recorder.add(s));
  feed([{ cls: 'multi-shard', at: T0 + 100, ok: true, latencyMs: 2 }, { cls: 'write', at: T0 + 100, ok: true, latencyMs: 2 }]);
  expect(recorder.failureSeen()).toBe(false);
  expect(recorder.settled(T0 + 10_000, 1_000)).toBe(true); // healthy, but nothing happened yet: the caller also asks failureSeen()

  feed([{ cls: 'multi-shard', at: T0 + 200, ok: false, latencyMs: 1, error: 'refused' }]);
  expect(recorder.failureSeen()).toBe(true);
  expect(recorder.settled(T0 + 5_000, 1_000)).toBe(false); // its last probe failed

  feed([{ cls: 'multi-shard', at: T0 + 500, ok: true, latencyMs: 2 }]);
  expect(recorder.settled(T0 + 1_100, 1_000)).toBe(false); // 900 ms since the last failure
  expect(recorder.settled(T0 + 1_200, 1_000)).toBe(true);
});

test('the write ledger keeps acknowledged commits only, as ranges', () => {
  const recorder = new ProbeRecorder(T0, ['write']);
  for (let i = 0; i < 10; i++) {
    const seq = recorder.writeAttempted();
    if (seq < 4 || seq > 6) recorder.writeCommitted(seq);
  }
  expect(recorder.writeLedger()).toEqual({ attempted: 10, committed: 7, committedRanges: [[1, 3], [7, 10]] });
});

test('a class that flaps keeps a bounded payload', () => {
  const recorder = new ProbeRecorder(T0, ['write']);
  for (let i = 0; i < 10_000; i++) recorder.add({ cls: 'write', at: T0 + i, ok: i % 2 === 0, latencyMs: 1, error: `e${i % 50}` });
  const [summary] = recorder.classSummaries();
  expect(summary?.runs.length).toBe(2_000);
  expect(Object.keys(summary?.errors ?? {})).toHaveLength(5);
  expect(summary?.probes).toBe(10_000);
  expect(JSON.stringify(recorder.classSummaries()).length).toBeLessThan(200_000);
});

test('a resumed recorder continues the lost attempt\'s fold: same start, timelines and ledger, writes numbered past it', () => {
  const first = new ProbeRecorder(T0, ['multi-shard', 'write']);
  for (const s of stream('multi-shard', 2, 1_000, 1_500)) first.add(s);
  for (let i = 0; i < 5; i++) first.writeCommitted(first.writeAttempted());
  first.writeAttempted(); // attempted, its outcome never known
  // The checkpoint travels as JSON (heartbeat details).
  const checkpoint = JSON.parse(JSON.stringify(first.state())) as ReturnType<ProbeRecorder['state']>;

  const resumed = ProbeRecorder.resume(checkpoint, ['multi-shard', 'write'], 1_000_001);
  expect(resumed.startedAt).toBe(T0);
  expect(resumed.classSummaries()).toEqual(first.classSummaries());
  expect(resumed.failureSeen()).toBe(true);
  const seq = resumed.writeAttempted();
  expect(seq).toBe(1_000_001);
  resumed.writeCommitted(seq);
  expect(resumed.writeLedger()).toEqual({ attempted: 7, committed: 6, committedRanges: [[1, 5], [1_000_001, 1_000_001]] });

  // Later samples extend the same timeline (an outage that ended while nobody probed shows as one failing run, then success).
  resumed.add({ cls: 'multi-shard', at: T0 + 5_000, ok: true, latencyMs: 2 });
  const multi = resumed.classSummaries().find((c) => c.cls === 'multi-shard');
  expect(multi?.probes).toBe(21);
  expect(multi?.runs.at(-1)).toMatchObject({ ok: true, to: T0 + 5_000 });
  expect(multi?.perSecond).toHaveLength(6);
});
