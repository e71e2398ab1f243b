/**
 * Who is primary in each node group of a local lab with standbys. A group (`coordinator`, `worker-0`,
 * ...) has members: member 0 lives in the group's own data directory (`nodes/worker-0`, the only one
 * a lab without standbys has), member k >= 1 in `nodes/worker-0-s<k>` on port `basePort + 100 k + i`.
 * `<lab>/topology.json` records the current primary and the fenced members of every group that ever
 * failed over; without it member 0 is primary. It is replaced by rename, so readers never see half a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LabSpec } from '../../../config/labSpec.js';

/** Ports of standby k start 100 k above the group's own, so a lab may grow to 16 workers without overlap. */
export const STANDBY_PORT_STRIDE = 100;
const MEMBER_NAME = /^(coordinator|worker-\d+)(?:-s(\d+))?$/;

export interface GroupState {
  /** The member that is (or is being made) primary. */
  readonly primary: string;
  /** Members that must not run as primary: stopped, standby.signal written, not restarted by the supervisor. */
  readonly fenced: readonly string[];
}

export type Topology = Readonly<Record<string, GroupState>>;

export interface MemberRef {
  readonly name: string;
  readonly group: string;
  /** 0 for the group's original node, k for standby k. */
  readonly index: number;
  readonly port: number;
}

export function memberName(group: string, index: number): string {
  return index === 0 ? group : `${group}-s${index}`;
}

/** `worker-0-s1` -> { group: worker-0, index: 1 }; undefined for anything else. */
export function parseMemberName(name: string): { group: string; index: number } | undefined {
  const match = MEMBER_NAME.exec(name);
  if (!match?.[1]) return undefined;
  return { group: match[1], index: match[2] ? Number(match[2]) : 0 };
}

/** The port of the group's original node (its position in nodeNames) plus the standby stride. */
export function memberPort(spec: Pick<LabSpec, 'basePort'>, group: string, index: number): number {
  const worker = /^worker-(\d+)$/.exec(group)?.[1];
  const position = worker === undefined ? 0 : Number(worker) + 1;
  return spec.basePort + position + STANDBY_PORT_STRIDE * index;
}

export function groupMembers(spec: Pick<LabSpec, 'basePort'>, group: string, standbys: number): MemberRef[] {
  return Array.from({ length: standbys + 1 }, (_, index) => ({
    name: memberName(group, index),
    group,
    index,
    port: memberPort(spec, group, index),
  }));
}

export function topologyFile(clusterDir: string): string {
  return path.join(clusterDir, 'topology.json');
}

export function readTopology(clusterDir: string): Topology {
  let text: string;
  try {
    text = fs.readFileSync(topologyFile(clusterDir), 'utf8');
  } catch {
    return {};
  }
  const parsed = JSON.parse(text) as Record<string, { primary?: unknown; fenced?: unknown }>;
  const topology: Record<string, GroupState> = {};
  for (const [group, state] of Object.entries(parsed)) {
    if (typeof state.primary !== 'string') continue;
    const fenced = Array.isArray(state.fenced) ? state.fenced.filter((f): f is string => typeof f === 'string') : [];
    topology[group] = { primary: state.primary, fenced };
  }
  return topology;
}

export function groupState(topology: Topology, group: string): GroupState {
  return topology[group] ?? { primary: group, fenced: [] };
}

/** Read-modify-write of one group's entry (callers are serialised by the workflow that owns the group). */
export function updateGroup(clusterDir: string, group: string, change: (state: GroupState) => GroupState): GroupState {
  const topology = readTopology(clusterDir);
  const next = change(groupState(topology, group));
  const file = topologyFile(clusterDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ ...topology, [group]: next }, null, 2)}\n`, { mode: 0o644 });
  fs.renameSync(tmp, file);
  return next;
}

/** Slot names allow [a-z0-9_] only. */
export function slotName(member: string): string {
  return `citus_lab_${member.replace(/-/g, '_')}`;
}
