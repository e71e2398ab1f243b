/**
 * What the drill's long activities heartbeat, and how a retry after a lost worker reads it back. The
 * probe load and the wait for recovery measure time: a retry must not start the clock again, it
 * continues the lost attempt's measurements and says which span nobody measured.
 */
import type { ProbeInterruption, RecoveryCheckpoint } from './drillTypes.js';
import type { RecorderState } from './probeSummary.js';

/** What runProbes heartbeats each second. */
export interface ProbeCheckpoint {
  readonly kind: 'probes';
  /** When this checkpoint was taken: the probes ran (at least) until then. */
  readonly at: number;
  readonly recorder: RecorderState;
  readonly interruptions: ProbeInterruption[];
  /** For the Web UI: how far the drill is. */
  readonly elapsedMs: number;
  readonly probes: number;
  readonly failed: number;
}

/**
 * Write sequence numbers per attempt: attempt n numbers its writes from (n - 1) * this + 1, so a
 * retry never reuses a number the lost attempt may have written after its last checkpoint (the
 * drill's rows are keyed by drill id and sequence number).
 */
export const SEQ_PER_ATTEMPT = 1_000_000;

export function firstSeqOf(attempt: number): number {
  return (Math.max(1, attempt) - 1) * SEQ_PER_ATTEMPT + 1;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The lost attempt's probe checkpoint; undefined for anything else (a first attempt, an older worker's details). */
export function probeCheckpointOf(details: unknown): ProbeCheckpoint | undefined {
  if (!isObject(details) || details.kind !== 'probes' || typeof details.at !== 'number') return undefined;
  const recorder = details.recorder;
  if (!isObject(recorder) || typeof recorder.startedAt !== 'number' || !Array.isArray(recorder.classes)) return undefined;
  return details as unknown as ProbeCheckpoint;
}

/** The lost attempt's recovery checkpoint for `node`; undefined for anything else. */
export function recoveryCheckpointOf(details: unknown, node: string): RecoveryCheckpoint | undefined {
  if (!isObject(details) || details.kind !== 'recovery' || details.node !== node) return undefined;
  if (typeof details.startedAt !== 'number' || typeof details.at !== 'number') return undefined;
  return details as unknown as RecoveryCheckpoint;
}
