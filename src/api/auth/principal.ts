/** Who is asking, once their credentials checked out: what every authorization decision reads. */
import type { Role } from './roles.js';

export interface Principal {
  readonly username: string;
  readonly role: Role;
  /** Effective scopes: the token's or key's, never more than the user's role has now. */
  readonly scopes: readonly string[];
  /** documento_id of the patient this user is (role patient). */
  readonly documentoId?: string;
  /** Set when the request came with an API key instead of an access token. */
  readonly apiKeyId?: string;
}
