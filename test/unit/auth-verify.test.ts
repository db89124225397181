import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { base64url, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../shared/auth/authenticate';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { loadDevKeys, mintDevToken } from '../../shared/auth/dev-issuer';
import { resetSettings } from '../../shared/config';
import { HttpError } from '../../shared/http/errors';
import { httpHandler, json } from '../../shared/http/handler';
import { body, context, header, request } from './http-fixtures';

const ISSUER = 'http://localhost:7071/api/dev-issuer';
const AUDIENCE = 'api://jit-access';
const ENV_KEYS = [
  'DEV_ISSUER_ENABLED',
  'DEV_ISSUER_KEY_DIR',
  'TRUST_APP_SERVICE_AUTH',
  'AUTH_ISSUER',
  'AUTH_JWKS_URL',
];
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
let keyDir: string;

function setEnv(values: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetSettings();
}

beforeAll(() => {
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-auth-'));
  setEnv({ DEV_ISSUER_ENABLED: 'true', DEV_ISSUER_KEY_DIR: keyDir, TRUST_APP_SERVICE_AUTH: undefined });
});

afterAll(() => {
  setEnv(saved);
  fs.rmSync(keyDir, { recursive: true, force: true });
});

const bearer = (token: string) =>
  request('http://h/api/v1.0/me', { headers: { authorization: `Bearer ${token}` } });
const nowSec = () => Math.floor(Date.now() / 1000);

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSec();
  const alex = DEMO_USERS.alex;
  return {
    oid: alex.id,
    sub: alex.id,
    name: alex.displayName,
    iss: ISSUER,
    aud: AUDIENCE,
    iat,
    nbf: iat,
    exp: iat + 3600,
    ...extra,
  };
}

/** Signs with the dev issuer's own key and kid: only the claims are wrong. */
async function signWithDevKey(payload: Record<string, unknown>): Promise<string> {
  const keys = await loadDevKeys(keyDir);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: keys.publicJwk.kid })
    .sign(keys.privateKey);
}

async function rejected(token: string | undefined, message: RegExp, rawHeader?: string): Promise<HttpError> {
  const headers: Record<string, string> = {};
  if (rawHeader !== undefined) headers.authorization = rawHeader;
  else if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const err = await authenticate(request('http://h/api/v1.0/me', { headers })).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  const httpError = err as HttpError;
  expect(httpError.status).toBe(401);
  expect(httpError.code).toBe('InvalidAuthenticationToken');
  expect(httpError.message).toMatch(message);
  expect(httpError.headers['WWW-Authenticate']).toMatch(/^Bearer/);
  return httpError;
}

describe('authenticate: good tokens', () => {
  it('returns the caller from a dev token', async () => {
    const caller = await authenticate(bearer(await mintDevToken('alex', { keyDir })));
    expect(caller).toMatchObject({
      id: DEMO_USERS.alex.id,
      name: 'Alex Wilber',
      username: DEMO_USERS.alex.userPrincipalName,
      amr: ['pwd'],
    });
    expect(caller.authTime).toBeInstanceOf(Date);
    expect(caller.hasFreshMfa(new Date())).toBe(false);
  });

  it('reports fresh MFA only for an mfa sign-in within MFA_MAX_AGE_MINUTES', async () => {
    const caller = await authenticate(bearer(await mintDevToken('adele', { keyDir, mfa: true })));
    expect(caller.amr).toEqual(['pwd', 'mfa']);
    expect(caller.hasFreshMfa(new Date())).toBe(true);
    expect(caller.hasFreshMfa(new Date(Date.now() + 61 * 60_000))).toBe(false);
    const old = await mintDevToken('adele', {
      keyDir,
      mfa: true,
      authTime: new Date(Date.now() - 2 * 3600_000),
    });
    expect((await authenticate(bearer(old))).hasFreshMfa(new Date())).toBe(false);
  });

  it('accepts a lower-case scheme', async () => {
    const token = await mintDevToken('megan', { keyDir });
    const req = request('http://h/x', { headers: { authorization: `bearer ${token}` } });
    expect((await authenticate(req)).id).toBe(DEMO_USERS.megan.id);
  });
});

describe('authenticate: every bad token is a 401', () => {
  it('missing token: bare Bearer challenge', async () => {
    const err = await rejected(undefined, /Access token is empty/);
    expect(err.headers['WWW-Authenticate']).toBe('Bearer');
  });

  it('not a Bearer header, or garbage', async () => {
    await rejected(undefined, /must be "Bearer/, 'Basic YWxleDpwdw==');
    await rejected(undefined, /must be "Bearer/, 'Bearer');
    const err = await rejected('not.a.jwt', /malformed/);
    expect(err.headers['WWW-Authenticate']).toContain('error="invalid_token"');
  });

  it('expired', async () => {
    const at = new Date(Date.now() - 2 * 3600_000);
    await rejected(await mintDevToken('alex', { keyDir, at, minutes: 60 }), /expired/);
  });

  it('not yet valid (nbf in the future)', async () => {
    await rejected(await signWithDevKey(claims({ nbf: nowSec() + 3600 })), /not yet valid/);
  });

  it('wrong audience', async () => {
    await rejected(await mintDevToken('alex', { keyDir, audience: 'api://someone-else' }), /audience/);
  });

  it('wrong issuer', async () => {
    await rejected(await mintDevToken('alex', { keyDir, issuer: 'https://evil.example/' }), /trusted issuer/);
  });

  it('signed by another key (same kid, and unknown kid)', async () => {
    const other = await generateKeyPair('ES256');
    const { kid } = (await loadDevKeys(keyDir)).publicJwk;
    const sameKid = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid })
      .sign(other.privateKey);
    await rejected(sameKid, /signature is invalid/);
    const otherKid = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: 'x' })
      .sign(other.privateKey);
    await rejected(otherKid, /unknown key/);
  });

  it('alg: none', async () => {
    const enc = (o: object) => base64url.encode(JSON.stringify(o));
    await rejected(`${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims())}.`, /algorithm|malformed/);
    const { kid } = (await loadDevKeys(keyDir)).publicJwk;
    await rejected(`${enc({ alg: 'none', kid })}.${enc(claims())}.`, /algorithm|malformed/);
  });

  it('HS256 with the public key as the HMAC secret (algorithm confusion)', async () => {
    const keys = await loadDevKeys(keyDir);
    const pem = createPublicKey(keys.privateKey).export({ format: 'pem', type: 'spki' }) as string;
    for (const secret of [pem, JSON.stringify(keys.publicJwk)]) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: keys.publicJwk.kid })
        .sign(new TextEncoder().encode(secret));
      await rejected(token, /algorithm/);
    }
  });

  it('without exp, or without a GUID oid', async () => {
    const { exp: _, ...noExp } = claims();
    await rejected(await signWithDevKey(noExp), /'exp' claim is missing/);
    await rejected(await signWithDevKey(claims({ oid: undefined })), /oid/);
    await rejected(await signWithDevKey(claims({ oid: 'x/../y' })), /oid/);
  });

  it('dev tokens are refused once the dev issuer is disabled', async () => {
    const token = await mintDevToken('alex', { keyDir });
    setEnv({ DEV_ISSUER_ENABLED: 'false' });
    try {
      await rejected(token, /Sign-in is not configured/);
    } finally {
      setEnv({ DEV_ISSUER_ENABLED: 'true' });
    }
  });

  it('reaches the caller as the Graph envelope with WWW-Authenticate through httpHandler', async () => {
    const handler = httpHandler(async (req) => json(200, { id: (await authenticate(req)).id }));
    const res = await handler(bearer('x.y.z'), context().context);
    expect(res.status).toBe(401);
    expect(header(res, 'www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(body(res).error.code).toBe('InvalidAuthenticationToken');
  });
});

describe("App Service's x-ms-client-principal", () => {
  const principal = Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      claims: [
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: DEMO_USERS.reader.id },
        { typ: 'name', val: 'Isaiah Langer' },
        { typ: 'preferred_username', val: 'isaiahl@contoso.example' },
        { typ: 'http://schemas.microsoft.com/claims/authnmethodsreferences', val: 'pwd' },
        { typ: 'http://schemas.microsoft.com/claims/authnmethodsreferences', val: 'mfa' },
      ],
    }),
  ).toString('base64');

  it('is ignored unless TRUST_APP_SERVICE_AUTH=true', async () => {
    const req = request('http://h/x', { headers: { 'x-ms-client-principal': principal } });
    await expect(authenticate(req)).rejects.toMatchObject({ status: 401 });
  });

  it('names the caller when trusted; a malformed header is a 401', async () => {
    setEnv({ TRUST_APP_SERVICE_AUTH: 'true' });
    try {
      const caller = await authenticate(
        request('http://h/x', { headers: { 'x-ms-client-principal': principal } }),
      );
      expect(caller).toMatchObject({ id: DEMO_USERS.reader.id, name: 'Isaiah Langer', amr: ['pwd', 'mfa'] });
      const bad = request('http://h/x', { headers: { 'x-ms-client-principal': 'bm90IGpzb24=' } });
      await expect(authenticate(bad)).rejects.toMatchObject({ status: 401 });
    } finally {
      setEnv({ TRUST_APP_SERVICE_AUTH: undefined });
    }
  });
});
