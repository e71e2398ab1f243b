/**
 * What the CLI can tell about a lab cheaply, before Temporal is contacted or anything is written:
 * the data dir can hold files at all, and a command other than `deploy` names a lab that exists.
 * Each failure is one sentence and exit 2 (src/cli/errors.ts).
 */
import fs from 'node:fs';
import type { LabSpec } from '../config/labSpec.js';
import { assertUsableDataDir } from '../config/dataDir.js';
import { labLayout } from '../environments/local/labLayout.js';
import { LabError } from '../errors.js';
import type { LabOperation } from '../workflows/inputs.js';

export function assertLabPreconditions(spec: LabSpec, operation: LabOperation): void {
  assertUsableDataDir(spec.dataDir);
  if (operation !== 'deploy') assertLabDeployed(spec, operation);
}

/**
 * Local labs are known by their files: `lab.json` is written when a lab is first provisioned; cleanup
 * also takes the remains of a deploy that stopped before that. Compose and Minikube labs live in
 * Docker or Kubernetes, which only the workflow's first step asks (one typed failure there).
 */
function assertLabDeployed(spec: LabSpec, operation: LabOperation): void {
  if (spec.env !== 'local') return;
  const layout = labLayout(spec);
  const present = operation === 'cleanup' ? isDirectory(layout.clusterDir) : fs.existsSync(layout.labFile);
  if (!present) {
    throw new LabError('LabNotDeployed', `no lab "${spec.cluster}" is deployed in ${spec.dataDir}; run deploy first`);
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
