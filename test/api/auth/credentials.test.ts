import { jwtVerify } from 'jose';
import { issueAccessToken, tokenVerifier, InvalidToken } from '../../../src/api/auth/accessTokens.js';
import { hashPassword, verifyPassword } from '../../../src/api/auth/passwords.js';
import { hashSecret, looksLike, newSecret } from '../../../src/api/auth/secretTokens.js';
import { generateSigningKey } from '../../../src/api/auth/signingKey.js';

describe('passwords', () => {
  test('scrypt hashes verify, differ per salt, and reject a wrong password', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });
});

describe('opaque secrets', () => {
  test('have their prefix and 256 bits, and are stored as SHA-256 only', () => {
    const s = newSecret('refresh');
    expect(looksLike('refresh', s)).toBe(true);
    expect(looksLike('apiKey', s)).toBe(false);
    expect(hashSecret(s)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(s)).not.toContain(s.slice(4));
  });
});

describe('access tokens', () => {
  test('are EdDSA with our kid, 15 minutes, and verify only against our keys', async () => {
    const key = await generateSigningKey();
    const other = await generateSigningKey();
    const subject = { username: 'patient', role: 'patient' as const, scopes: ['patient/*.rs'], documentoId: '1000000001' };
    const token = await issueAccessToken(key, subject);
    const { payload, protectedHeader } = await jwtVerify(token, key.publicKey);
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: key.kid });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
    await expect(tokenVerifier([key])(token)).resolves.toMatchObject({ username: 'patient', role: 'patient', documentoId: '1000000001' });
    await expect(tokenVerifier([other])(token)).rejects.toBeInstanceOf(InvalidToken);
    // During a key rotation the previous key still verifies.
    await expect(tokenVerifier([other, key])(token)).resolves.toMatchObject({ username: 'patient' });
    const expired = await issueAccessToken(key, subject, new Date(Date.now() - 15 * 60_000 - 1_000));
    await expect(tokenVerifier([key])(expired)).rejects.toBeInstanceOf(InvalidToken);
  });
});
