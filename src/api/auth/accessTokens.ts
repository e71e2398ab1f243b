/**
 * Access tokens: JWTs of 15 minutes signed with the server's Ed25519 key, `kid` in the header.
 * Verification accepts only EdDSA and only keys of our own key set, so `alg: none`, HS256 made with
 * the public key, an unknown kid or another key's signature all fail the same way (401).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { isRole, type Role } from './roles.js';
import { SIGNING_ALG, type SigningKey } from './signingKey.js';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const ISSUER = 'citus-lab-api';
export const AUDIENCE = 'citus-lab-fhir';

export interface AccessSubject {
  readonly username: string;
  readonly role: Role;
  readonly scopes: readonly string[];
  /** documento_id of the patient a patient-role user is. */
  readonly documentoId?: string;
}

export interface AccessClaims extends AccessSubject {
  readonly tokenId: string;
  readonly expiresAt: Date;
}

export async function issueAccessToken(key: SigningKey, subject: AccessSubject, now = new Date()): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({
    role: subject.role,
    scope: subject.scopes.join(' '),
    ...(subject.documentoId ? { patient: subject.documentoId } : {}),
  })
    .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(subject.username)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_SECONDS)
    .sign(key.privateKey);
}

export class InvalidToken extends Error {
  override readonly name = 'InvalidToken';
}

export type TokenVerifier = (token: string) => Promise<AccessClaims>;

/** A verifier for tokens signed by any of `keys` (the current key, and older ones while they may be in use). */
export function tokenVerifier(keys: readonly SigningKey[]): TokenVerifier {
  const jwks = createLocalJWKSet({ keys: keys.map((k) => k.publicJwk) });
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { algorithms: [SIGNING_ALG], issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt' }));
    } catch (err) {
      throw new InvalidToken(`the access token is not valid (${(err as { code?: string }).code ?? 'ERR_JWT_INVALID'})`);
    }
    const { sub, role, scope, patient, jti, exp } = payload as JWTPayload & { role?: unknown; scope?: unknown; patient?: unknown };
    if (!sub || !isRole(role) || typeof scope !== 'string' || !jti || !exp) throw new InvalidToken('the access token lacks required claims');
    return {
      username: sub,
      role,
      scopes: scope.split(' ').filter(Boolean),
      ...(typeof patient === 'string' ? { documentoId: patient } : {}),
      tokenId: jti,
      expiresAt: new Date(exp * 1000),
    };
  };
}
