/**
 * Stand-ins for the lab's activities, for workflow tests (the brief allows replacing activities
 * there; everything else runs for real). Each call is recorded so tests can check order and counts,
 * and any activity can be overridden.
 */
import type { LabActivities } from '../../src/activities/index.js';
import type { LabSpec } from '../../src/config/labSpec.js';
import { nodeNames } from '../../src/environments/labEnvironment.js';

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

export function createFakeActivities(record: Recorder, overrides: Partial<LabActivities> = {}): LabActivities {
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
    async writeReport(_spec, input) {
      record('writeReport', `${input.kind}:${input.status}`);
      return { json: `/tmp/${input.kind}.json`, markdown: `/tmp/${input.kind}.md` };
    },
  };
  return { ...base, ...overrides };
}
