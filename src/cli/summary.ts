/** Human summaries of finished runs, for stdout. Plain text, no colours (they end up in logs). */
import type { CheckResult, NodeState, ReportPaths } from '../activities/results.js';
import type {
  CleanupLabResult,
  DeployLabResult,
  LabStatusResult,
  RegisterWorkersResult,
  VerifyLabResult,
} from '../workflows/results.js';
import type { HaDrillResult, LabTestSuiteResult } from '../workflows/drill/haDrillTypes.js';
import { formatPlacements } from '../workflows/rebalance/compareSnapshots.js';
import { formatBytes } from '../workflows/rebalance/rebalanceProgress.js';
import type { RebalanceAndDrainResult } from '../workflows/rebalance/rebalanceTypes.js';
import { seconds } from './render.js';

export function summarizeDeploy(r: DeployLabResult): string[] {
  return [
    `Deploy of lab "${r.cluster}" (${r.env}): ${r.status} in ${seconds(r.durationMs)}`,
    ...(r.api
      ? [
          `FHIR API: ${r.api.url} (${r.api.started ? 'started' : 'already running'}; try ${r.api.url}/metadata)`,
          `Dashboards: ${r.api.url}/app/ (an account per role, named after it: admin, practitioner, patient, auditor; passwords in <data dir>/${r.cluster}/secrets/api-users/)`,
        ]
      : []),
    ...checkLines(r.verification.checks),
    ...reportLines(r.reports),
  ];
}

export function summarizeVerify(r: VerifyLabResult): string[] {
  const shards = Object.entries(r.shardsPerWorker)
    .map(([worker, count]) => `${worker}=${count}`)
    .join(', ');
  return [
    `Verification of lab "${r.cluster}" (${r.env}): ${r.status}`,
    ...checkLines(r.checks),
    ...(shards ? [`Shards per worker: ${shards}`] : []),
    ...reportLines(r.reports),
  ];
}

export function summarizeRegisterWorkers(r: RegisterWorkersResult): string[] {
  const head = r.unchanged
    ? `Workers of lab "${r.cluster}" already registered; nothing changed.`
    : `Workers of lab "${r.cluster}" registered.`;
  return [
    head,
    ...r.workers.map((w) => `  ${w.node.padEnd(12)} ${`${w.host}:${w.port}`.padEnd(22)} node ${w.nodeId}  ${w.action}`),
    `Active in Citus: ${r.active.active.length} of ${r.active.expected.length} expected`,
    ...(r.rebalance ? ['', ...summarizeRebalance(r.rebalance)] : []),
  ];
}

/** `rebalance`, `drain` and their `--check`: what moved, the proof, what was changed on the cluster. */
export function summarizeRebalance(r: RebalanceAndDrainResult): string[] {
  const what = r.operation === 'drain' ? `Drain of ${r.node ?? '?'} in lab "${r.cluster}" (${r.env})` : `Rebalance of lab "${r.cluster}" (${r.env})`;
  if (r.checkOnly) {
    return [`Preflight for the ${what.charAt(0).toLowerCase()}${what.slice(1)}: ${r.status} (${r.transferMode})`, ...checkLines(r.preflight.checks)];
  }
  const lines = [`${what}: ${r.status} in ${seconds(r.durationMs)}`];
  for (const change of r.identityChanges) lines.push(`  identity: ${change.message}`);
  const p = r.job?.progress;
  if (r.job && p) {
    const parallel = `${r.job.parallelMoves} at once${r.job.parallelTransfer ? ', co-located groups in parallel' : ''}`;
    lines.push(`  job ${p.jobId}${r.job.adopted ? ' (adopted)' : ''}: ${p.movesDone}/${p.movesTotal} moves, ${formatBytes(p.bytesDone)} (${r.transferMode}, ${parallel}), ${p.state}`);
  } else if (r.job) {
    lines.push('  nothing to move');
  }
  if (r.proof) {
    lines.push(`  placements before: ${formatPlacements(r.proof.placementsBefore)}`);
    lines.push(`  placements after:  ${formatPlacements(r.proof.placementsAfter)}`);
    const changed = r.proof.tables.filter((t) => t.verdict !== 'unchanged');
    lines.push(
      r.proof.ok
        ? `  rows and checksums: unchanged in ${r.proof.tables.length - changed.length} tables${changed.length ? `; ${changed.map((t) => `${t.table} ${t.verdict} (${t.rowsBefore} -> ${t.rowsAfter} rows)`).join(', ')}` : ''}`
        : `  rows and checksums: ${changed.map((t) => `${t.table} ${t.verdict} (${t.rowsBefore} -> ${t.rowsAfter} rows)`).join(', ')}`,
    );
  }
  for (const setting of r.job?.settings ?? []) lines.push(`  changed ${setting.name}: ${setting.from} -> ${setting.to} (${setting.how})`);
  if (r.drain) {
    lines.push(
      r.drain.registered
        ? `  ${r.drain.node}: shouldhaveshards = ${r.drain.shouldHaveShards}, ${r.drain.placements} placements`
        : `  ${r.drain.node}: ${r.drain.removed ? 'removed from Citus' : 'not in Citus (removed earlier)'}`,
    );
  }
  for (const problem of r.problems) lines.push(`  FAIL: ${problem}`);
  return [...lines, ...(r.reports ? reportLines(r.reports) : [])];
}

export function summarizeStatus(r: LabStatusResult): string[] {
  const lines = [`Lab "${r.cluster}" (${r.env}): ${r.message}`, '', ...nodeTable(r.nodes)];
  lines.push('');
  if (r.api) {
    const state = r.api.ready ? 'ready' : r.api.running ? 'running, not ready' : (r.api.detail ?? 'not running');
    lines.push(`FHIR API: ${r.api.url} (${state}${r.api.pid ? `, pid ${r.api.pid}` : ''})`, '');
  }
  if (!r.coordinatorReachable) {
    lines.push('Citus workers: unknown (coordinator not reachable)');
  } else if (r.citusWorkers.length === 0) {
    lines.push('Citus workers: none registered');
  } else {
    lines.push(
      ...table(
        ['CITUS WORKER', 'ACTIVE', 'HAS SHARDS'],
        r.citusWorkers.map((w) => [`${w.host}:${w.port}`, yesNo(w.active), yesNo(w.shouldHaveShards)]),
      ),
    );
  }
  if (r.replication) lines.push('', ...replicationTable(r.replication));
  return lines;
}

/** One row per standby (or per group without one): primary, standby, state, sync, lag. */
function replicationTable(groups: NonNullable<LabStatusResult['replication']>): string[] {
  const rows = groups.flatMap((g) => {
    const fenced = g.fenced.length > 0 ? ` (fenced: ${g.fenced.join(', ')})` : '';
    if (g.standbys.length === 0) return [[g.group, g.primary, `none streaming${fenced}`, '-', '-', '-']];
    return g.standbys.map((s) => [
      g.group,
      g.primary,
      `${s.member} ${s.state}${fenced}`,
      g.sync ? s.syncState : 'async',
      s.lagBytes === null ? 'n/a' : `${s.lagBytes} B`,
      s.replayLagMs === null ? '0 ms' : `${s.replayLagMs} ms`,
    ]);
  });
  return table(['GROUP', 'PRIMARY', 'STANDBY', 'SYNC', 'LAG', 'REPLAY LAG'], rows);
}

export function summarizeCleanup(r: CleanupLabResult): string[] {
  return [
    r.removedData
      ? `Lab "${r.cluster}" (${r.env}) stopped and its data removed.`
      : `Lab "${r.cluster}" (${r.env}) stopped; data kept (cleanup --volumes removes it).`,
  ];
}

const msText = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${ms} ms`);

export function summarizeHaDrill(r: HaDrillResult): string[] {
  const m = r.metrics;
  const writes = r.after?.writes;
  return [
    `HA drill of ${r.node} in lab "${r.cluster}" (${r.env}): ${r.status} in ${seconds(r.durationMs)}`,
    `  Time to detect:                      ${msText(m.detectMs)}`,
    `  Node accepting connections after:    ${msText(m.nodeAcceptingMs)}`,
    `  First distributed query after kill:  ${msText(m.firstDistributedQueryMs)}`,
    `  Recovery (every probe class):        ${msText(m.recoveryMs)}`,
    `  Committed writes lost:               ${writes ? `${writes.lost} of ${writes.committed}` : 'unknown'}`,
    ...(r.recoveredBy
      ? [`  Recovered by:                        ${r.recoveredBy.by} (${r.recoveredBy.primaryBefore} -> ${r.recoveredBy.primaryNow})`]
      : []),
    '',
    ...table(
      ['PROBE CLASS', 'PROBES', 'FAILED', 'AVAILABILITY', 'DOWNTIME', 'P50', 'P99'],
      m.classes.map((c) => [
        c.cls,
        String(c.probes),
        String(c.failed),
        `${c.availabilityPct}%`,
        msText(c.downtimeMs),
        msText(c.p50Ms),
        msText(c.p99Ms),
      ]),
    ),
    '',
    ...checkLines(r.checks),
    ...r.problems.map((p) => `  problem: ${p}`),
    ...reportLines(r.reports),
  ];
}

export function summarizeTestSuite(r: LabTestSuiteResult): string[] {
  const percent = r.total ? Math.round((r.passed / r.total) * 1000) / 10 : 0;
  return [
    `Lab tests (${r.suite}) of lab "${r.cluster}" (${r.env}): ${r.status}, ${r.passed}/${r.total} checks passed (${percent}%) in ${seconds(r.durationMs)}`,
    ...checkLines(r.checks),
    ...(r.suiteDatabase ? [`Suite data in database ${r.suiteDatabase} (the lab's own database is left alone).`] : []),
    ...reportLines(r.reports),
  ];
}

export function nodeTable(nodes: NodeState[]): string[] {
  return table(
    ['NODE', 'RUNNING', 'PID', 'DETAIL'],
    nodes.map((n) => [n.name, yesNo(n.running), n.pid === undefined ? '-' : String(n.pid), n.detail ?? '']),
  );
}

/** Left-aligned columns, two spaces apart; trailing blanks trimmed. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)];
}

function checkLines(checks: CheckResult[]): string[] {
  return checks.map((c) => `  ${c.status}  ${c.name}: ${c.message}`);
}

function reportLines(reports: ReportPaths): string[] {
  return [`Report: ${reports.markdown}`, `        ${reports.json}`];
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
