/** Human summaries of finished runs, for stdout. Plain text, no colours (they end up in logs). */
import type { CheckResult, NodeState, ReportPaths } from '../activities/results.js';
import type {
  CleanupLabResult,
  DeployLabResult,
  LabStatusResult,
  RegisterWorkersResult,
  VerifyLabResult,
} from '../workflows/results.js';
import { seconds } from './render.js';

export function summarizeDeploy(r: DeployLabResult): string[] {
  return [
    `Deploy of lab "${r.cluster}" (${r.env}): ${r.status} in ${seconds(r.durationMs)}`,
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
  ];
}

export function summarizeStatus(r: LabStatusResult): string[] {
  const lines = [`Lab "${r.cluster}" (${r.env}): ${r.message}`, '', ...nodeTable(r.nodes)];
  lines.push('');
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
  return lines;
}

export function summarizeCleanup(r: CleanupLabResult): string[] {
  return [
    r.removedData
      ? `Lab "${r.cluster}" (${r.env}) stopped and its data removed.`
      : `Lab "${r.cluster}" (${r.env}) stopped; data kept (cleanup --volumes removes it).`,
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
