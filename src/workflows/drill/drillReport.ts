/**
 * The drill's numbers and verdict, from what its activities measured. Pure and deterministic (it runs
 * in the workflow), tested on synthetic probe data.
 *
 * Definitions, all against the moment of the kill (`faultAt`):
 * - detect: first failed probe of any class;
 * - downtime of a class: its first failure to its first *lasting* success (no failure after it), so a
 *   class that flaps is charged for the whole unsettled span;
 * - recovery: the last class back (every class succeeding again for good);
 * - availability: successful probes / all probes of the class over the whole drill;
 * - latency p50/p99: of successful probes.
 */
import type { CheckResult } from '../../activities/results.js';
import type {
  ClusterFingerprint,
  DrillAfterCheck,
  NodeRecovery,
  OutcomeRun,
  ProbeClass,
  ProbeClassSummary,
  ProbeInterruption,
  ProbeRunSummary,
} from '../../activities/postgres/drill/drillTypes.js';

export interface ClassOutcome {
  cls: ProbeClass;
  probes: number;
  failed: number;
  availabilityPct: number;
  /** Fault to this class's first failure. */
  firstFailureMs?: number;
  /** First failure to first lasting success; 0 when the class never failed. */
  downtimeMs?: number;
  /** Fault to first lasting success; undefined when the class never failed or never came back. */
  recoveredAfterMs?: number;
  /** The class's last probe succeeded. */
  healthyAtEnd: boolean;
  p50Ms?: number;
  p99Ms?: number;
  errors: Record<string, number>;
}

export interface DrillMetrics {
  detectMs?: number;
  nodeAcceptingMs?: number;
  /** Fault to the first lasting successful multi-shard query (the figure the seed's script timed). */
  firstDistributedQueryMs?: number;
  /** Fault to every class back; undefined while any class is still failing. */
  recoveryMs?: number;
  probes: number;
  failedProbes: number;
  classes: ClassOutcome[];
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export function classOutcome(summary: ProbeClassSummary, faultAt: number): ClassOutcome {
  const runs: readonly OutcomeRun[] = summary.runs;
  const lastFailing = runs.map((r) => !r.ok).lastIndexOf(true);
  // Failures that ended before the kill are someone else's trouble: they count against availability only.
  const firstFailing = runs.find((r) => !r.ok && r.to >= faultAt);
  const lastRun = runs[runs.length - 1];
  const healthyAtEnd = lastRun?.ok === true;
  const recoveredAt = lastFailing >= 0 ? runs[lastFailing + 1]?.from : undefined;
  const outcome: ClassOutcome = {
    cls: summary.cls,
    probes: summary.probes,
    failed: summary.failed,
    availabilityPct: summary.probes ? round1((summary.ok / summary.probes) * 100) : 0,
    healthyAtEnd,
    errors: summary.errors,
    ...(summary.latencyMs ? { p50Ms: summary.latencyMs.p50, p99Ms: summary.latencyMs.p99 } : {}),
  };
  if (!firstFailing) return { ...outcome, downtimeMs: 0 };
  const firstFailureAt = Math.max(firstFailing.from, faultAt);
  outcome.firstFailureMs = firstFailureAt - faultAt;
  if (recoveredAt !== undefined) {
    outcome.downtimeMs = recoveredAt - firstFailureAt;
    outcome.recoveredAfterMs = recoveredAt - faultAt;
  }
  return outcome;
}

export function drillMetrics(probes: ProbeRunSummary, faultAt: number, recovery?: NodeRecovery): DrillMetrics {
  const classes = probes.classes.map((c) => classOutcome(c, faultAt));
  const failures = classes.map((c) => c.firstFailureMs).filter((ms): ms is number => ms !== undefined);
  const failedClasses = classes.filter((c) => c.firstFailureMs !== undefined);
  const multiShard = classes.find((c) => c.cls === 'multi-shard');
  const metrics: DrillMetrics = {
    probes: classes.reduce((n, c) => n + c.probes, 0),
    failedProbes: classes.reduce((n, c) => n + c.failed, 0),
    classes,
  };
  if (failures.length) metrics.detectMs = Math.min(...failures);
  if (recovery) metrics.nodeAcceptingMs = recovery.acceptingAt - faultAt;
  if (multiShard?.recoveredAfterMs !== undefined) metrics.firstDistributedQueryMs = multiShard.recoveredAfterMs;
  if (failedClasses.length && failedClasses.every((c) => c.recoveredAfterMs !== undefined && c.healthyAtEnd)) {
    metrics.recoveryMs = Math.max(...failedClasses.map((c) => c.recoveredAfterMs as number));
  }
  return metrics;
}

function check(name: string, ok: boolean, message: string): CheckResult {
  return { name, status: ok ? 'PASS' : 'FAIL', message, durationMs: 0 };
}

/**
 * The spans a lost worker left unmeasured, in words, against the fault: probes that did not run (a
 * retry resumed them) and recovery moments nobody watched (a retry found them past). Empty when the
 * drill's workers lived throughout; figures that end inside a span are upper bounds.
 */
export function measurementGaps(faultAt: number, probes?: ProbeRunSummary, recovery?: NodeRecovery): string[] {
  const rel = (at: number) => at - faultAt;
  const gaps = (probes?.interruptions ?? []).map(
    (i: ProbeInterruption) =>
      `no probes ran from ${rel(i.from)} to ${rel(i.to)} ms after the fault (their worker was lost; attempt ${i.attempt} resumed them): ` +
      'a class that failed before and succeeded after came back within that span, and writes acknowledged to the lost attempt after its last checkpoint are not in the ledger',
  );
  const span = recovery?.unobserved;
  if (span?.acceptingAt) {
    gaps.push(`the node began accepting connections between ${rel(span.acceptingAt.from)} and ${rel(span.acceptingAt.to)} ms after the fault (nobody watched: the worker was lost; the later figure is reported)`);
  }
  if (span?.distributedOkAt) {
    gaps.push(`the first multi-shard query could have succeeded between ${rel(span.distributedOkAt.from)} and ${rel(span.distributedOkAt.to)} ms after the fault (nobody watched: the worker was lost; the later figure is reported)`);
  }
  return gaps;
}

export interface DrillEvidence {
  node: string;
  /** measurementGaps(): named in the checks whose figures they bound. */
  gaps?: string[];
  metrics?: DrillMetrics;
  recovery?: NodeRecovery;
  recoveryError?: string;
  probesError?: string;
  baseline: ClusterFingerprint;
  after?: DrillAfterCheck;
  afterError?: string;
}

/** The drill's checks; it passes when every one does (0 committed writes lost among them). */
export function judgeDrill(e: DrillEvidence): { status: 'PASS' | 'FAIL'; checks: CheckResult[] } {
  const checks: CheckResult[] = [];
  checks.push(
    e.recovery && e.metrics
      ? check('node back', true, `${e.node} accepted connections ${e.metrics.nodeAcceptingMs} ms after the kill${gapNote(e.gaps, 'the node')}`)
      : check('node back', false, e.recoveryError ?? `${e.node} did not come back`),
  );
  if (e.metrics) {
    const sick = e.metrics.classes.filter((c) => !c.healthyAtEnd).map((c) => c.cls);
    checks.push(
      check(
        'probes healthy again',
        sick.length === 0,
        sick.length
          ? `still failing when the probes ended: ${sick.join(', ')}`
          : e.metrics.detectMs === undefined
            ? 'no probe failed: the outage was shorter than the probe cadence'
            : `every probe class succeeds again; all back ${e.metrics.recoveryMs ?? '?'} ms after the kill${gapNote(e.gaps, 'no probes')}`,
      ),
    );
  } else {
    checks.push(check('probes healthy again', false, `the probe load did not finish: ${e.probesError ?? 'unknown error'}`));
  }

  if (!e.after) {
    const why = `the after-drill check did not run: ${e.afterError ?? e.probesError ?? 'unknown error'}`;
    for (const name of ['no committed write lost', 'data unchanged', 'shard placements unchanged']) checks.push(check(name, false, why));
    return verdict(checks);
  }
  const w = e.after.writes;
  checks.push(
    check(
      'no committed write lost',
      w.lost === 0 && !e.probesError,
      e.probesError
        ? `the committed writes are unknown: ${e.probesError}`
        : w.lost === 0
          ? `${w.committed} committed writes, all present` +
            (w.unacknowledgedPresent
              ? gapNote(e.gaps, 'no probes')
                ? ` (${w.unacknowledgedPresent} more are present: commits that raced the fault, or acknowledged to a lost worker after its last checkpoint)`
                : ` (${w.unacknowledgedPresent} more whose commit raced the fault are present too)`
              : '')
          : `${w.lost} of ${w.committed} committed writes missing (seq ${w.lostSample.join(', ')}${w.lost > w.lostSample.length ? ', ...' : ''})`,
    ),
  );
  const before = new Map(e.baseline.tables.map((t) => [t.table, t]));
  const changed = e.after.tables
    .filter((t) => {
      const b = before.get(t.table);
      return !b || b.rows !== t.rows || b.checksum !== t.checksum;
    })
    .map((t) => `${t.table} (${before.get(t.table)?.rows ?? 'absent'} -> ${t.rows} rows)`);
  const vanished = e.baseline.tables.filter((t) => !e.after?.tables.some((a) => a.table === t.table)).map((t) => `${t.table} (gone)`);
  const diff = [...changed, ...vanished];
  checks.push(
    check(
      'data unchanged',
      diff.length === 0,
      diff.length
        ? `changed: ${diff.join(', ')}`
        : `${e.baseline.tables.length} tables, ${e.baseline.tables.reduce((n, t) => n + t.rows, 0)} rows: counts and checksums as before`,
    ),
  );
  checks.push(
    check(
      'shard placements unchanged',
      e.after.placementDigest === e.baseline.placementDigest,
      e.after.placementDigest === e.baseline.placementDigest
        ? `placements per node: ${Object.entries(e.after.placements).map(([n, c]) => `${n}=${c}`).join(', ')}`
        : `before ${JSON.stringify(e.baseline.placements)}, after ${JSON.stringify(e.after.placements)}`,
    ),
  );
  return verdict(checks);
}

/** The gaps that start with `prefix`, appended to a check's message. */
function gapNote(gaps: string[] | undefined, prefix: string): string {
  const mine = (gaps ?? []).filter((g) => g.startsWith(prefix));
  return mine.length ? `; ${mine.join('; ')}` : '';
}

function verdict(checks: CheckResult[]): { status: 'PASS' | 'FAIL'; checks: CheckResult[] } {
  return { status: checks.every((c) => c.status === 'PASS') ? 'PASS' : 'FAIL', checks };
}

const ms = (value: number | undefined) => (value === undefined ? 'n/a' : value);

/** The Markdown report's summary table: the headline numbers, then per probe class. */
export function drillSummary(node: string, status: string, metrics: DrillMetrics | undefined, after?: DrillAfterCheck) {
  const summary: Record<string, string | number> = {
    node,
    status,
    'time to detect (ms)': ms(metrics?.detectMs),
    'node accepting connections after (ms)': ms(metrics?.nodeAcceptingMs),
    'first distributed query after kill (ms)': ms(metrics?.firstDistributedQueryMs),
    'recovery, every probe class (ms)': ms(metrics?.recoveryMs),
    probes: metrics?.probes ?? 0,
    'failed probes': metrics?.failedProbes ?? 0,
    'committed writes': after?.writes.committed ?? 'n/a',
    'committed writes lost': after?.writes.lost ?? 'n/a',
  };
  for (const c of metrics?.classes ?? []) {
    summary[`${c.cls}: downtime (ms)`] = ms(c.downtimeMs);
    summary[`${c.cls}: availability (%)`] = c.availabilityPct;
    summary[`${c.cls}: p50 / p99 (ms)`] = `${ms(c.p50Ms)} / ${ms(c.p99Ms)}`;
  }
  return summary;
}
