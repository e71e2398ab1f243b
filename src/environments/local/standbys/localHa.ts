/**
 * Standbys, fencing, promotion and rebuilds for the local environment (the HaControl of labs whose
 * nodes are PostgreSQL processes on loopback). Which member is primary lives in topology.json
 * (groupTopology.ts); LocalEnvironment.nodes() follows it, so every other part of the lab (probes,
 * registration, verification) talks to the current primary of a group by the group's name.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { LabSpec } from '../../../config/labSpec.js';
import { LabError } from '../../../errors.js';
import type { HaControl, MemberInfo, RebuildResult, StandbysResult } from '../../haControl.js';
import { nodeNames, type LabNode } from '../../labEnvironment.js';
import type { LabLayout } from '../labLayout.js';
import { writeNodeConfig } from '../nodeConfig.js';
import type { NodeProcessContext } from '../pgCtl.js';
import { runningPostmaster } from '../postmaster.js';
import { SUPERUSER } from '../secrets.js';
import { giveToServer } from '../serverUser.js';
import { groupMembers, groupState, parseMemberName, readTopology, slotName, updateGroup, type MemberRef } from './groupTopology.js';
import { memberPids, processState, signalAll, waitUntilGone } from './memberProcesses.js';
import { runningSupervisor } from '../supervisor.js';
import { STANDBY_SIGNAL, writeReplicationConf, writeStandbySignal } from './replicationConf.js';
import { baseBackup, rewind } from './replicationTools.js';

/** What LocalHa needs from its LocalEnvironment. */
export interface LocalHaHost {
  readonly spec: LabSpec;
  readonly layout: LabLayout;
  readonly preloadCitus: boolean;
  context(): NodeProcessContext;
  password(): string;
  /** Starts a member that is not running (its own data dir and port); false when it already ran. */
  startMember(name: string): Promise<boolean>;
  /** Fast shutdown of one member; true when its postmaster exited (it does so after all its children). */
  stopMemberFast(name: string): Promise<boolean>;
}

const LOOPBACK = '127.0.0.1';
const KILL_TIMEOUT_MS = 10_000;
const STREAMING_TIMEOUT_MS = 60_000;
const SYNC_TIMEOUT_MS = 10_000;
const PROMOTE_TIMEOUT_MS = 60_000;

export class LocalHa implements HaControl {
  constructor(private readonly host: LocalHaHost) {}

  get standbys(): number {
    const fromSpec = this.host.spec.standbys ?? 0;
    let onDisk = 0;
    try {
      for (const entry of fs.readdirSync(this.host.layout.nodesDir)) onDisk = Math.max(onDisk, parseMemberName(entry)?.index ?? 0);
    } catch {
      // no nodes dir yet
    }
    return Math.max(fromSpec, onDisk);
  }

  get sync(): boolean {
    return this.host.spec.sync === true;
  }

  groups(): string[] {
    return nodeNames(this.host.spec);
  }

  members(group: string): MemberInfo[] {
    const state = groupState(readTopology(this.host.layout.clusterDir), group);
    return groupMembers(this.host.spec, group, this.standbys).map((ref) => this.info(ref, state.primary, state.fenced));
  }

  member(name: string): MemberInfo {
    const parsed = parseMemberName(name);
    const found = parsed && this.groups().includes(parsed.group) ? this.members(parsed.group).find((m) => m.name === name) : undefined;
    if (!found) throw new LabError('UnknownNode', `Lab "${this.host.spec.cluster}" has no member "${name}".`);
    return found;
  }

  private info(ref: MemberRef, primary: string, fenced: readonly string[]): MemberInfo {
    const pgdata = this.host.layout.nodeDir(ref.name);
    const postmaster = runningPostmaster(pgdata);
    const node: LabNode = {
      name: ref.name,
      role: ref.group === 'coordinator' ? 'coordinator' : 'worker',
      host: LOOPBACK,
      port: ref.port,
      clusterHost: LOOPBACK,
      clusterPort: ref.port,
    };
    return {
      name: ref.name,
      group: ref.group,
      node,
      primary: ref.name === primary,
      fenced: fenced.includes(ref.name),
      dataPresent: fs.existsSync(path.join(pgdata, 'PG_VERSION')),
      running: postmaster !== undefined,
      frozen: postmaster !== undefined && processState(postmaster.pid) === 'T',
    };
  }

  private primaryOf(group: string): MemberInfo {
    const primary = this.members(group).find((m) => m.primary);
    if (!primary) throw new LabError('ConfigInvalid', `Group ${group} of lab "${this.host.spec.cluster}" has no primary in its topology.`);
    return primary;
  }

  async ensureStandbys(progress: (detail: string) => void = () => {}): Promise<StandbysResult> {
    const result = { created: [] as string[], started: [] as string[], existing: [] as string[] };
    await Promise.all(
      this.groups().map(async (group) => {
        const primary = this.primaryOf(group);
        for (const m of this.members(group)) {
          if (m.primary) continue;
          if (m.fenced) {
            // A former primary, or a copy an interrupted run left: rebuilt from the current primary.
            progress(`rebuild ${m.name}`);
            await this.rebuild(m.name);
            result.created.push(m.name);
            continue;
          }
          if (!m.dataPresent) {
            progress(`base backup of ${m.name}`);
            await this.createStandby(m, primary);
            result.created.push(m.name);
          } else {
            this.configureStandby(m, primary);
            if (m.running) await this.sql(m.node.port, 'SELECT pg_reload_conf()', () => undefined);
            result.existing.push(m.name);
          }
          if (await this.host.startMember(m.name)) result.started.push(m.name);
        }
        this.writeMemberReplication(primary, primary, false);
        await this.waitStreaming(primary, this.members(group).filter((m) => !m.primary && !m.fenced).map((m) => m.name), STREAMING_TIMEOUT_MS);
        await this.setGroupSync(group, true);
      }),
    );
    return result;
  }

  async fence(name: string, how: 'fast' | 'kill'): Promise<{ member: string; wasRunning: boolean }> {
    const m = this.member(name);
    // Recorded first: from here on the supervisor leaves this member down, whatever happens next.
    this.setFenced(m, true);
    const pgdata = this.host.layout.nodeDir(name);
    if (m.dataPresent) {
      const streamFrom = this.members(m.group).find((o) => o.name !== name && !o.fenced) ?? m;
      this.writeMemberReplication(m, streamFrom, false);
      writeStandbySignal(pgdata, this.host.context().user);
    }
    if (how === 'fast' && !m.frozen && m.running && (await this.host.stopMemberFast(name))) {
      // A postmaster that shut down cleanly exited after every child: nothing is left to look for (a
      // scan of /proc took 25-90 ms here under load, and a switchover's writers wait through this).
      fs.rmSync(path.join(pgdata, 'postmaster.pid'), { force: true });
      return { member: name, wasRunning: true };
    }
    const pids = memberPids(pgdata);
    if (pids.length === 0) return { member: name, wasRunning: false };
    // Backends of a killed postmaster keep running until they notice: every process of the member goes.
    signalAll(memberPids(pgdata), 'SIGKILL');
    if (!(await waitUntilGone(pgdata, KILL_TIMEOUT_MS))) {
      throw new LabError('CommandFailed', `Member ${name} still has processes 10 s after SIGKILL: it is not fenced yet.`);
    }
    fs.rmSync(path.join(pgdata, 'postmaster.pid'), { force: true });
    return { member: name, wasRunning: true };
  }

  async unfence(name: string): Promise<void> {
    const m = this.member(name);
    if (!m.primary) throw new LabError('ConfigInvalid', `Member ${name} is no longer the primary of ${m.group}: it stays fenced.`);
    fs.rmSync(path.join(this.host.layout.nodeDir(name), STANDBY_SIGNAL), { force: true });
    this.setFenced(m, false);
    await this.host.startMember(name);
  }

  labRunning(): boolean {
    return runningSupervisor(this.host.layout) !== undefined;
  }

  async promote(name: string): Promise<{ member: string; alreadyPrimary: boolean }> {
    const m = this.member(name);
    if (m.fenced) throw new LabError('ConfigInvalid', `Member ${name} is fenced: it cannot be promoted.`);
    if (!m.running) await this.host.startMember(name);
    const inRecovery = await this.withClient(m.node.port, async (client) => {
      const recovering = async () => (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === true;
      if (!(await recovering())) return false;
      // pg_promote(wait => true) and `pg_ctl promote -w` look every 100 ms whether recovery ended;
      // a failover waits for nothing else, so it looks itself, every 5 ms, on the same session.
      await client.query('SELECT pg_promote(false)');
      const deadline = Date.now() + PROMOTE_TIMEOUT_MS;
      while (await recovering()) {
        if (Date.now() > deadline) throw new LabError('NodeNotReady', `${name} did not leave recovery within ${PROMOTE_TIMEOUT_MS} ms of pg_promote().`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return true;
    });
    updateGroup(this.host.layout.clusterDir, m.group, (s) => ({ ...s, primary: name }));
    // Other standbys follow the new primary (primary_conninfo reloads without a restart since
    // PostgreSQL 13); SIGHUP is pg_reload_conf() without a session to open first.
    const promoted = this.member(name);
    for (const other of this.members(m.group)) {
      if (other.name === name || other.fenced || !other.dataPresent) continue;
      this.writeMemberReplication(other, promoted, false);
      this.reload(other.name);
    }
    // No standby streams from it yet: a synchronous list would block every commit until the rebuild.
    this.writeMemberReplication(promoted, promoted, false);
    this.reload(name);
    return { member: name, alreadyPrimary: !inRecovery };
  }

  /** pg_reload_conf() by signal; nothing to do for a member that is not running. */
  private reload(name: string): void {
    const postmaster = runningPostmaster(this.host.layout.nodeDir(name));
    if (!postmaster) return;
    try {
      process.kill(postmaster.pid, 'SIGHUP');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  async setGroupSync(group: string, on: boolean): Promise<void> {
    const primary = this.primaryOf(group);
    const sync = on && this.sync;
    this.writeMemberReplication(primary, primary, sync);
    if (!primary.running) return;
    await this.sql(primary.node.port, 'SELECT pg_reload_conf()', () => undefined);
    // The reload only signals: walsenders take the new list when they next handle SIGHUP. Until one
    // counts as synchronous, a commit acknowledged now would not be on a standby yet.
    if (sync) await this.waitSynchronous(primary, SYNC_TIMEOUT_MS);
  }

  private async waitSynchronous(primary: MemberInfo, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const synchronous = () =>
      this.sql(
        primary.node.port,
        `SELECT count(*)::int AS n FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')`,
        (rows) => Number(rows[0]?.n) > 0,
      ).catch(() => false);
    while (!(await synchronous())) {
      if (Date.now() > deadline) {
        throw new LabError('NodeNotReady', `No standby of ${primary.name} counts as synchronous ${timeoutMs} ms after setting synchronous_standby_names.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async rebuild(name: string, options: { streamingTimeoutMs?: number } = {}): Promise<RebuildResult> {
    const startedAt = Date.now();
    const m = this.member(name);
    const primary = this.primaryOf(m.group);
    if (m.primary) throw new LabError('ConfigInvalid', `Member ${name} is the primary of ${m.group}: nothing to rebuild.`);
    const timeoutMs = options.streamingTimeoutMs ?? STREAMING_TIMEOUT_MS;
    if (!m.fenced && m.running && (await this.isStreaming(primary, name))) {
      return { member: name, method: 'already-standby', durationMs: Date.now() - startedAt };
    }
    // Fenced again in case an earlier attempt got as far as starting it.
    await this.fence(name, 'kill');
    await this.ensureSlot(primary, name);
    let method: RebuildResult['method'] = 'base-backup';
    let note: string | undefined;
    if (this.member(name).dataPresent) {
      // pg_rewind (PostgreSQL 15) takes the source's timeline from its pg_control, which a promotion
      // updates only at its first checkpoint (requested, not waited for): before it, a target that went
      // past the fork (a commit written but not yet replicated when it was killed) looks "on the same
      // timeline, no rewind required", is left as it is, and can never follow the new primary.
      await this.sql(primary.node.port, 'CHECKPOINT', () => undefined);
      // pg_rewind first finishes a crashed target's recovery in single-user mode, which refuses
      // standby.signal. Still fenced in the topology meanwhile, and configureStandby writes it back.
      fs.rmSync(path.join(this.host.layout.nodeDir(name), STANDBY_SIGNAL), { force: true });
      const rewound = await rewind(this.host.context(), {
        pgdata: this.host.layout.nodeDir(name),
        sourcePort: primary.node.port,
        pgpassFile: this.host.layout.pgpassFile,
      });
      if (rewound.ok) {
        method = 'rewind';
        this.configureStandby(this.member(name), primary);
        if (await this.startAsStandby(name, primary, timeoutMs)) return this.finishRebuild(name, method, startedAt);
        await this.fence(name, 'kill');
        note = `pg_rewind worked but ${name} did not stream afterwards`;
      } else {
        note = `pg_rewind failed: ${rewound.output.split('\n').slice(-2).join(' ')}`;
      }
    }
    method = 'base-backup';
    await this.createStandby(this.member(name), primary);
    if (!(await this.startAsStandby(name, primary, timeoutMs))) {
      throw new LabError('NodeNotReady', `Rebuilt member ${name} does not stream from ${primary.name} after ${timeoutMs} ms.`);
    }
    return this.finishRebuild(name, method, startedAt, note);
  }

  private async finishRebuild(name: string, method: RebuildResult['method'], startedAt: number, note?: string): Promise<RebuildResult> {
    await this.setGroupSync(this.member(name).group, true);
    return { member: name, method, durationMs: Date.now() - startedAt, ...(note ? { note } : {}) };
  }

  /** Unfences, starts, and waits until the primary lists it as streaming; false on timeout. */
  private async startAsStandby(name: string, primary: MemberInfo, timeoutMs: number): Promise<boolean> {
    const m = this.member(name);
    this.setFenced(m, false);
    try {
      await this.host.startMember(name);
    } catch {
      return false;
    }
    // isStreaming also checks the timeline: a standby left past the fork point shows as `streaming`
    // now and then but never confirms a commit, and turning synchronous commit on for it would block
    // every write to the group.
    return this.waitStreaming(primary, [name], timeoutMs).then(
      () => true,
      () => false,
    );
  }

  private async createStandby(m: MemberInfo, primary: MemberInfo): Promise<void> {
    const ctx = this.host.context();
    const pgdata = this.host.layout.nodeDir(m.name);
    const wasFenced = m.fenced;
    // A half-copied directory has PG_VERSION (and no standby.signal yet): the supervisor must not start it.
    this.setFenced(m, true);
    await this.ensureSlot(primary, m.name);
    // pg_basebackup refuses a non-empty directory: what is there is an interrupted copy or a dead former primary.
    fs.rmSync(pgdata, { recursive: true, force: true });
    fs.mkdirSync(pgdata, { mode: 0o700 });
    giveToServer(ctx.user, pgdata);
    await baseBackup(ctx, { pgdata, primaryPort: primary.node.port, slot: slotName(m.name), pgpassFile: this.host.layout.pgpassFile, member: m.name });
    this.configureStandby(this.member(m.name), primary);
    if (!wasFenced) this.setFenced(m, false);
  }

  private setFenced(m: MemberInfo, fenced: boolean): void {
    updateGroup(this.host.layout.clusterDir, m.group, (s) => ({
      ...s,
      fenced: fenced ? [...new Set([...s.fenced, m.name])] : s.fenced.filter((f) => f !== m.name),
    }));
  }

  /** Its own port and settings (a copy carries the primary's), where to stream from, and standby.signal. */
  private configureStandby(m: MemberInfo, primary: MemberInfo): void {
    const pgdata = this.host.layout.nodeDir(m.name);
    const user = this.host.context().user;
    // A copy's or a killed member's stale lock goes; a running standby's stays (without it, a re-run
    // deploy took its port for a stranger's, and the postmaster shuts down when it misses its lock file).
    if (!runningPostmaster(pgdata)) fs.rmSync(path.join(pgdata, 'postmaster.pid'), { force: true });
    writeNodeConfig(pgdata, user, { port: m.node.port, preloadCitus: this.host.preloadCitus, replication: true });
    this.writeMemberReplication(m, primary, false);
    writeStandbySignal(pgdata, user);
  }

  private writeMemberReplication(m: MemberInfo, streamFrom: MemberInfo, sync: boolean): void {
    const pgdata = this.host.layout.nodeDir(m.name);
    if (!fs.existsSync(pgdata)) return;
    writeReplicationConf(pgdata, this.host.context().user, {
      member: m.name,
      primaryPort: streamFrom.node.port,
      passfile: this.host.layout.pgpassFile,
      groupMembers: this.members(m.group).map((o) => o.name),
      sync,
    });
  }

  private async ensureSlot(primary: MemberInfo, member: string): Promise<void> {
    await this.sql(
      primary.node.port,
      `SELECT pg_create_physical_replication_slot($1, true)
        WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
      () => undefined,
      [slotName(member)],
    );
  }

  /**
   * Streaming, and on the primary's timeline: a member that cannot follow the timeline (a former
   * primary ahead of the fork point) reconnects every retry interval and shows `streaming` for a
   * moment each time, so the primary's view alone is not enough.
   */
  private async isStreaming(primary: MemberInfo, member: string): Promise<boolean> {
    const streaming = await this.sql(
      primary.node.port,
      `SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'`,
      (rows) => Number(rows[0]?.n) > 0,
      [member],
    ).catch(() => false);
    if (!streaming) return false;
    const timeline = await this.sql(
      primary.node.port,
      // The first 8 hex digits of the current WAL file name are the timeline the primary writes.
      `SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli`,
      (rows) => Number(rows[0]?.tli),
    ).catch(() => undefined);
    const standby = this.member(member);
    const received = await this.sql(
      standby.node.port,
      `SELECT status, received_tli FROM pg_stat_wal_receiver`,
      (rows) => (rows[0]?.status === 'streaming' ? Number(rows[0]?.received_tli) : undefined),
    ).catch(() => undefined);
    return timeline !== undefined && received === timeline;
  }

  private async waitStreaming(primary: MemberInfo, members: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const member of members) {
      while (!(await this.isStreaming(primary, member))) {
        if (Date.now() > deadline) {
          throw new LabError('NodeNotReady', `Standby ${member} does not stream from ${primary.name} after ${timeoutMs} ms.`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private async sql<T>(port: number, text: string, read: (rows: Array<Record<string, unknown>>) => T, values: unknown[] = []): Promise<T> {
    return this.withClient(port, async (client) => read((await client.query<Record<string, unknown>>(text, values)).rows));
  }

  private async withClient<T>(port: number, fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({
      host: LOOPBACK,
      port,
      user: SUPERUSER,
      password: this.host.password(),
      database: 'postgres',
      connectionTimeoutMillis: 3_000,
      statement_timeout: 30_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
