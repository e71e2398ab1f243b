/** A SQL connection to one member of a group (a standby has no entry in env.nodes(), which names groups). */
import type { Client } from 'pg';
import { LabError } from '../../errors.js';
import type { HaControl } from '../../environments/haControl.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { withNodeClient, type ConnectOptions } from '../postgres/connect.js';

export function requireHa(env: LabEnvironment): HaControl {
  if (!env.ha) {
    throw new LabError('NotImplemented', `Standbys, failover and switchover are not available on --env ${env.kind} yet: use --env local.`);
  }
  if (env.ha.standbys === 0) {
    throw new LabError('ConfigInvalid', `Lab "${env.spec.cluster}" has no standbys: deploy it with --standbys 1 first.`);
  }
  return env.ha;
}

/** Runs `fn` on one member, through the same connection rules (timeouts, typed errors) as any node. */
export async function withMemberClient<T>(
  env: LabEnvironment,
  member: string,
  fn: (client: Client) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const node = requireHa(env).member(member).node;
  const view: LabEnvironment = Object.create(env, { nodes: { value: () => [node] } }) as LabEnvironment;
  return withNodeClient(view, member, 'postgres', (client) => fn(client), options);
}

/** `X/Y` hex LSN -> bigint, for comparing positions. */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi ?? '0'}`) << 32n) + BigInt(`0x${lo ?? '0'}`);
}

/** The position furthest ahead (the first of equals); `positions` must not be empty. */
export function mostAdvanced<P extends { lsn: string }>(positions: readonly P[]): P {
  return positions.reduce((best, p) => (lsnValue(p.lsn) > lsnValue(best.lsn) ? p : best));
}
