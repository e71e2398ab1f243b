/** What the failover, switchover and watch activities return: plain JSON for Temporal history and reports. */

export interface MemberPosition {
  readonly member: string;
  readonly inRecovery: boolean;
  /** `pg_last_wal_replay_lsn()` (a standby) or `pg_current_wal_lsn()` (a primary), as text `X/Y`. */
  readonly lsn: string;
}

export interface FailoverPlan {
  readonly group: string;
  /** The member to fence: the group's primary when the plan was made. */
  readonly oldPrimary: string;
  /** The most advanced standby (or one a crashed run already promoted). */
  readonly candidate: string;
  readonly positions: MemberPosition[];
}

export interface NodeUpdate {
  readonly group: string;
  readonly nodeId: number;
  readonly from: string;
  readonly to: string;
  readonly changed: boolean;
  /** When the coordinator committed the change (epoch ms). */
  readonly at: number;
}

/** One part of a takeover, timed by the activity's clock (epoch ms): FailoverNode shows it as a step. */
export interface TakeoverPart {
  readonly startedAt: number;
  readonly endedAt: number;
}

/** fence -> promote -> update-node done in one activity (patch failover-takeover-v1). */
export interface TakeoverOutcome {
  readonly fence: TakeoverPart & { readonly member: string; readonly wasRunning: boolean };
  readonly promote: TakeoverPart & { readonly member: string; readonly alreadyPrimary: boolean };
  readonly nodeUpdate: TakeoverPart & NodeUpdate;
}

export interface SwitchoverOutcome {
  readonly group: string;
  readonly oldPrimary: string;
  readonly newPrimary: string;
  /** Writes to the group were held from pausedAt to resumedAt (epoch ms) by the coordinator's lock. */
  readonly pausedAt: number;
  readonly resumedAt: number;
  readonly pauseMs: number;
  /**
   * Where the time went, in ms per step: `lock`, `stop-old-primary`, `replay`, `promote` and `commit`
   * make up the pause; `prepare` (checkpoint, catch-up) came before it and `bookkeeping` after it.
   * Absent in results recorded before it was measured, and when an earlier attempt had done the switch.
   */
  readonly phases?: Record<string, number>;
  /** Whether the old primary checkpointed and the standby caught up before the pause (false: it did not answer). */
  readonly prepared?: boolean;
  readonly nodeUpdate: NodeUpdate;
  /** A crashed earlier attempt had already promoted the standby: this one only finished the update. */
  readonly resumed: boolean;
}

export interface GroupReplication {
  readonly group: string;
  readonly primary: string;
  readonly sync: boolean;
  readonly standbys: Array<{
    readonly member: string;
    readonly state: string;
    readonly syncState: string;
    readonly lagBytes: number | null;
    readonly replayLagMs: number | null;
  }>;
  /** Members fenced by a failover and not rebuilt yet. */
  readonly fenced: string[];
}

export interface PrimaryLoss {
  readonly group: string;
  readonly member: string;
  /** One sentence: how many probes failed for how long, and what the platform said. */
  readonly reason: string;
  readonly firstFailureAt: number;
  readonly detectedAt: number;
  /**
   * Who takes over, from the standbys' positions in the same probe round: FailoverNode starts with
   * it (no plan activity, one round trip fewer). Absent when a standby was already out of recovery.
   */
  readonly plan?: FailoverPlan;
}

export type WatchOutcome =
  | { readonly kind: 'lost'; readonly loss: PrimaryLoss }
  | { readonly kind: 'quiet'; readonly probes: number }
  /** The lab is not running (cleanup stopped it): nothing to watch. */
  | { readonly kind: 'stopped' };
