/**
 * Folds probe outcomes into what the drill returns: per class a run-length timeline, latency
 * percentiles, error tallies and per-second counts, plus the committed writes as ranges. Pure (no I/O,
 * the clock comes in with each sample), so it is tested on synthetic probe data; the payload stays small
 * however long the drill runs (Temporal caps payloads at 2 MB).
 */
import {
  PROBE_CLASSES,
  type LatencySummary,
  type OutcomeRun,
  type ProbeClass,
  type ProbeClassSummary,
  type WriteLedger,
} from './drillTypes.js';

export interface ProbeSample {
  readonly cls: ProbeClass;
  /** When the probe finished (its outcome known), epoch ms. */
  readonly at: number;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
}

const MAX_RUNS = 2_000;
const MAX_ERROR_KINDS = 5;
const MAX_SECONDS = 3_600;

/** Nearest-rank percentile of an ascending array; undefined when empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function latencySummary(latencies: readonly number[]): LatencySummary | undefined {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const max = sorted[sorted.length - 1];
  if (p50 === undefined || p99 === undefined || max === undefined) return undefined;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { p50: round(p50), p99: round(p99), max: round(max) };
}

/** Ascending integers as inclusive ranges: [1,2,3,7,8] -> [[1,3],[7,8]]. */
export function toRanges(values: readonly number[]): Array<[number, number]> {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const v of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && v === last[1] + 1) last[1] = v;
    else ranges.push([v, v]);
  }
  return ranges;
}

export function rangeCount(ranges: ReadonlyArray<readonly [number, number]>): number {
  return ranges.reduce((n, [a, b]) => n + (b - a + 1), 0);
}

/** Values in `ranges` that `present` lacks, ascending. */
export function missingFrom(ranges: ReadonlyArray<readonly [number, number]>, present: ReadonlySet<number>): number[] {
  const missing: number[] = [];
  for (const [a, b] of ranges) for (let v = a; v <= b; v++) if (!present.has(v)) missing.push(v);
  return missing;
}

/** First line, bounded: Citus repeats the remote error over several lines. */
export function shortError(message: string): string {
  const line = message.split('\n')[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** One class's fold so far, as plain JSON: the checkpoint a retried probe run resumes from. */
export interface ClassRecorderState {
  readonly cls: ProbeClass;
  readonly probes: number;
  readonly ok: number;
  readonly runs: OutcomeRun[];
  readonly latencies: number[];
  readonly errors: Array<[string, number]>;
  readonly perSecond: Array<[number, number]>;
  readonly lastFailureAt?: number;
  readonly lastOk?: boolean;
}

export interface RecorderState {
  readonly startedAt: number;
  readonly attempted: number;
  readonly committedRanges: Array<[number, number]>;
  readonly classes: ClassRecorderState[];
}

class ClassRecorder {
  readonly runs: Array<{ ok: boolean; from: number; to: number; count: number; error?: string }> = [];
  readonly latencies: number[] = [];
  readonly errors = new Map<string, number>();
  readonly perSecond: Array<[number, number]> = [];
  probes = 0;
  ok = 0;
  lastFailureAt: number | undefined;
  lastOk: boolean | undefined;

  constructor(readonly cls: ProbeClass) {}

  state(): ClassRecorderState {
    return {
      cls: this.cls,
      probes: this.probes,
      ok: this.ok,
      runs: this.runs.map((r) => ({ ...r })),
      latencies: this.latencies.map((ms) => Math.round(ms * 10) / 10),
      errors: [...this.errors],
      perSecond: this.perSecond.map((b): [number, number] => [b[0], b[1]]),
      ...(this.lastFailureAt !== undefined ? { lastFailureAt: this.lastFailureAt } : {}),
      ...(this.lastOk !== undefined ? { lastOk: this.lastOk } : {}),
    };
  }

  restore(state: ClassRecorderState): void {
    this.probes = state.probes;
    this.ok = state.ok;
    this.runs.push(...state.runs.map((r) => ({ ...r })));
    this.latencies.push(...state.latencies);
    for (const [error, n] of state.errors) this.errors.set(error, n);
    this.perSecond.push(...state.perSecond.map((b): [number, number] => [b[0], b[1]]));
    this.lastFailureAt = state.lastFailureAt;
    this.lastOk = state.lastOk;
  }

  add(sample: ProbeSample, startedAt: number): void {
    this.probes += 1;
    this.lastOk = sample.ok;
    if (sample.ok) {
      this.ok += 1;
      this.latencies.push(sample.latencyMs);
    } else {
      this.lastFailureAt = sample.at;
      const error = shortError(sample.error ?? 'failed');
      if (this.errors.has(error) || this.errors.size < MAX_ERROR_KINDS) this.errors.set(error, (this.errors.get(error) ?? 0) + 1);
    }
    const last = this.runs[this.runs.length - 1];
    if (last && last.ok === sample.ok) {
      last.to = sample.at;
      last.count += 1;
    } else if (this.runs.length < MAX_RUNS) {
      this.runs.push({ ok: sample.ok, from: sample.at, to: sample.at, count: 1, ...(sample.ok ? {} : { error: shortError(sample.error ?? 'failed') }) });
    }
    const second = Math.max(0, Math.floor((sample.at - startedAt) / 1000));
    if (second < MAX_SECONDS) {
      while (this.perSecond.length <= second) this.perSecond.push([0, 0]);
      const bucket = this.perSecond[second] as [number, number];
      bucket[sample.ok ? 0 : 1] += 1;
    }
  }

  summary(): ProbeClassSummary {
    const latency = latencySummary(this.latencies);
    return {
      cls: this.cls,
      probes: this.probes,
      ok: this.ok,
      failed: this.probes - this.ok,
      runs: this.runs.map((r): OutcomeRun => ({ ...r })),
      ...(latency ? { latencyMs: latency } : {}),
      errors: Object.fromEntries(this.errors),
      perSecond: this.perSecond.map((b): [number, number] => [b[0], b[1]]),
    };
  }
}

/** Accumulates samples of the classes being probed, and the write ledger. */
export class ProbeRecorder {
  private readonly classes: Map<ProbeClass, ClassRecorder>;
  private readonly committed: number[] = [];
  private attempted = 0;
  private nextSeq: number;

  /** `firstSeq`: where this recorder's write sequence numbers start (a retry starts past the lost attempt's). */
  constructor(
    readonly startedAt: number,
    probed: readonly ProbeClass[] = PROBE_CLASSES,
    firstSeq = 1,
  ) {
    this.classes = new Map(probed.map((cls) => [cls, new ClassRecorder(cls)]));
    this.nextSeq = firstSeq;
  }

  /**
   * A recorder that continues `state` (a lost attempt's checkpoint): the same start, timelines and
   * ledger; its writes are numbered from `firstSeq`, past any the lost attempt may have made after it.
   */
  static resume(state: RecorderState, probed: readonly ProbeClass[], firstSeq: number): ProbeRecorder {
    const recorder = new ProbeRecorder(state.startedAt, probed, firstSeq);
    for (const cls of state.classes) recorder.classes.get(cls.cls)?.restore(cls);
    recorder.attempted = state.attempted;
    for (const [a, b] of state.committedRanges) for (let seq = a; seq <= b; seq++) recorder.committed.push(seq);
    return recorder;
  }

  add(sample: ProbeSample): void {
    this.classes.get(sample.cls)?.add(sample, this.startedAt);
  }

  /** Counts a write about to be tried; returns its sequence number. */
  writeAttempted(): number {
    this.attempted += 1;
    return this.nextSeq++;
  }

  state(): RecorderState {
    return {
      startedAt: this.startedAt,
      attempted: this.attempted,
      committedRanges: toRanges(this.committed),
      classes: [...this.classes.values()].map((c) => c.state()),
    };
  }

  writeCommitted(seq: number): void {
    this.committed.push(seq);
  }

  /** Some probe failed at some point. */
  failureSeen(): boolean {
    return [...this.classes.values()].some((c) => c.lastFailureAt !== undefined);
  }

  /**
   * Every class answered its latest probe and has had no failure for `settleMs`: after a failure was
   * seen, this is the sign the outage is over and the drill has what it came for.
   */
  settled(now: number, settleMs: number): boolean {
    return [...this.classes.values()].every(
      (c) => c.lastOk === true && (c.lastFailureAt === undefined || now - c.lastFailureAt >= settleMs),
    );
  }

  totals(): { probes: number; failed: number } {
    let probes = 0;
    let failed = 0;
    for (const c of this.classes.values()) {
      probes += c.probes;
      failed += c.probes - c.ok;
    }
    return { probes, failed };
  }

  classSummaries(): ProbeClassSummary[] {
    return [...this.classes.values()].map((c) => c.summary());
  }

  writeLedger(): WriteLedger {
    const committedRanges = toRanges(this.committed);
    return { attempted: this.attempted, committed: rangeCount(committedRanges), committedRanges };
  }
}
