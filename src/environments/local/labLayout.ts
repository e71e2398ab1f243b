/** Where a local lab keeps its files: one directory per cluster under the data dir. */
import path from 'node:path';
import type { LabSpec } from '../../config/labSpec.js';

export interface LabLayout {
  /** `<dataDir>/<cluster>`: root of everything this lab owns. */
  readonly clusterDir: string;
  readonly nodesDir: string;
  readonly logsDir: string;
  /** Root-only (0700): the tool's copy of the superuser password. */
  readonly secretsDir: string;
  readonly passwordFile: string;
  /** Owned by the server OS user (0700): what the postmaster itself must read, i.e. its pgpass. */
  readonly serverDir: string;
  readonly pgpassFile: string;
  /** The spec recorded at first provision, to catch a later run that disagrees about ports. */
  readonly labFile: string;
  nodeDir(name: string): string;
  logFile(name: string): string;
}

export function labLayout(spec: Pick<LabSpec, 'dataDir' | 'cluster'>): LabLayout {
  const clusterDir = path.join(spec.dataDir, spec.cluster);
  const nodesDir = path.join(clusterDir, 'nodes');
  const logsDir = path.join(clusterDir, 'logs');
  const secretsDir = path.join(clusterDir, 'secrets');
  const serverDir = path.join(clusterDir, 'server');
  return {
    clusterDir,
    nodesDir,
    logsDir,
    secretsDir,
    passwordFile: path.join(secretsDir, 'postgres.password'),
    serverDir,
    pgpassFile: path.join(serverDir, 'pgpass'),
    labFile: path.join(clusterDir, 'lab.json'),
    nodeDir: (name) => path.join(nodesDir, name),
    logFile: (name) => path.join(logsDir, `${name}.log`),
  };
}
