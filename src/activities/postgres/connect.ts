/**
 * Every SQL connection the lab opens goes through here: one short-lived client per call, a short
 * connect timeout, a recognisable application_name, and driver/server errors turned into LabErrors
 * whose type says whether waiting could help.
 */
import { Client } from 'pg';
import { LabError } from '../../errors.js';
import type { Credentials, LabEnvironment, LabNode } from '../../environments/labEnvironment.js';

export const APPLICATION_NAME = 'citus-lab';
/** The database that exists on every cluster from initdb on; used before the lab database does. */
export const MAINTENANCE_DATABASE = 'postgres';
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export interface ConnectOptions {
  connectTimeoutMs?: number;
  /** Server-side cap for every statement of the session; none by default (COPY may run long). */
  statementTimeoutMs?: number;
  /** Client-side cap per query, should the server itself stop answering; none by default. */
  queryTimeoutMs?: number;
  applicationName?: string;
  /** Credentials already read (saves a read per connection for callers that reconnect often). */
  credentials?: Credentials;
}

/** An open session to one node, and the route it uses (a port-forward on Kubernetes), closed together. */
export interface NodeConnection {
  readonly client: Client;
  readonly node: LabNode;
  close(): Promise<void>;
}

export function findNode(env: LabEnvironment, nodeName: string): LabNode {
  const node = env.nodes().find((n) => n.name === nodeName);
  if (!node) {
    const known = env.nodes().map((n) => n.name).join(', ');
    throw new LabError('UnknownNode', `lab ${env.spec.cluster} has no node named ${JSON.stringify(nodeName)}: use one of ${known}.`);
  }
  return node;
}

export function coordinatorOf(env: LabEnvironment): LabNode {
  const coordinator = env.nodes().find((n) => n.role === 'coordinator');
  if (!coordinator) throw new LabError('ConfigInvalid', `lab ${env.spec.cluster} has no coordinator node.`);
  return coordinator;
}

/**
 * Connects to one node through the environment's endpoint when it has one (`openSqlEndpoint`: the node's
 * `host` may be an in-cluster name this process cannot resolve), else at `host`/`port`. Every SQL path
 * of the lab connects through here.
 */
export async function connectNode(env: LabEnvironment, node: LabNode, database: string, options: ConnectOptions = {}): Promise<NodeConnection> {
  const { user, password } = options.credentials ?? (await env.credentials());
  // Errors keep naming the node's own address; only the socket goes through the endpoint (a port-forward).
  const endpoint = await env.openSqlEndpoint?.(node);
  const client = new Client({
    host: endpoint?.host ?? node.host,
    port: endpoint?.port ?? node.port,
    user,
    password,
    database,
    application_name: options.applicationName ?? APPLICATION_NAME,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.queryTimeoutMs,
  });
  // A node dying between queries emits 'error' on an idle client; without a listener that kills the worker.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    await endpoint?.close();
    throw connectError(err, node, database, user);
  }
  let closed = false;
  return {
    client,
    node,
    async close() {
      if (closed) return;
      closed = true;
      await client.end().catch(() => undefined);
      await endpoint?.close();
    },
  };
}

/** Connects to one node, runs `fn`, and always closes the connection. */
export async function withNodeClient<T>(
  env: LabEnvironment,
  nodeName: string,
  database: string,
  fn: (client: Client, node: LabNode) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const connection = await connectNode(env, findNode(env, nodeName), database, options);
  try {
    return await fn(connection.client, connection.node);
  } catch (err) {
    throw queryError(err, connection.node);
  } finally {
    await connection.close();
  }
}

const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** SQLSTATE (server errors) or errno (socket errors), whichever the error carries. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isLostConnection(err: unknown): boolean {
  const code = errorCode(err);
  if (code && NETWORK_ERRNOS.has(code)) return true;
  // The node we are talking to is going down: admin_shutdown, crash_shutdown.
  if (code === '57P01' || code === '57P02') return true;
  return /Connection terminated|timeout expired|ECONNREFUSED|socket hang up/i.test(errorMessage(err));
}

function where(node: LabNode): string {
  return `${node.name} (${node.host}:${node.port})`;
}

function details(node: LabNode, err: unknown): Record<string, unknown> {
  return { node: node.name, host: node.host, port: node.port, code: errorCode(err) };
}

export function connectError(err: unknown, node: LabNode, database: string, user: string): unknown {
  const code = errorCode(err);
  if (code === '28P01' || code === '28000') {
    return new LabError(
      'AuthFailed',
      `${where(node)} rejected user ${JSON.stringify(user)} (${code}: ${errorMessage(err)}): the lab's stored ` +
        'credentials do not match the server; recreate the lab (cleanup --volumes, then deploy) or fix pg_hba.conf.',
      { cause: err, details: details(node, err) },
    );
  }
  if (code === '3D000') {
    return new LabError(
      'NodeNotReady',
      `database ${JSON.stringify(database)} does not exist on ${where(node)} yet: run deploy, which creates it.`,
      { cause: err, details: details(node, err) },
    );
  }
  if (code === '57P03' || code === '53300') {
    return new LabError(
      'NodeNotReady',
      `${where(node)} is not accepting connections yet (${errorMessage(err)}): wait for it to finish starting.`,
      { cause: err, details: details(node, err) },
    );
  }
  if (isLostConnection(err)) {
    return new LabError(
      'NodeUnreachable',
      `cannot connect to ${where(node)} (${errorMessage(err)}): check that the node is running (citus-lab status).`,
      { cause: err, details: details(node, err) },
    );
  }
  return err;
}

export function queryError(err: unknown, node: LabNode): unknown {
  if (err instanceof LabError) return err;
  if (isLostConnection(err)) {
    return new LabError(
      'NodeUnreachable',
      `lost the connection to ${where(node)} (${errorMessage(err)}): check that the node is running (citus-lab status).`,
      { cause: err, details: details(node, err) },
    );
  }
  // Class 08 from a server we are connected to: Citus could not reach another node (named in the message).
  if (errorCode(err)?.startsWith('08')) {
    return new LabError(
      'NodeUnreachable',
      `${where(node)} could not reach another node: ${errorMessage(err)}; check every node is running (citus-lab status).`,
      { cause: err, details: details(node, err) },
    );
  }
  return err;
}
