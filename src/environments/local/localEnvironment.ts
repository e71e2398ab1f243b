/**
 * A lab as PostgreSQL processes on loopback: a coordinator on `basePort` and worker i on
 * `basePort + 1 + i`, all under `<dataDir>/<cluster>/` (see labLayout.ts for the files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureDir } from '../../config/dataDir.js';
import type { LabSpec } from '../../config/labSpec.js';
import { LabError } from '../../errors.js';
import {
  nodeNames,
  type ApiEndpoint,
  type ApiStartResult,
  type ApiState,
  type Credentials,
  type FaultKind,
  type LabEnvironment,
  type LabNode,
  type NodeState,
  type ProgressReporter,
  type ProvisionResult,
  type StartResult,
} from '../labEnvironment.js';
import { apiFiles, apiLaunchFor, apiUrl, assertApiPortFree, ensureApiProcess, readApiLaunch, runningApi, stopApiProcess, wantApi } from './apiProcess.js';
import { assertDataDirUsable, assertPortFree, assertSamePorts } from './labChecks.js';
import { labLayout, type LabLayout } from './labLayout.js';
import { writeNodeConfig } from './nodeConfig.js';
import { assertCitusInstalled, findPgBinaries, type PgBinaries } from './pgBinaries.js';
import { initdb, startNode, stopNode, type NodeProcessContext } from './pgCtl.js';
import { clearStaleLock, runningPostmaster, waitForExit } from './postmaster.js';
import { ensurePassword, readPassword, SUPERUSER, withInitdbPwfile, writeServerPgpass } from './secrets.js';
import { giveToServer, resolveServerUser, type ServerUser } from './serverUser.js';
import { ensureSupervisor, stopSupervisor } from './supervisor.js';
import { groupState, memberPort, parseMemberName, readTopology } from './standbys/groupTopology.js';
import { LocalHa } from './standbys/localHa.js';
import { fastShutdown, memberPids, signalAll } from './standbys/memberProcesses.js';

export interface LocalEnvironmentOptions {
  /** Directory holding initdb, pg_ctl and postgres; defaults to CITUS_LAB_PG_BIN, then auto-detection. */
  readonly pgBinDir?: string;
  /** Load Citus at server start (default true); tests of plain PostgreSQL behaviour turn it off. */
  readonly preloadCitus?: boolean;
  /**
   * Keep a supervisor that restarts dead nodes, as a StatefulSet would. The lab's own environment
   * (resolveEnvironment) turns it on; off by default so a bare instance (tests, tools) leaves a killed
   * node down. stopNodes and teardown stop a running supervisor either way.
   */
  readonly supervise?: boolean;
}

const LOOPBACK = '127.0.0.1';
/** Group names, and standby members (`worker-0-s1`) of labs with standbys. */
const NODE_NAME = /^(coordinator|worker-\d+)(-s\d+)?$/;
const FAULT_EXIT_TIMEOUT_MS = 10_000;
const FAST_STOP_TIMEOUT_MS = 30_000;
const STALE_LOCK_TIMEOUT_MS = 15_000;
const STANDBY_WAL_SEGMENT_MB = 1;

export class LocalEnvironment implements LabEnvironment {
  readonly kind = 'local' as const;
  readonly layout: LabLayout;
  private readonly preloadCitus: boolean;
  private readonly supervise: boolean;
  private readonly pgBinDir: string | undefined;
  private cachedBins: PgBinaries | undefined;
  private cachedUser: ServerUser | undefined;
  /** Standbys, fencing and promotion (groupTopology.ts says which member of a group is primary). */
  readonly ha: LocalHa;

  constructor(
    readonly spec: LabSpec,
    options: LocalEnvironmentOptions = {},
  ) {
    this.layout = labLayout(spec);
    this.preloadCitus = options.preloadCitus ?? true;
    this.supervise = options.supervise ?? false;
    this.pgBinDir = options.pgBinDir ?? (process.env.CITUS_LAB_PG_BIN || undefined);
    this.ha = new LocalHa({
      spec,
      layout: this.layout,
      preloadCitus: this.preloadCitus,
      context: () => this.processContext(),
      password: () => this.requirePassword(),
      startMember: (name) => this.startMember(name),
      stopMemberFast: (name) => this.stopMemberFast(name),
    });
  }

  /** The data directory of a group's current primary: the group's own unless it failed over. */
  private primaryDir(group: string): string {
    return this.layout.nodeDir(groupState(readTopology(this.layout.clusterDir), group).primary);
  }

  private get replication(): boolean {
    return this.ha.standbys > 0;
  }

  nodes(): LabNode[] {
    const topology = readTopology(this.layout.clusterDir);
    return nodeNames(this.spec).map((name, index) => {
      const primary = parseMemberName(groupState(topology, name).primary);
      const port = memberPort(this.spec, name, primary?.group === name ? primary.index : 0);
      return {
        name,
        role: index === 0 ? 'coordinator' : 'worker',
        host: LOOPBACK,
        port,
        clusterHost: LOOPBACK,
        clusterPort: port,
      } satisfies LabNode;
    });
  }

  async preflight(): Promise<void> {
    const bins = this.bins();
    if (this.preloadCitus) assertCitusInstalled(bins.binDir);
    assertDataDirUsable(this.spec.dataDir, this.layout, this.user());
    assertSamePorts(this.spec, this.layout);
    for (const node of this.nodes()) await assertPortFree(node.name, node.port, this.layout.nodeDir(node.name));
  }

  async provision(progress: ProgressReporter = () => {}): Promise<ProvisionResult> {
    const ctx = this.processContext();
    assertDataDirUsable(this.spec.dataDir, this.layout, ctx.user);
    assertSamePorts(this.spec, this.layout);
    this.createLabDirs(ctx.user);
    const password = ensurePassword(this.layout);
    this.refreshPgpass(ctx.user, password);
    if (!fs.existsSync(this.layout.labFile)) {
      fs.writeFileSync(this.layout.labFile, `${JSON.stringify(this.spec, null, 2)}\n`, { mode: 0o644 });
    }

    const outcomes = await settleAll(
      this.nodes().map(async (node) => {
        const pgdata = this.primaryDir(node.name);
        const created = !isInitialised(pgdata);
        if (created) {
          // A PGDATA without PG_VERSION is the remains of an interrupted initdb, which refuses non-empty dirs.
          fs.rmSync(pgdata, { recursive: true, force: true });
          fs.mkdirSync(pgdata, { mode: 0o700 });
          giveToServer(ctx.user, pgdata);
          progress(`initdb ${node.name}`);
          await withInitdbPwfile(this.layout, ctx.user, node.name, password, (pwfile) =>
            initdb(ctx, pgdata, pwfile, this.replication ? STANDBY_WAL_SEGMENT_MB : undefined),
          );
        }
        writeNodeConfig(pgdata, ctx.user, { port: node.port, preloadCitus: this.preloadCitus, replication: this.replication });
        return { name: node.name, created };
      }),
    );
    return {
      created: outcomes.filter((o) => o.created).map((o) => o.name),
      existing: outcomes.filter((o) => !o.created).map((o) => o.name),
    };
  }

  async startNodes(progress: ProgressReporter = () => {}): Promise<StartResult> {
    const ctx = this.processContext();
    const password = readPassword(this.layout);
    const unprovisioned = this.nodes().find((n) => !isInitialised(this.primaryDir(n.name)));
    if (!password || unprovisioned) {
      const why = unprovisioned ? ` (node ${unprovisioned.name} has no data directory)` : '';
      throw new LabError(
        'ConfigInvalid',
        `Lab "${this.spec.cluster}" is not provisioned${why}: provision it before starting nodes.`,
      );
    }
    this.refreshPgpass(ctx.user, password);

    const outcomes = await settleAll(
      this.nodes().map(async (node) => ({ name: node.name, started: await this.startOne(ctx, node, progress) })),
    );
    if (this.supervise) {
      await ensureSupervisor(this.layout, { spec: this.spec, preloadCitus: this.preloadCitus, pgBinDir: this.pgBinDir });
    }
    return {
      started: outcomes.filter((o) => o.started).map((o) => o.name),
      alreadyRunning: outcomes.filter((o) => !o.started).map((o) => o.name),
    };
  }

  /**
   * Starts one node if its postmaster is not running (the supervisor's restart); false when it ran.
   * Clears the lock a killed postmaster left, once its orphaned backends are gone.
   */
  async restartNode(name: string): Promise<boolean> {
    const node = this.nodes().find((n) => n.name === name);
    if (!node) throw new LabError('UnknownNode', `Unknown node "${name}": this lab has ${nodeNames(this.spec).join(', ')}.`);
    return this.startOne(this.processContext(), node, () => {});
  }

  /** Starts one member of a group (a standby, or the primary) by its own name; the supervisor's restart. */
  async startMember(name: string): Promise<boolean> {
    const member = this.ha.member(name);
    return this.startOne(this.processContext(), member.node, () => {}, this.layout.nodeDir(name));
  }

  /**
   * A fast shutdown of one member by signal (memberProcesses.ts says why not pg_ctl). Its only caller,
   * fencing, SIGKILLs whatever is left afterwards, so a timeout is not an error here.
   */
  private async stopMemberFast(name: string): Promise<boolean> {
    const postmaster = runningPostmaster(this.layout.nodeDir(name));
    return postmaster ? fastShutdown(postmaster.pid, FAST_STOP_TIMEOUT_MS) : false;
  }

  /** Every member the supervisor looks after: all groups' members that are provisioned and not fenced. */
  supervisedMembers(): string[] {
    return this.ha.groups().flatMap((group) => this.ha.members(group).map((m) => m.name));
  }

  /** Whether the supervisor may start this member now: data present and not fenced by a failover. */
  mayRestart(name: string): boolean {
    const member = this.ha.member(name);
    return member.dataPresent && !member.fenced;
  }

  private async startOne(
    ctx: NodeProcessContext,
    node: LabNode,
    progress: ProgressReporter,
    pgdata = this.primaryDir(node.name),
  ): Promise<boolean> {
    if (runningPostmaster(pgdata)) return false;
    await assertPortFree(node.name, node.port, pgdata);
    if (!(await clearStaleLock(pgdata, STALE_LOCK_TIMEOUT_MS))) {
      throw new LabError(
        'NodeNotReady',
        `Node ${node.name} has processes left from a killed postmaster that have not exited yet: retry in a few seconds.`,
      );
    }
    progress(`start ${node.name}`);
    try {
      await startNode(ctx, {
        name: node.name,
        pgdata,
        logFile: this.layout.logFile(node.name),
        pgpassFile: this.layout.pgpassFile,
      });
    } catch (err) {
      // The supervisor (or another start) won the race to bring this node back: it runs, as wanted.
      if (runningPostmaster(pgdata)) return false;
      throw err;
    }
    return true;
  }

  /**
   * Starts the lab's API process (`citus-lab api serve`) unless it runs, and records that the lab wants
   * it: the supervisor restarts it whenever it dies, as it does the nodes, until teardown.
   */
  async startApi(progress: ProgressReporter = () => {}): Promise<ApiStartResult> {
    const launch = apiLaunchFor(this.spec);
    ensureDir(this.layout.logsDir);
    // The API signs tokens with the lab's key and logs in the accounts deploy creates (src/api/auth);
    // idempotent, so every deploy and a restarted API find them in <cluster>/secrets.
    // A port someone else holds is said before anything is created for the API.
    const before = runningApi(this.layout, this.spec);
    if (before?.port !== launch.port) await assertApiPortFree(launch);
    progress('API signing key and accounts');
    const { ensureLabApiSecrets } = await import('../../api/auth/labSecrets.js');
    await ensureLabApiSecrets(this.spec);
    wantApi(this.layout, launch);
    if (this.supervise) {
      await ensureSupervisor(this.layout, { spec: this.spec, preloadCitus: this.preloadCitus, pgBinDir: this.pgBinDir });
    }
    progress(`start api on ${apiUrl(launch)}`);
    const { pid, started } = await this.restartApi();
    // Once api.json says the API is wanted, the supervisor may start it before restartApi does: what
    // this deploy did is whether the process now serving differs from the one that served before.
    const startedHere = started || before?.pid !== pid || before?.port !== launch.port;
    return { url: apiUrl(launch), started: startedHere, detail: `pid ${pid}, log ${apiFiles(this.layout).logFile}` };
  }

  /** Starts the API as recorded by the last startApi (the supervisor's restart); false when it ran. */
  async restartApi(): Promise<{ pid: number; started: boolean }> {
    const launch = readApiLaunch(this.layout) ?? apiLaunchFor(this.spec);
    return ensureApiProcess(this.layout, launch);
  }

  /** With a fresh practitioner token: verify's API checks and the drill's API probes read patients. */
  async openApiEndpoint(): Promise<ApiEndpoint> {
    const { tokenForUser } = await import('../../api/auth/tokenForUser.js');
    const token = await tokenForUser(this.spec, 'practitioner');
    return {
      url: apiUrl(readApiLaunch(this.layout) ?? apiLaunchFor(this.spec)),
      headers: { authorization: `Bearer ${token}` },
      close: async () => {},
    };
  }

  async apiState(): Promise<ApiState> {
    const launch = readApiLaunch(this.layout) ?? apiLaunchFor(this.spec);
    const running = runningApi(this.layout, this.spec);
    if (running) return { url: apiUrl(launch), running: true, pid: running.pid, detail: 'running' };
    return { url: apiUrl(launch), running: false, detail: readApiLaunch(this.layout) ? 'stopped' : 'not started (deploy starts it)' };
  }

  /** Stops every node on disk, including workers a smaller spec no longer lists; the supervisor first, so it restarts none. */
  async stopNodes(): Promise<void> {
    await stopSupervisor(this.layout);
    // A partitioned (SIGSTOPped) node would never answer pg_ctl stop.
    for (const name of this.nodeDirsOnDisk()) signalAll(memberPids(this.layout.nodeDir(name)), 'SIGCONT');
    const running = this.nodeDirsOnDisk().filter((name) => runningPostmaster(this.layout.nodeDir(name)));
    if (running.length === 0) return;
    const ctx = this.processContext();
    await settleAll(running.map((name) => stopNode(ctx, { name, pgdata: this.layout.nodeDir(name) })));
  }

  async status(): Promise<NodeState[]> {
    return this.nodes().map(({ name }) => {
      const pgdata = this.primaryDir(name);
      if (!isInitialised(pgdata)) return { name, running: false, detail: 'not provisioned' };
      const postmaster = runningPostmaster(pgdata);
      return postmaster
        ? { name, running: true, pid: postmaster.pid, detail: 'running' }
        : { name, running: false, detail: 'stopped' };
    });
  }

  private requirePassword(): string {
    const password = readPassword(this.layout);
    if (!password) throw new LabError('ConfigInvalid', `Lab "${this.spec.cluster}" has no password yet: provision it first.`);
    return password;
  }

  async credentials(): Promise<Credentials> {
    const password = readPassword(this.layout);
    if (!password) {
      throw new LabError(
        'ConfigInvalid',
        `Lab "${this.spec.cluster}" has no password at ${this.layout.passwordFile}: it was never provisioned; provision it first.`,
      );
    }
    return { user: SUPERUSER, password };
  }

  /**
   * `kill` (default): SIGKILL, no shutdown: the postmaster dies as in a crash and its backends follow
   * on their own. `destroy`: every process of the node killed and its data directory deleted (only a
   * standby can bring the group back). `partition`: every process SIGSTOPped: the node holds its port
   * and connections but answers nothing (healFault or a failover's fencing ends it).
   */
  async injectFault(nodeName: string, fault: FaultKind = 'kill'): Promise<void> {
    const names = nodeNames(this.spec);
    if (!names.includes(nodeName)) {
      throw new LabError('UnknownNode', `Unknown node "${nodeName}": this lab has ${names.join(', ')}.`);
    }
    const pgdata = this.primaryDir(nodeName);
    if (fault === 'partition') {
      signalAll(memberPids(pgdata), 'SIGSTOP');
      return;
    }
    if (fault === 'destroy') {
      // Killed first so no process writes into the directory while it goes.
      signalAll(memberPids(pgdata), 'SIGKILL');
      // Gone at once by a rename, deleted in the background: a synchronous delete of a Citus data
      // directory took ~3 s on a loaded machine and blocked this worker's event loop (and so the
      // WatchLab probes and heartbeats it runs) for as long.
      const gone = path.join(this.layout.nodesDir, `.destroyed-${path.basename(pgdata)}-${Date.now()}`);
      try {
        fs.renameSync(pgdata, gone);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        return; // already gone: what a retry needs to see
      }
      await fs.promises.rm(gone, { recursive: true, force: true });
      return;
    }
    const postmaster = runningPostmaster(pgdata);
    if (!postmaster) return; // already down: the fault is in place, which is what a retry needs to see
    try {
      process.kill(postmaster.pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    if (!(await waitForExit(postmaster.pid, FAULT_EXIT_TIMEOUT_MS))) {
      throw new LabError('CommandFailed', `Node ${nodeName} (pid ${postmaster.pid}) survived SIGKILL for 10 s.`);
    }
  }

  /** Ends a partition fault: every stopped process of the node runs again. */
  async healFault(nodeName: string): Promise<void> {
    signalAll(memberPids(this.primaryDir(nodeName)), 'SIGCONT');
  }

  async teardown(options: { removeData: boolean }): Promise<void> {
    // The supervisor first (stopNodes does so too), so it restarts neither the API nor a node behind our back.
    await stopSupervisor(this.layout);
    await stopApiProcess(this.layout, this.spec, { forget: true });
    await this.stopNodes();
    if (options.removeData) fs.rmSync(this.layout.clusterDir, { recursive: true, force: true });
  }

  private bins(): PgBinaries {
    this.cachedBins ??= findPgBinaries(this.pgBinDir);
    return this.cachedBins;
  }

  private user(): ServerUser {
    this.cachedUser ??= resolveServerUser();
    return this.cachedUser;
  }

  private processContext(): NodeProcessContext {
    return { bins: this.bins(), user: this.user(), cwd: this.layout.clusterDir };
  }

  private refreshPgpass(user: ServerUser, password: string): void {
    // Every member of every group: standbys stream from, and Citus may connect to, any of them.
    const ports = this.ha.groups().flatMap((group) => this.ha.members(group).map((m) => m.node.port));
    writeServerPgpass(this.layout, user, ports, password);
  }

  /** Directories on the server user's path are 0755 whatever the umask; logs belong to the server user. */
  private createLabDirs(user: ServerUser): void {
    const first = ensureDir(this.layout.clusterDir, 0o755);
    if (first) {
      for (let dir = this.layout.clusterDir; dir.length >= first.length; dir = path.dirname(dir)) {
        fs.chmodSync(dir, 0o755);
      }
    }
    for (const dir of [this.layout.nodesDir, this.layout.logsDir]) {
      ensureDir(dir);
      fs.chmodSync(dir, 0o755);
    }
    giveToServer(user, this.layout.logsDir);
  }

  private nodeDirsOnDisk(): string[] {
    try {
      return fs.readdirSync(this.layout.nodesDir).filter((name) => NODE_NAME.test(name));
    } catch {
      return [];
    }
  }
}

/**
 * Promise.all that waits for every node before failing, so no initdb or pg_ctl is still running
 * behind the caller's back (and the healthy nodes finish) when one node fails.
 */
async function settleAll<T>(work: Array<Promise<T>>): Promise<T[]> {
  const outcomes = await Promise.allSettled(work);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
}

function isInitialised(pgdata: string): boolean {
  return fs.existsSync(path.join(pgdata, 'PG_VERSION'));
}
