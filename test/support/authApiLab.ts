/**
 * The FHIR API with authentication on, over a throwaway lab (plain PostgreSQL, or Citus where
 * installed), set up the way deploy does it: schema + migrations, sample data, then
 * ensureApiSecrets (signing key + one account per role, passwords in the lab's secrets dir).
 *
 * `client(address)` sends requests from a chosen loopback address (127.0.0.x), so the login lockout
 * of one test (it counts per address too) never locks out the others; every request it sends is
 * remembered, so a test can check that each one left exactly one AuditEvent.
 */
import http from 'node:http';
import pg from 'pg';
import { serveApi, type RunningApi } from '../../src/api/serve.js';
import { ensureApiSecrets, apiSecretsDir, readApiPassword } from '../../src/api/auth/bootstrap.js';
import type { TempLab } from './localLab.js';
import { coordinatorParameters, serveCitusLab, servePlainLab } from './servedLab.js';

export interface SentRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
  readonly text: string;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly form?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

export type Send = (method: string, path: string, options?: RequestOptions) => Promise<Answer>;

export interface AuthApiLab {
  readonly lab: TempLab;
  readonly api: RunningApi;
  readonly secretsDir: string;
  /** A pool on the lab database, for checks behind the API's back. */
  readonly db: pg.Pool;
  readonly sent: SentRequest[];
  password(username: string): string;
  client(address: string): Send;
  close(): Promise<void>;
}

function sender(base: URL, address: string, sent: SentRequest[]): Send {
  return (method, path, options = {}) =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'application/fhir+json', ...options.headers };
      let payload: string | undefined;
      if (options.form) {
        payload = new URLSearchParams(options.form).toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      } else if (options.body !== undefined) {
        payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/fhir+json';
      }
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const req = http.request({ host: base.hostname, port: base.port, method, path, headers, localAddress: address }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          sent.push({ method, path, status: res.statusCode ?? 0 });
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
}

async function withAuth(lab: TempLab): Promise<AuthApiLab> {
  const connection = await coordinatorParameters(lab);
  const db = new pg.Pool({ ...connection, max: 3 });
  const secretsDir = apiSecretsDir(lab.spec);
  try {
    await ensureApiSecrets({ secretsDir, db });
    const api = await serveApi({ spec: lab.spec, host: '127.0.0.1', port: 0, connection, auth: { secretsDir } });
    const sent: SentRequest[] = [];
    const base = new URL(api.url);
    return {
      lab,
      api,
      secretsDir,
      db,
      sent,
      password: (username) => readApiPassword(secretsDir, username),
      client: (address) => sender(base, address, sent),
      async close() {
        try {
          await api.close();
        } finally {
          await db.end();
          await lab.cleanup();
        }
      },
    };
  } catch (err) {
    await db.end();
    throw err;
  }
}

/** Plain PostgreSQL: one node, the lab schema and migrations as plain SQL, the sample data by COPY. */
export function startPlainAuthApiLab(patients: number): Promise<AuthApiLab> {
  return servePlainLab(patients, withAuth);
}

/** Citus: coordinator + 2 workers, schema distributed by the deploy's own activity, sample data loaded. */
export function startCitusAuthApiLab(): Promise<AuthApiLab> {
  return serveCitusLab('auth', withAuth);
}
