/**
 * The HA drill's fault kinds and what brought a group back afterwards. `destroy` and `partition` need
 * a platform that can do them (local); elsewhere they are refused before anything is touched.
 */
import { LabError } from '../../errors.js';
import type { FaultKind, LabEnvironment } from '../../environments/labEnvironment.js';
import { findNode } from '../postgres/connect.js';
import type { FaultInjected } from '../postgres/drill/drillTypes.js';

export interface GroupRecovery {
  readonly node: string;
  /** `failover`: another member is primary now; `restart`: the same one came back. */
  readonly by: 'restart' | 'failover';
  readonly primaryBefore: string;
  readonly primaryNow: string;
  /** Citus addresses before and after (they differ after a failover). */
  readonly addressBefore: string;
  readonly addressNow: string;
}

function primaryMember(env: LabEnvironment, node: string): string {
  return env.ha?.members(node).find((m) => m.primary)?.name ?? node;
}

function address(env: LabEnvironment, node: string): string {
  const n = findNode(env, node);
  return `${n.clusterHost}:${n.clusterPort}`;
}

export async function injectFaultKind(env: LabEnvironment, node: string, fault: FaultKind): Promise<FaultInjected> {
  if (fault !== 'kill' && env.kind !== 'local') {
    throw new LabError('NotImplemented', `The ${fault} fault is only implemented for --env local so far; use --fault kill on ${env.kind}.`);
  }
  const member = primaryMember(env, node);
  const before = address(env, node);
  const injectedAt = Date.now();
  await env.injectFault(node, fault);
  return { node, injectedAt, fault, member, address: before };
}

export async function healNodeFault(env: LabEnvironment, node: string): Promise<void> {
  await env.healFault?.(node);
}

export function groupRecovery(env: LabEnvironment, fault: FaultInjected): GroupRecovery {
  const primaryBefore = fault.member ?? fault.node;
  const primaryNow = primaryMember(env, fault.node);
  return {
    node: fault.node,
    by: primaryNow === primaryBefore ? 'restart' : 'failover',
    primaryBefore,
    primaryNow,
    addressBefore: fault.address ?? address(env, fault.node),
    addressNow: address(env, fault.node),
  };
}
