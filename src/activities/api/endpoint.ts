/** Opening the lab API's endpoint where the platform can host an API at all. */
import { isLabError } from '../../errors.js';
import type { ApiEndpoint, LabEnvironment } from '../../environments/labEnvironment.js';

/** The API endpoint, or undefined when the platform answers NotImplemented (no API there yet). */
export async function openUnlessUnsupported(env: LabEnvironment): Promise<ApiEndpoint | undefined> {
  try {
    return await env.openApiEndpoint();
  } catch (err) {
    if (isLabError(err) && err.type === 'NotImplemented') return undefined;
    throw err;
  }
}
