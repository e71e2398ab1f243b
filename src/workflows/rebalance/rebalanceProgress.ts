/**
 * Live progress of a shard-moving job. The follow activity heartbeats it (so a retry resumes with it)
 * and signals it to its workflow, which keeps the latest for the `rebalanceProgress` query and the
 * `move-shards` step detail that the CLI shows. Workflows cannot read heartbeats, hence the signal.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { JobProgress, RunningMove } from './rebalanceTypes.js';

export const rebalanceProgressSignal = defineSignal<[JobProgress]>('rebalanceProgress');
export const rebalanceProgressQuery = defineQuery<JobProgress | undefined>('rebalanceProgress');

/** True when `next` should replace `current` (signals may arrive late or from an older attempt). */
export function isNewerProgress(current: JobProgress | undefined, next: JobProgress): boolean {
  if (!current || current.jobId !== next.jobId) return true;
  if (next.observedAt !== current.observedAt) return next.observedAt > current.observedAt;
  return next.seq > current.seq;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function describeMove(m: RunningMove, phases = true): string {
  if (m.shard === undefined) return m.command ?? 'a task';
  return `shard ${m.shard} ${m.from ?? '?'} -> ${m.to ?? '?'}${phases && m.phase ? ` (${m.phase})` : ''}`;
}

/**
 * `job 7 running: 5/16 moves, 1.2 MB of 3.9 MB; moving shard 102033 worker-1 -> worker-0 (Catching Up)`.
 * Without phases the line changes only when a move starts or ends: what a log (one line per change) wants.
 */
export function describeProgress(p: JobProgress, options: { phases?: boolean } = {}): string {
  const bytes = p.bytesTotal > 0 ? `, ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : '';
  const other = p.tasksTotal > p.movesTotal ? ` (+${p.tasksTotal - p.movesTotal} other tasks)` : '';
  const moving = p.running.length ? `; moving ${p.running.map((m) => describeMove(m, options.phases ?? true)).join(', ')}` : '';
  const error = p.lastError ? `; last task error: ${p.lastError}` : '';
  return `job ${p.jobId} ${p.state}: ${p.movesDone}/${p.movesTotal} moves${other}${bytes}${moving}${error}`;
}
