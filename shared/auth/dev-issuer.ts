// The local dev issuer: an ES256 key pair generated on first use into the key dir (an ignored
// folder), a JWKS of its public key, and tokens for the demo users. The service trusts it only when
// DEV_ISSUER_ENABLED=true, and then verifies against the key file directly (no HTTP to itself).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, type JWK, type JWTVerifyGetKey, SignJWT } from 'jose';
import { now } from '../clock';
import { authSettings } from '../config';
import { DEMO_TENANT_ID, type DemoUser, type DemoUserKey, demoUser } from './demo-users';

export const DEV_KEY_ALG = 'ES256';
const PRIVATE_FILE = 'dev-issuer.private.pem';
const PUBLIC_FILE = 'dev-issuer.public.jwk.json';

export interface DevKeys {
  privateKey: ReturnType<typeof createPrivateKey>;
  /** The public key as a JWK with `kid`, `alg` and `use`. */
  publicJwk: JWK;
  /** Verifies tokens against `publicJwk`. */
  keySet: JWTVerifyGetKey;
}

/** The configured key dir, relative to the process's working directory. */
export function devKeyDir(dir = authSettings().DEV_ISSUER_KEY_DIR): string {
  return path.resolve(process.cwd(), dir);
}

// Keyed by dir; the PEM text is the cache stamp, so a replaced key file is noticed within a few
// seconds (the file is read at most once per RECHECK_MS, not once per verification: under load the
// reads cost more than the signature checks).
const cache = new Map<string, { pem: string; keys: DevKeys; checkedAt: number }>();
const RECHECK_MS = 5_000;

/** Loads the key pair from `dir`, generating it on first use; re-reads it when older than `maxAgeMs`. */
export async function loadDevKeys(dir = devKeyDir(), maxAgeMs = RECHECK_MS): Promise<DevKeys> {
  const recent = cache.get(dir);
  if (recent && performance.now() - recent.checkedAt < maxAgeMs) return recent.keys;
  const file = path.join(dir, PRIVATE_FILE);
  let pem = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (pem === undefined) {
    await createKeyFile(dir, file);
    pem = await fs.readFile(file, 'utf8');
  }
  const hit = cache.get(dir);
  if (hit?.pem === pem) {
    hit.checkedAt = performance.now();
    return hit.keys;
  }
  const privateKey = createPrivateKey(pem);
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const publicJwk: JWK = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: DEV_KEY_ALG, use: 'sig' };
  await writePublicJwk(dir, publicJwk);
  const keys = { privateKey, publicJwk, keySet: createLocalJWKSet({ keys: [publicJwk] }) };
  cache.set(dir, { pem, keys, checkedAt: performance.now() });
  return keys;
}

/** The JWKS document the dev issuer publishes. */
export async function devJwks(dir = devKeyDir()): Promise<{ keys: JWK[] }> {
  return { keys: [(await loadDevKeys(dir)).publicJwk] };
}

export interface MintOptions {
  /** Adds `mfa` to `amr`, as an MFA sign-in does. */
  mfa?: boolean;
  /** Lifetime; default 60. */
  minutes?: number;
  /** Issue time (iat, nbf, and auth_time unless given); default the app clock's now. */
  at?: Date;
  authTime?: Date;
  keyDir?: string;
  issuer?: string;
  audience?: string;
  /** Extra or replaced claims (tests). */
  claims?: Record<string, unknown>;
}

/** Signs a token for a demo user (or any user shape) with the dev issuer's key. */
export async function mintDevToken(
  user: DemoUserKey | Pick<DemoUser, 'id' | 'displayName' | 'userPrincipalName'>,
  options: MintOptions = {},
): Promise<string> {
  const who = typeof user === 'string' ? demoUser(user) : user;
  if (!who) throw new Error(`unknown demo user '${String(user)}'`);
  const keys = await loadDevKeys(devKeyDir(options.keyDir), 0); // always the key file as it is now
  const iat = Math.floor((options.at ?? now()).getTime() / 1000);
  const authTime = options.authTime ? Math.floor(options.authTime.getTime() / 1000) : iat;
  const minutes = options.minutes ?? 60;
  const claims = {
    oid: who.id,
    sub: who.id,
    tid: DEMO_TENANT_ID,
    name: who.displayName,
    preferred_username: who.userPrincipalName,
    amr: options.mfa ? ['pwd', 'mfa'] : ['pwd'],
    auth_time: authTime,
    ver: '2.0',
    iss: options.issuer ?? authSettings().DEV_ISSUER_URL,
    aud: options.audience ?? authSettings().AUTH_AUDIENCE[0],
    iat,
    nbf: iat,
    exp: iat + Math.round(minutes * 60),
    ...options.claims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: DEV_KEY_ALG, typ: 'JWT', kid: keys.publicJwk.kid })
    .sign(keys.privateKey);
}

// Publish-once: write to a private temp file, then hard-link it into place. link() fails if the
// file exists, so when the token script and the host start together exactly one key wins.
async function createKeyFile(dir: string, file: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const tmp = path.join(dir, `.${PRIVATE_FILE}.${randomUUID()}`);
  await fs.writeFile(tmp, pem, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await fs.unlink(tmp);
  }
}

// For people and tools that want the public key without the JWKS endpoint; derived, never trusted.
async function writePublicJwk(dir: string, jwk: JWK): Promise<void> {
  const file = path.join(dir, PUBLIC_FILE);
  const text = `${JSON.stringify(jwk, null, 2)}\n`;
  if ((await fs.readFile(file, 'utf8').catch(() => '')) === text) return;
  const tmp = path.join(dir, `.${PUBLIC_FILE}.${randomUUID()}`);
  await fs.writeFile(tmp, text, { mode: 0o644 });
  await fs.rename(tmp, file);
}
