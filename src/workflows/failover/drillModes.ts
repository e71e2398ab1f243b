/**
 * HaDrill's fault modes (`--fault kill|destroy|partition`, `--expect restart|failover`), kept apart
 * from the drill itself: what recovered the group, the check against the expectation, and the
 * baseline's shard addresses renamed after a failover (the shards did not move; their group's
 * primary did), so "placements unchanged" still compares like with like.
 */
import type { GroupRecovery } from '../../activities/failover/drillFaults.js';
import type { ClusterFingerprint } from '../../activities/postgres/drill/drillTypes.js';
import type { CheckResult } from '../../activities/results.js';

export type RecoveryExpectation = 'restart' | 'failover';

export function recoveredByCheck(recovery: GroupRecovery | undefined, expected: RecoveryExpectation | undefined, error?: string): CheckResult | undefined {
  if (!expected) return undefined;
  if (!recovery) {
    return { name: 'recovered by', status: 'FAIL', message: `expected a ${expected}; unknown what recovered the group: ${error ?? 'no recovery'}`, durationMs: 0 };
  }
  const what = recovery.by === 'failover' ? `failover ${recovery.primaryBefore} -> ${recovery.primaryNow} (${recovery.addressBefore} -> ${recovery.addressNow})` : `restart of ${recovery.primaryNow}`;
  return {
    name: 'recovered by',
    status: recovery.by === expected ? 'PASS' : 'FAIL',
    message: recovery.by === expected ? `${what}, as expected` : `expected a ${expected}, got a ${what}`,
    durationMs: 0,
  };
}

/** The baseline fingerprint with one node address renamed (`from` -> `to`); digests re-sorted as the activity sorts them. */
export function renameAddress<T extends Pick<ClusterFingerprint, 'placements' | 'placementDigest'>>(fp: T, from: string, to: string): T {
  if (from === to) return fp;
  const placements = Object.fromEntries(Object.entries(fp.placements).map(([address, n]) => [address === from ? to : address, n]));
  const digest = fp.placementDigest
    .split(';')
    .filter(Boolean)
    .map((entry) => (entry.startsWith(`${from}=`) ? `${to}=${entry.slice(from.length + 1)}` : entry))
    .sort()
    .join(';');
  return { ...fp, placements, placementDigest: digest };
}
