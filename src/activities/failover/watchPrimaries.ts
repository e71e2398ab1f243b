/**
 * The eyes of WatchLab: probes every worker group's primary (`SELECT 1`, short connect timeout) and
 * returns as soon as one is lost, or after `maxDurationMs` without a loss. A failed probe alone is no
 * loss; the threshold depends on what the platform says about the primary:
 * - its data directory is gone: nothing can restart it; `failures` consecutive failed probes suffice;
 * - its process lives but does not run (frozen, e.g. SIGSTOP): failing for `frozenGraceMs`;
 * - otherwise the platform's restart (the supervisor, a StatefulSet) gets `restartGraceMs` first.
 * Groups without a standby that answers are never declared lost: there is nothing to fail over to;
 * nor is a fenced primary: a switchover or failover is replacing it (a long switchover pause once
 * made the watch start a second change of the same group).
 */
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { cancellationSignalIfActivity, heartbeatIfActivity, pause } from '../activityContext.js';
import { errorMessage } from '../postgres/connect.js';
import type { PrimaryLoss, WatchOutcome } from './failoverTypes.js';
import { requireHa, withMemberClient } from './memberClient.js';

export interface WatchOptions {
  readonly intervalMs: number;
  readonly failures: number;
  readonly frozenGraceMs: number;
  readonly restartGraceMs: number;
  readonly maxDurationMs: number;
  /** Groups a failover is already working on. */
  readonly skip?: readonly string[];
}

export { WATCH_DEFAULTS } from './watchDefaults.js';

const PROBE_TIMEOUT_MS = 250;

async function answers(env: LabEnvironment, member: string): Promise<string | undefined> {
  try {
    await withMemberClient(env, member, (c) => c.query('SELECT 1'), { connectTimeoutMs: PROBE_TIMEOUT_MS, statementTimeoutMs: PROBE_TIMEOUT_MS });
    return undefined;
  } catch (err) {
    return errorMessage(err).split('\n')[0] ?? 'probe failed';
  }
}

interface Failing {
  member: string;
  since: number;
  count: number;
  lastError: string;
}

export async function watchPrimaries(env: LabEnvironment, options: WatchOptions): Promise<WatchOutcome> {
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
        const primary = ha.members(group).find((m) => m.primary);
        if (!primary) return undefined;
        probes += 1;
        const error = await answers(env, primary.name);
        if (error === undefined) {
          failing.delete(group);
          return undefined;
        }
        const now = Date.now();
        const state = failing.get(group);
        const current: Failing = state && state.member === primary.name ? { ...state, count: state.count + 1, lastError: error } : { member: primary.name, since: now, count: 1, lastError: error };
        failing.set(group, current);
        return lossIf(env, group, current, options, now);
      }),
    );
    const loss = results.find((r): r is PrimaryLoss => r !== undefined);
    if (loss) return { kind: 'lost', loss };
    heartbeatIfActivity({ probes, failing: [...failing.keys()] });
    await pause(options.intervalMs, signal);
  }
  return { kind: 'quiet', probes };
}

async function lossIf(env: LabEnvironment, group: string, f: Failing, options: WatchOptions, now: number): Promise<PrimaryLoss | undefined> {
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
  // Someone to take over? A standby that answers; otherwise keep waiting for the platform.
  const standbys = ha.members(group).filter((m) => !m.primary && !m.fenced && m.running && !m.frozen);
  for (const s of standbys) {
    if ((await answers(env, s.name)) === undefined) {
      return {
        group,
        member: f.member,
        reason: `${f.count} probes of ${f.member} failed over ${failedFor} ms (last: ${f.lastError}); ${why}`,
        firstFailureAt: f.since,
        detectedAt: now,
      };
    }
  }
  return undefined;
}
