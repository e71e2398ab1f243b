/**
 * Waits until the lab's FHIR API answers `GET /ready` with 200, i.e. the server runs and reaches the
 * coordinator. Anything else (connection refused, 503) is waited out until the deadline.
 */
import { LabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { heartbeatIfActivity, pause } from '../activityContext.js';
import type { ApiReadiness } from '../results.js';
import { describeFetchError, fhirGet, outcomeText } from './http.js';

const POLL_MS = 200;
const PROBE_TIMEOUT_MS = 2_000;

export async function waitForApiReady(env: LabEnvironment, options: { timeoutSeconds: number }): Promise<ApiReadiness> {
  const startedAt = Date.now();
  const deadline = startedAt + options.timeoutSeconds * 1000;
  const endpoint = await env.openApiEndpoint();
  try {
    let last = 'no answer yet';
    for (;;) {
      try {
        const res = await fhirGet(`${endpoint.url}/ready`, PROBE_TIMEOUT_MS);
        if (res.status === 200) return { url: endpoint.url, readyAfterMs: Date.now() - startedAt };
        last = `HTTP ${res.status}${outcomeText(res.body) ? `: ${outcomeText(res.body)}` : ''}`;
      } catch (err) {
        last = describeFetchError(err);
      }
      if (Date.now() > deadline) {
        throw new LabError(
          'ApiNotReady',
          `The API of lab "${env.spec.cluster}" at ${endpoint.url} was not ready within ${options.timeoutSeconds} s (last answer: ${last}).`,
        );
      }
      heartbeatIfActivity({ waitedMs: Date.now() - startedAt, last });
      await pause(POLL_MS);
    }
  } finally {
    await endpoint.close();
  }
}
