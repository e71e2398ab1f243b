/**
 * Streaming standbys, fencing and promotion: what a platform offers for failover and switchover.
 * Optional on LabEnvironment (`ha`): local has it; compose and minikube do not yet, and activities
 * say so with a typed error. SQL (replay positions, citus_update_node) stays in the activities.
 */
import type { LabNode } from './labEnvironment.js';

export interface MemberInfo {
  /** `worker-0` (the group's original node) or `worker-0-s1` (standby 1). */
  readonly name: string;
  readonly group: string;
  readonly node: LabNode;
  /** The topology names it primary (it may still be in recovery while a promotion runs). */
  readonly primary: boolean;
  readonly fenced: boolean;
  readonly dataPresent: boolean;
  readonly running: boolean;
  /** The process exists but does not run (SIGSTOP: the partition fault). */
  readonly frozen: boolean;
}

export interface StandbysResult {
  readonly created: string[];
  readonly started: string[];
  readonly existing: string[];
}

export interface RebuildResult {
  readonly member: string;
  readonly method: 'rewind' | 'base-backup' | 'already-standby';
  readonly durationMs: number;
  /** Why the first choice did not work (pg_rewind's last lines), when it fell back to a base backup. */
  readonly note?: string;
}

export interface HaControl {
  readonly standbys: number;
  readonly sync: boolean;
  groups(): string[];
  members(group: string): MemberInfo[];
  member(name: string): MemberInfo;
  /** Creates (base backup + slot) and starts every missing standby; idempotent. */
  ensureStandbys(progress?: (detail: string) => void): Promise<StandbysResult>;
  /**
   * Makes `member` unable to act as primary: fenced in the topology (the supervisor leaves it down),
   * standby.signal written, then stopped (`fast` lets its walsenders ship the last WAL; `kill` does not wait).
   */
  fence(member: string, how: 'fast' | 'kill'): Promise<{ member: string; wasRunning: boolean }>;
  /**
   * Undoes a fence that no promotion followed (an aborted switchover): standby.signal removed, the
   * supervisor allowed to start it again, and started. Refused when another member is primary.
   */
  unfence(member: string): Promise<void>;
  /** Whether the lab is up at all (local: its supervisor runs); a stopped lab is not failed over. */
  labRunning(): boolean;
  /** Promotes `member` and names it the group's primary; a no-op when it is already out of recovery. */
  promote(member: string): Promise<{ member: string; alreadyPrimary: boolean }>;
  /** Sets synchronous_standby_names on the group's primary (on: any one member; off: none) and reloads it. */
  setGroupSync(group: string, on: boolean): Promise<void>;
  /** Turns a fenced former primary into a streaming standby of the current primary (pg_rewind, else a base backup). */
  rebuild(member: string, options?: { streamingTimeoutMs?: number }): Promise<RebuildResult>;
}
