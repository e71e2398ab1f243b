/**
 * The eyes of WatchLab: probes every worker group's primary (`SELECT 1` on an open session,
 * probeSessions.ts; every 20 ms while one fails, at once when a session breaks) and returns as soon as one is lost, or after `maxDurationMs` without a loss. A failed probe alone is no
 * loss; the threshold depends on what the platform says about the primary:
 * - its data directory is gone: nothing can restart it; `failures` consecutive failed probes suffice;
 * - its process lives but does not run (frozen, e.g. SIGSTOP): failing for `frozenGraceMs`;
 * - otherwise the platform's restart (the supervisor, a StatefulSet) gets `restartGraceMs` first.
 * Groups without a standby that answers are never declared lost: there is nothing to fail over to;
 * nor is a fenced primary: a switchover or failover is replacing it (a long switchover pause once
 * made the watch start a second change of the same group).
 */
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { cancellationSignalIfActivity, heartbeatIfActivity } from '../activityContext.js';
import type { MemberPosition, PrimaryLoss, WatchOutcome } from './failoverTypes.js';
import { mostAdvanced, requireHa } from './memberClient.js';
import { MEMBER_POSITION_SQL, positionOf } from './failoverSteps.js';
import { ProbeSessions } from './probeSessions.js';

export interface WatchOptions {
  readonly intervalMs: number;
  readonly failures: number;
  readonly frozenGraceMs: number;
  readonly restartGraceMs: number;
  readonly maxDurationMs: number;
  /** Groups a failover is already working on. */
  readonly skip?: readonly string[];
}

const PROBE_TIMEOUT_MS = 250;
/** While a primary fails, the next probe comes this soon (one refused connection is no loss, two are). */
const FAILING_INTERVAL_MS = 20;

interface Failing {
  member: string;
  since: number;
  count: number;
  lastError: string;
}

export async function watchPrimaries(env: LabEnvironment, options: WatchOptions): Promise<WatchOutcome> {
  const sessions = new ProbeSessions(env, PROBE_TIMEOUT_MS);
  try {
    return await watch(env, options, sessions);
  } finally {
    sessions.close();
  }
}

async function watch(env: LabEnvironment, options: WatchOptions, sessions: ProbeSessions): Promise<WatchOutcome> {
  const ha = requireHa(env);
  const signal = cancellationSignalIfActivity();
  const deadline = Date.now() + options.maxDurationMs;
  const failing = new Map<string, Failing>();
  let probes = 0;
  while (Date.now() < deadline) {
    if (!ha.labRunning()) return { kind: 'stopped' };
    const groups = ha.groups().filter((g) => g !== 'coordinator' && !options.skip?.includes(g));
    const results = await Promise.all(
      groups.map(async (group) => {
        const members = ha.members(group);
        const primary = members.find((m) => m.primary);
        if (!primary) return undefined;
        // The standbys too, every round: their sessions stay open (a fresh one under load can take
        // longer than the probe timeout) and their positions make the plan the failover starts with.
        const standbys = members.filter((m) => !m.primary && !m.fenced && m.running && !m.frozen);
        const [primaryProbe, ...standbyProbes] = await Promise.all([sessions.probe(primary.name), ...standbys.map((s) => sessions.probe(s.name, MEMBER_POSITION_SQL))]);
        probes += 1 + standbys.length;
        const error = primaryProbe?.error;
        if (error === undefined) {
          failing.delete(group);
          return undefined;
        }
        const now = Date.now();
        const state = failing.get(group);
        const current: Failing = state && state.member === primary.name ? { ...state, count: state.count + 1, lastError: error } : { member: primary.name, since: now, count: 1, lastError: error };
        failing.set(group, current);
        const positions = standbys.flatMap((s, i): MemberPosition[] => {
          const row = standbyProbes[i]?.row;
          return row ? [positionOf(s.name, row)] : [];
        });
        return lossIf(env, group, current, options, now, positions);
      }),
    );
    const loss = results.find((r): r is PrimaryLoss => r !== undefined);
    if (loss) return { kind: 'lost', loss };
    heartbeatIfActivity({ probes, failing: [...failing.keys()] });
    await sessions.sleep(failing.size > 0 ? Math.min(options.intervalMs, FAILING_INTERVAL_MS) : options.intervalMs, signal);
  }
  return { kind: 'quiet', probes };
}

function lossIf(env: LabEnvironment, group: string, f: Failing, options: WatchOptions, now: number, answering: MemberPosition[]): PrimaryLoss | undefined {
  const ha = requireHa(env);
  const member = ha.member(f.member);
  // A fenced primary is being replaced on purpose (a switchover or failover fenced it): not a loss.
  if (member.fenced) return undefined;
  const failedFor = now - f.since;
  let why: string | undefined;
  if (!member.dataPresent && f.count >= options.failures) why = 'its data directory is gone, so no restart can bring it back';
  else if (member.frozen && failedFor >= options.frozenGraceMs) why = 'its processes exist but do not run (frozen)';
  else if (failedFor >= options.restartGraceMs) why = `the platform did not bring it back within ${options.restartGraceMs} ms`;
  if (!why) return undefined;
  // Someone to take over? A standby that answered this round; otherwise keep waiting for the platform.
  if (answering.length === 0) return undefined;
  return {
    group,
    member: f.member,
    reason: `${f.count} probes of ${f.member} failed over ${failedFor} ms (last: ${f.lastError}); ${why}`,
    firstFailureAt: f.since,
    detectedAt: now,
    ...(answering.every((p) => p.inRecovery) ? { plan: { group, oldPrimary: f.member, candidate: mostAdvanced(answering).member, positions: answering } } : {}),
  };
}
