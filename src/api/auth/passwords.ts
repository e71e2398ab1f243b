/**
 * Password hashing with scrypt (node:crypto): `scrypt$<N>$<r>$<p>$<salt>$<hash>`, base64url parts, so
 * the cost can be raised later without breaking stored hashes. Verification compares in constant time.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
// N=2^15, r=8 needs 32 MiB; node's default cap is exactly that, so give it room.
const MAX_MEMORY = 64 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, { N, r: R, p: P, maxmem: MAX_MEMORY });
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  if (!n || !r || !p) return false;
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  const key = await scrypt(password, Buffer.from(parts[4] ?? '', 'base64url'), { N: n, r, p, maxmem: MAX_MEMORY });
  return expected.length === key.length && timingSafeEqual(expected, key);
}

/**
 * A hash to check against when the user does not exist, so a login for an unknown name costs the same
 * time as one with a wrong password (no user enumeration by timing).
 */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('base64url'));
  return dummy;
}

/** A generated password: 32 random bytes, base64url (no shell or URL quoting needed). */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}
