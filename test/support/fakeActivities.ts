/**
 * Stand-ins for the lab's activities, for workflow tests (the brief allows replacing activities
 * there; everything else runs for real). Each call is recorded so tests can check order and counts,
 * and any activity can be overridden.
 */
import type { LabActivities } from '../../src/activities/index.js';
import type { LabSpec } from '../../src/config/labSpec.js';
import { nodeNames } from '../../src/environments/labEnvironment.js';
import { heartbeatIfActivity, pause } from '../../src/activities/activityContext.js';
import type { ClusterFingerprint, ProbeRunSummary } from '../../src/activities/postgres/drill/drillTypes.js';
import type { DataSnapshot, JobProgress } from '../../src/workflows/rebalance/rebalanceTypes.js';
import { createFakeHaActivities } from './fakeHaActivities.js';

export type Recorder = (activity: string, detail?: string) => void;

export const testSpec = (overrides: Partial<LabSpec> = {}): LabSpec => ({
  env: 'local',
  cluster: 'wf-test',
  workers: 2,
  basePort: 40000,
  dataDir: '/tmp/citus-lab-wf-test',
  database: 'hce_distribuida',
  patients: 100,
  ...overrides,
});

const endpoint = (spec: LabSpec, node: string) =>
  `127.0.0.1:${node === 'coordinator' ? spec.basePort : spec.basePort + 1 + Number(node.split('-')[1])}`;

/** The fingerprint the fake drill baseline and after-check both report (nothing changed). */
export const FAKE_FINGERPRINT: ClusterFingerprint = {
  tables: [
    { table: 'pacientes', rows: 100, checksum: '123456789' },
    { table: 'observaciones', rows: 300, checksum: '987654321' },
  ],
  placements: { '127.0.0.1:40001': 32, '127.0.0.1:40002': 32 },
  placementDigest: '127.0.0.1:40001=a;127.0.0.1:40002=b',
};

/**
 * Probe outcomes of a textbook outage: every class fails from 20 ms after the fault until 300 ms
 * (writes and the failed node's reads) or 320 ms (multi-shard) after it; reads on the healthy node never fail.
 */
export function fakeProbeSummary(startedAt: number, faultAt: number, api = false): ProbeRunSummary {
  const run = (ok: boolean, from: number, to: number, count: number, error?: string) => ({ ok, from, to, count, ...(error ? { error } : {}) });
  const down = (cls: 'read-failed-node' | 'multi-shard' | 'write' | 'api-read-failed-node', backAt: number) => ({
    cls,
    probes: 40,
    ok: 37,
    failed: 3,
    runs: [
      run(true, startedAt + 5, faultAt - 5, 10),
      run(false, faultAt + 20, faultAt + 220, 3, 'connection to the remote node refused'),
      run(true, faultAt + backAt, faultAt + 3_000, 27),
    ],
    latencyMs: { p50: 2, p99: 9, max: 12 },
    errors: { 'connection to the remote node refused': 3 },
    perSecond: [[10, 0], [7, 3], [10, 0], [10, 0]] as Array<[number, number]>,
  });
  return {
    startedAt,
    endedAt: faultAt + 3_000,
    cadenceMs: 100,
    endedBy: 'settled',
    classes: [
      down('read-failed-node', 300),
      { ...down('read-failed-node', 0), cls: 'read-healthy-node', ok: 40, failed: 0, runs: [run(true, startedAt + 5, faultAt + 3_000, 40)], errors: {} },
      down('multi-shard', 320),
      down('write', 300),
      // With the API probes (API_DRILL_PATCH): the application sees the failed node's patient come back a little later.
      ...(api
        ? [
            { ...down('api-read-failed-node', 340), errors: { 'API: HTTP 503 shard unavailable': 3 } },
            { ...down('read-failed-node', 0), cls: 'api-read-healthy-node' as const, ok: 40, failed: 0, runs: [run(true, startedAt + 5, faultAt + 3_000, 40)], errors: {} },
          ]
        : []),
    ],
    writes: { attempted: 40, committed: 37, committedRanges: [[1, 12], [16, 40]] },
  };
}

/** The fake cluster's shard layout: 16 placements per worker until a fake job has moved them. */
export interface FakeRebalanceState {
  draining?: string;
  moved: boolean;
}

export function fakeSnapshot(spec: LabSpec, state: FakeRebalanceState): DataSnapshot {
  const workers = nodeNames(spec).filter((n) => n !== 'coordinator');
  const total = 16 * workers.length;
  const holders = state.draining ? workers.filter((w) => w !== state.draining) : workers;
  const placements = (w: string) => (!state.moved ? 16 : holders.includes(w) ? total / holders.length : 0);
  return {
    takenAt: new Date().toISOString(),
    tables: [
      { table: 'pacientes', kind: 'distributed', rows: 100, checksum: '123456789' },
      { table: 'observaciones', kind: 'distributed', rows: 300, checksum: '987654321' },
    ],
    nodes: workers.map((w) => ({
      node: w,
      address: endpoint(spec, w),
      isCoordinator: false,
      active: true,
      shouldHaveShards: w !== state.draining,
      placements: placements(w),
    })),
  };
}

export function fakeJobProgress(jobId: number, state: string, movesDone: number, movesTotal = 16): JobProgress {
  return {
    jobId,
    state,
    movesDone,
    movesTotal,
    tasksDone: movesDone,
    tasksTotal: movesTotal,
    running: state === 'running' ? [{ shard: 102008 + movesDone, from: 'worker-1', to: 'worker-0', phase: 'Catching Up' }] : [],
    bytesDone: movesDone * 65536,
    bytesTotal: movesTotal * 65536,
    seq: movesDone,
    observedAt: new Date().toISOString(),
  };
}

export function createFakeActivities(record: Recorder, overrides: Partial<LabActivities> = {}): LabActivities {
  let faultAt: number | undefined;
  const rebalance: FakeRebalanceState = { moved: false };
  const base: LabActivities = {
    async preflight() {
      record('preflight');
    },
    async provisionPlatform(spec) {
      record('provisionPlatform');
      return { created: nodeNames(spec), existing: [] };
    },
    async startNodes(spec) {
      record('startNodes');
      return { started: nodeNames(spec), alreadyRunning: [] };
    },
    async nodeStates(spec) {
      record('nodeStates');
      return nodeNames(spec).map((name) => ({ name, running: true }));
    },
    async teardownPlatform() {
      record('teardownPlatform');
    },
    async startApi(spec) {
      record('startApi');
      return { url: `http://127.0.0.1:${spec.basePort + 100}`, started: true };
    },
    async waitForApiReady(spec) {
      record('waitForApiReady');
      return { url: `http://127.0.0.1:${spec.basePort + 100}`, readyAfterMs: 7 };
    },
    async runApiChecks() {
      record('runApiChecks');
      return [
        { name: 'api metadata', status: 'PASS', message: 'CapabilityStatement (FHIR 4.0.1)', durationMs: 1 },
        { name: 'api read patient', status: 'PASS', message: 'Patient/1000000001 read back', durationMs: 1 },
        { name: 'api search routed to one shard', status: 'PASS', message: 'Observation?patient=1000000001: 3 observations', durationMs: 1 },
      ];
    },
    async waitForNodes(spec) {
      record('waitForNodes');
      return nodeNames(spec).map((node) => ({ node, readyAfterMs: 5, serverVersion: '15.18' }));
    },
    async ensureDatabaseAndExtension(_spec, node) {
      record('ensureDatabaseAndExtension', node);
      return { node, databaseCreated: true, extensionCreated: true, citusVersion: '13.2-1' };
    },
    async setCoordinatorHost(spec) {
      record('setCoordinatorHost');
      return { host: '127.0.0.1', port: spec.basePort, changed: true };
    },
    async registerWorker(spec, node) {
      record('registerWorker', node);
      const [host, port] = endpoint(spec, node).split(':');
      return { node, host: host!, port: Number(port), nodeId: 1, action: 'added' };
    },
    async checkActiveWorkers(spec) {
      record('checkActiveWorkers');
      const workers = nodeNames(spec)
        .filter((n) => n !== 'coordinator')
        .map((n) => endpoint(spec, n));
      return { expected: workers, active: workers };
    },
    async applySchema() {
      record('applySchema');
      return { created: ['pacientes', 'observaciones'], existing: [] };
    },
    async loadSampleData() {
      record('loadSampleData');
      return { skipped: false, rows: { pacientes: 100, observaciones: 300 }, seconds: 0.1, rowsPerSecond: 4000 };
    },
    async runVerification(spec) {
      record('runVerification');
      return {
        cluster: spec.cluster,
        env: spec.env,
        status: 'PASS',
        checks: [{ name: 'extension', status: 'PASS', message: 'citus 13.2-1', durationMs: 1 }],
        shardsPerWorker: {},
        generatedAt: new Date().toISOString(),
      };
    },
    async collectStatus(spec) {
      record('collectStatus');
      return { cluster: spec.cluster, env: spec.env, nodes: [], citusWorkers: [], coordinatorReachable: true, message: 'ok' };
    },
    async assertClusterIdle(_spec, operation) {
      record('assertClusterIdle', operation);
    },
    async checkDrillReady(_spec, node) {
      record('checkDrillReady', node);
      return { node, role: node === 'coordinator' ? 'coordinator' : 'worker', nodes: 3 };
    },
    async takeDrillBaseline(_spec, node, drillId) {
      record('takeDrillBaseline', node);
      return {
        ...FAKE_FINGERPRINT,
        takenAt: new Date().toISOString(),
        plan: { drillId, node, failedNodeKey: 1000000001, healthyNodeKey: 1000000002, writeKeys: [1000000001], keysExist: true, patients: 100 },
      };
    },
    async runProbes(_spec, _plan, options) {
      record('runProbes', options.api ? 'api' : undefined);
      const startedAt = Date.now();
      // Like the real probes: running before the fault, ending once the outage is over.
      for (let waited = 0; faultAt === undefined && waited < 10_000; waited += 20) {
        heartbeatIfActivity({ waited });
        await pause(20); // rejects when the workflow cancels the probes
      }
      return fakeProbeSummary(startedAt, faultAt ?? startedAt + 1_000, options.api === true);
    },
    async injectNodeFault(_spec, node) {
      record('injectNodeFault', node);
      faultAt = Date.now();
      return { node, injectedAt: faultAt };
    },
    async awaitNodeRecovery(_spec, node) {
      record('awaitNodeRecovery', node);
      const at = faultAt ?? Date.now();
      return { node, acceptingAt: at + 250, distributedOkAt: at + 320 };
    },
    async checkAfterDrill(_spec, input) {
      record('checkAfterDrill');
      const committed = input.committedRanges.reduce((n, [a, b]) => n + b - a + 1, 0);
      return { ...FAKE_FINGERPRINT, writes: { committed, present: committed, lost: 0, lostSample: [], unacknowledgedPresent: 0 } };
    },
    async suiteBasicChecks() {
      record('suiteBasicChecks');
      return [
        { name: 'connectivity coordinator', status: 'PASS', message: 'PostgreSQL 15 answers', durationMs: 1 },
        { name: 'workers registered', status: 'PASS', message: '2 of 2 workers active', durationMs: 1 },
      ];
    },
    async suiteQueryChecks(spec) {
      record('suiteQueryChecks', spec.database);
      return [{ name: 'co-located join', status: 'PASS', message: `${spec.patients * 3} rows`, durationMs: 1 }];
    },
    async rebalancePreflight(spec, request) {
      record('rebalancePreflight', request.operation);
      const target = request.node
        ? { node: request.node, address: endpoint(spec, request.node), registered: true, active: true, shouldHaveShards: true }
        : undefined;
      return {
        status: 'PASS',
        checks: [{ name: 'wal_level', status: 'PASS', message: 'wal_level = logical on all nodes', durationMs: 1 }],
        problems: [],
        lastJobId: 10,
        ...(target ? { target } : {}),
      };
    },
    async fixReplicaIdentity(_spec, fixes) {
      record('fixReplicaIdentity', fixes.map((f) => f.table).join(','));
      return fixes.map((f) => ({ table: f.table, action: 'replica-identity-full' as const, message: `${f.table}: set REPLICA IDENTITY FULL` }));
    },
    async snapshotData(spec) {
      record('snapshotData');
      return fakeSnapshot(spec, rebalance);
    },
    async markNodeDraining(spec, node) {
      record('markNodeDraining', node);
      rebalance.draining = node;
      return { node, address: endpoint(spec, node), registered: true, shouldHaveShards: false, placements: 16, changed: true };
    },
    async startRebalanceJob(_spec, request) {
      record('startRebalanceJob', request.operation);
      return { jobId: request.afterJobId + 1, adopted: false, settings: [], parallelTransfer: true };
    },
    async followRebalanceJob(_spec, jobId) {
      record('followRebalanceJob', String(jobId));
      rebalance.moved = true;
      return fakeJobProgress(jobId, 'finished', 16);
    },
    async moveShardsInSession(_spec, request) {
      record('moveShardsInSession', request.operation);
      rebalance.moved = true;
      return fakeJobProgress(0, 'finished', 16);
    },
    async stopRebalanceJob(_spec, target) {
      record('stopRebalanceJob', String(target.jobId ?? `after ${target.afterJobId}`));
      return target.jobId === undefined ? null : fakeJobProgress(target.jobId, 'cancelled', 5);
    },
    async removeDrainedNode(_spec, node) {
      record('removeDrainedNode', node);
      return { node, removed: true, message: `${node} removed from Citus` };
    },
    async writeReport(_spec, input) {
      record('writeReport', `${input.kind}:${input.status}`);
      return { json: `/tmp/${input.kind}.json`, markdown: `/tmp/${input.kind}.md` };
    },
    async writeFailureReport(_spec, input) {
      record('writeFailureReport', `${input.kind}:${input.status}`);
      return { json: `/tmp/${input.kind}.json`, markdown: `/tmp/${input.kind}.md` };
    },
    ...createFakeHaActivities(record),
  };
  return { ...base, ...overrides };
}
