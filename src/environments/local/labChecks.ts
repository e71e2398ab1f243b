/** Checks that a local lab can live where the spec says, before anything is created. Each throws a LabError. */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { pseudoFileSystemOf } from '../../config/dataDir.js';
import type { LabSpec } from '../../config/labSpec.js';
import { LabError } from '../../errors.js';
import type { LabLayout } from './labLayout.js';
import { isPortFree, describePortHolder } from './ports.js';
import { runningPostmaster } from './postmaster.js';
import { canTraverse, type ServerUser } from './serverUser.js';

function notWritable(dataDir: string, reason: string): LabError {
  return new LabError(
    'DataDirNotWritable',
    `The data dir ${dataDir} cannot hold the lab (${reason}): choose a writable directory with --data-dir.`,
  );
}

/** The cluster dir's nearest existing ancestor must be a writable directory the server user can reach. */
export function assertDataDirUsable(dataDir: string, layout: LabLayout, user: ServerUser): void {
  let existing = layout.clusterDir;
  while (!fs.existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (!fs.statSync(existing).isDirectory()) throw notWritable(dataDir, `${existing} is not a directory`);
  // Checked here too (the CLI checks first): creating directories under /proc would never return.
  const pseudo = pseudoFileSystemOf(existing);
  if (pseudo) throw notWritable(dataDir, `${existing} is on ${pseudo}, a kernel pseudo file system`);
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw notWritable(dataDir, `${existing} is not writable by this user`);
  }
  const chain: string[] = [];
  for (let dir = existing; ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  const blocked = chain.find((dir) => !canTraverse(user, dir));
  if (blocked) {
    throw new LabError(
      'DataDirNotWritable',
      `PostgreSQL runs as OS user ${user.name}, which cannot enter ${blocked} on the way to the data dir ${dataDir}: ` +
        `choose a --data-dir it can reach (e.g. /var/lib/citus-lab) or make ${blocked} traversable (chmod o+x).`,
    );
  }
}

const recordedPortsSchema = z.object({ basePort: z.number().int(), apiPort: z.number().int().optional() });
export type RecordedPorts = z.infer<typeof recordedPortsSchema>;

/** The ports in a lab's `lab.json`: undefined when it was never provisioned, `'damaged'` when unreadable. */
export function readRecordedPorts(layout: LabLayout): RecordedPorts | 'damaged' | undefined {
  let text: string;
  try {
    text = fs.readFileSync(layout.labFile, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = recordedPortsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'damaged';
  } catch {
    return 'damaged';
  }
}

/** The refusal of a --base-port other than the one the lab was created with. */
export function basePortMismatch(spec: LabSpec, layout: LabLayout, recordedBasePort: number, orWithout = false): LabError {
  return new LabError(
    'ConfigInvalid',
    `Lab "${spec.cluster}" already exists in ${layout.clusterDir} with base port ${recordedBasePort}, not ${spec.basePort}: ` +
      `run with --base-port ${recordedBasePort}${orWithout ? ' (or without it)' : ''}, or pick another --cluster.`,
  );
}

/** A lab keeps the ports it was created with; a different --base-port would orphan its running nodes. */
export function assertSamePorts(spec: LabSpec, layout: LabLayout): void {
  const recorded = readRecordedPorts(layout);
  if (recorded === undefined) return; // never provisioned: any ports will do
  if (recorded === 'damaged') {
    throw new LabError(
      'ConfigInvalid',
      `${layout.labFile} is damaged: remove the lab with teardown --remove-data, or pick another --cluster.`,
    );
  }
  if (recorded.basePort !== spec.basePort) throw basePortMismatch(spec, layout, recorded.basePort);
}

/** A port is fine when free, or when the process on it is this lab's own node. */
export async function assertPortFree(name: string, port: number, pgdata: string): Promise<void> {
  if (await isPortFree(port)) return;
  if (runningPostmaster(pgdata)?.port === port) return;
  const holder = describePortHolder(port) ?? 'another process';
  throw new LabError(
    'PortInUse',
    `Port ${port} (for node ${name}) is already in use by ${holder}: stop it, or choose other ports with --base-port.`,
    { details: { port, node: name } },
  );
}
