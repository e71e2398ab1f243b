/**
 * Turns a request's credentials into a Principal, or refuses with a reason (always answered as 401).
 * An access token is checked twice: its signature and claims (jose), then against the user as stored
 * now, so a token whose user was deactivated, or whose role or patient changed, stops working at once
 * and not only when it expires. User rows are cached for a moment (every request needs one), and the
 * admin routes drop a user from the cache when they change it.
 */
import type { Pool } from 'pg';
import { InvalidToken, type TokenVerifier } from './accessTokens.js';
import { findApiKey } from './apiKeys.js';
import type { Principal } from './principal.js';
import { narrowScopes } from './roles.js';
import { findUser, type StoredUser } from './userStore.js';

export class Unauthenticated extends Error {
  override readonly name = 'Unauthenticated';
}

export interface Credentials {
  readonly kind: 'token' | 'apiKey';
  readonly value: string;
}

/** `Authorization: Bearer <jwt>` or `Authorization: Bearer|ApiKey clk_...` or `X-API-Key: clk_...`. */
export function credentialsOf(headers: Record<string, string | string[] | undefined>): Credentials | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return { kind: 'apiKey', value: apiKey.trim() };
  const auth = headers.authorization;
  if (typeof auth !== 'string') return undefined;
  const m = /^(Bearer|ApiKey)\s+(\S+)\s*$/i.exec(auth);
  if (!m?.[2]) return undefined;
  const value = m[2];
  if (m[1]?.toLowerCase() === 'apikey' || value.startsWith('clk_')) return { kind: 'apiKey', value };
  return { kind: 'token', value };
}

export interface AuthenticatorOptions {
  readonly db: Pool;
  readonly verify: TokenVerifier;
  /** How long a user row may be reused without asking the database again (default 2 s). */
  readonly userCacheMs?: number;
}

export class Authenticator {
  private readonly users = new Map<string, { user: StoredUser | undefined; at: number }>();
  private readonly cacheMs: number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.cacheMs = options.userCacheMs ?? 2_000;
  }

  /** Drops a user from the cache (their role, patient or password just changed). */
  forget(username: string): void {
    this.users.delete(username);
  }

  private async user(username: string): Promise<StoredUser | undefined> {
    const hit = this.users.get(username);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.user;
    const user = await findUser(this.options.db, username);
    this.users.set(username, { user, at: Date.now() });
    return user;
  }

  async authenticate(credentials: Credentials | undefined): Promise<Principal> {
    if (!credentials) throw new Unauthenticated('this endpoint needs an access token (Authorization: Bearer ...) or an API key');
    return credentials.kind === 'token' ? this.fromToken(credentials.value) : this.fromApiKey(credentials.value);
  }

  private async fromToken(token: string): Promise<Principal> {
    let claims;
    try {
      claims = await this.options.verify(token);
    } catch (err) {
      if (err instanceof InvalidToken) throw new Unauthenticated(err.message);
      throw err;
    }
    const user = await this.user(claims.username);
    if (!user?.active) throw new Unauthenticated('the user of this token does not exist or is deactivated');
    if (user.role !== claims.role || user.documentoId !== claims.documentoId) {
      throw new Unauthenticated('the role or patient in this token is no longer the user\'s: log in again');
    }
    return {
      username: user.username,
      role: user.role,
      scopes: narrowScopes(user.role, claims.scopes),
      ...(user.documentoId ? { documentoId: user.documentoId } : {}),
    };
  }

  private async fromApiKey(secret: string): Promise<Principal> {
    const key = await findApiKey(this.options.db, secret);
    if (!key) throw new Unauthenticated('unknown, expired or revoked API key');
    const user = await this.user(key.username);
    if (!user?.active) throw new Unauthenticated('the user of this API key does not exist or is deactivated');
    return {
      username: user.username,
      role: user.role,
      scopes: narrowScopes(user.role, key.scopes),
      ...(user.documentoId ? { documentoId: user.documentoId } : {}),
      apiKeyId: key.keyId,
    };
  }
}
