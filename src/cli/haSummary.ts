/** What `failover` and `switchover` print at the end. */
import type { FailoverNodeResult, SwitchoverNodeResult } from '../workflows/failover/failoverTypes.js';

const rebuildLine = (r: { rebuild?: { member: string; method: string; durationMs: number }; rebuildError?: string }) =>
  r.rebuild
    ? `${r.rebuild.member} rebuilt as a standby (${r.rebuild.method}, ${r.rebuild.durationMs} ms)`
    : `rebuild FAILED, the group has no standby now: ${r.rebuildError ?? 'unknown error'}`;

export function summarizeFailover(r: FailoverNodeResult): string[] {
  return [
    `Failover of ${r.node} (lab ${r.cluster}): ${r.status}`,
    `  reason:       ${r.reason}`,
    `  primary:      ${r.plan.oldPrimary} (fenced) -> ${r.plan.candidate}`,
    `  Citus:        ${r.nodeUpdate.changed ? `${r.nodeUpdate.from} -> ${r.nodeUpdate.to}` : `already ${r.nodeUpdate.to}`}`,
    `  writes back:  ${r.writesBackAfterMs} ms after the run started`,
    `  ${rebuildLine(r)}`,
    `  report:       ${r.reports.markdown}`,
  ];
}

export function summarizeSwitchover(r: SwitchoverNodeResult): string[] {
  const s = r.switchover;
  return [
    `Switchover of ${r.node} (lab ${r.cluster}): ${r.status}`,
    `  primary:       ${s.oldPrimary} -> ${s.newPrimary}${s.resumed ? ' (finished an interrupted attempt)' : ''}`,
    `  writes paused: ${s.pauseMs} ms`,
    `  ${rebuildLine(r)}`,
    `  report:        ${r.reports.markdown}`,
  ];
}
