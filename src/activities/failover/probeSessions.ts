/**
 * WatchLab's probe sessions: one open connection per member, reused for every `SELECT 1`. A new
 * connection per probe cost a SCRAM handshake each time (tens of ms on a loaded machine, more than
 * the 250 ms probe timeout at worst, so a healthy standby could look dead); and an open session
 * tells at once when its server dies: the kernel closes a killed process's sockets, so `end` fires
 * and the watch probes again without waiting out its interval.
 */
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { connectNode, errorMessage, type NodeConnection } from '../postgres/connect.js';
import { requireHa } from './memberClient.js';

interface Session {
  readonly connection: NodeConnection;
  readonly port: number;
  broken: boolean;
}

export class ProbeSessions {
  private readonly sessions = new Map<string, Session>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly env: LabEnvironment,
    private readonly timeoutMs: number,
  ) {}

  /** `error` (its first line) when the member did not answer `text`, else the first row. */
  async probe(member: string, text = 'SELECT 1'): Promise<{ error?: string; row?: Record<string, unknown> }> {
    const node = requireHa(this.env).member(member).node;
    let session = this.sessions.get(member);
    if (session && (session.broken || session.port !== node.port)) {
      this.drop(member);
      session = undefined;
    }
    try {
      session ??= await this.open(member);
      const { rows } = await withTimeout(session.connection.client.query<Record<string, unknown>>(text), this.timeoutMs, `${member} did not answer within ${this.timeoutMs} ms`);
      return { row: rows[0] ?? {} };
    } catch (err) {
      this.drop(member);
      return { error: errorMessage(err).split('\n')[0] ?? 'probe failed' };
    }
  }

  /** Sleeps `ms`, or less when a session breaks meanwhile (its server went away). */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if ([...this.sessions.values()].some((s) => s.broken)) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wake = undefined;
        resolve();
      };
      const onAbort = () => {
        clearTimeout(timer);
        this.wake = undefined;
        reject(signal?.reason);
      };
      const timer = setTimeout(done, ms);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    for (const member of [...this.sessions.keys()]) this.drop(member);
  }

  private async open(member: string): Promise<Session> {
    const node = requireHa(this.env).member(member).node;
    const connection = await connectNode(this.env, node, 'postgres', {
      connectTimeoutMs: this.timeoutMs,
      statementTimeoutMs: this.timeoutMs,
      applicationName: 'citus-lab-watch',
    });
    const session: Session = { connection, port: node.port, broken: false };
    const broke = () => {
      session.broken = true;
      this.wake?.();
    };
    connection.client.on('end', broke);
    connection.client.on('error', broke);
    this.sessions.set(member, session);
    return session;
  }

  private drop(member: string): void {
    const session = this.sessions.get(member);
    if (!session) return;
    this.sessions.delete(member);
    // A frozen server never answers the goodbye: the socket goes without waiting for it.
    session.connection.client.connection.stream.destroy();
    void session.connection.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
