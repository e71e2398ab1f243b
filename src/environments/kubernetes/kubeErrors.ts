/** What the Kubernetes API answered, and API failures turned into LabErrors that say whether waiting helps. */
import { ApiException } from '@kubernetes/client-node';
import { LabError } from '../../errors.js';

export interface ApiStatus {
  readonly code: number;
  readonly reason?: string;
  readonly message: string;
}

/** The HTTP status and the API server's own message, when `err` is an answer from the API server. */
export function apiStatus(err: unknown): ApiStatus | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = err.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  const status = parsed as { reason?: unknown; message?: unknown } | undefined;
  const message =
    typeof status?.message === 'string' ? status.message : typeof body === 'string' && body.trim() ? body.trim() : `HTTP ${err.code}`;
  return { code: err.code, reason: typeof status?.reason === 'string' ? status.reason : undefined, message };
}

export const isNotFound = (err: unknown): boolean => apiStatus(err)?.code === 404;
export const isConflict = (err: unknown): boolean => apiStatus(err)?.code === 409;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Turns a failed API call into a LabError when the cause is the connection or the credentials, and
 * returns anything else (404, 409, 422, ...) unchanged for the caller to judge.
 */
export function kubeFailure(err: unknown, server: string, doing: string): unknown {
  if (err instanceof LabError) return err;
  const status = apiStatus(err);
  if (status) {
    if (status.code === 401 || status.code === 403) {
      return new LabError(
        'PlatformUnavailable',
        `The Kubernetes API at ${server} refused to let this tool ${doing} (${status.code}: ${status.message}): ` +
          'use a kubeconfig context with admin rights on the namespace (CITUS_LAB_KUBE_CONTEXT).',
        { cause: err, nonRetryable: true },
      );
    }
    if (status.code >= 500 || status.code === 429) {
      return new LabError('PlatformUnavailable', `The Kubernetes API at ${server} failed to ${doing} (${status.code}: ${status.message}).`, {
        cause: err,
      });
    }
    return err;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return new LabError(
      'PlatformUnavailable',
      `Cannot reach the Kubernetes API at ${server} to ${doing} (${code}): is the cluster running? (minikube status)`,
      { cause: err },
    );
  }
  return err;
}

/** Runs one API call and rethrows connection and permission failures as LabErrors. */
export async function kubeCall<T>(server: string, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw kubeFailure(err, server, doing);
  }
}
