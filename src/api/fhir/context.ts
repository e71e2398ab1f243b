/** What one FHIR request carries besides its resource: where the server is, the client's Prefer header, an open transaction. */
import type { RequestAccess } from '../auth/requestAccess.js';
import type { SqlSession } from '../storage/sqlSession.js';

export interface Prefer {
  readonly return: 'minimal' | 'representation' | 'OperationOutcome';
  readonly strict: boolean;
}

export interface FhirContext {
  /** Base URL links and Locations start with, e.g. http://127.0.0.1:15532 */
  readonly baseUrl: string;
  readonly prefer: Prefer;
  /** Set inside a transaction Bundle: every entry runs on it. */
  readonly session?: SqlSession;
  /** The caller's compartment (role patient) and the audit hook writes call in their transaction. */
  readonly access?: RequestAccess;
}

export function parsePrefer(header: string | string[] | undefined): Prefer {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const pairs = new Map(
    text
      .split(/[,;]/)
      .map((p) => p.trim().split('=').map((s) => s.trim().replace(/^"|"$/g, '')))
      .filter((p): p is [string, string] => p.length === 2),
  );
  const ret = pairs.get('return');
  return {
    return: ret === 'minimal' || ret === 'OperationOutcome' ? ret : 'representation',
    strict: pairs.get('handling') === 'strict',
  };
}
