// The production path: an Entra-style issuer whose JWKS is fetched over HTTP (here a local server).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../devhost/azurite';
import { authenticate } from '../../shared/auth/authenticate';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { resetSettings } from '../../shared/config';
import { request } from '../unit/http-fixtures';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const AUDIENCE = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
const USER = '00000000-0000-0000-0000-0000000000aa';
const ENV = ['AUTH_ISSUER', 'AUTH_JWKS_URL', 'AUTH_AUDIENCE', 'DEV_ISSUER_ENABLED', 'DEV_ISSUER_KEY_DIR'];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

let server: http.Server;
let jwksUrl: string;
let fetches = 0;
let keyDir: string;
const keys = generateKeyPair('RS256');

function setEnv(values: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetSettings();
}

async function entraToken(kid = 'entra-key-1', audience = AUDIENCE): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    oid: USER,
    name: 'Prod User',
    preferred_username: 'prod@contoso.example',
    tid: TENANT,
    ver: '2.0',
    amr: ['pwd', 'mfa'],
    auth_time: now - 60,
    // Entra's token id (uti): each token is its own, as the service's verification cache assumes.
    uti: randomUUID(),
  })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3600)
    .sign((await keys).privateKey);
}

beforeAll(async () => {
  const publicJwk = {
    ...(await exportJWK((await keys).publicKey)),
    kid: 'entra-key-1',
    alg: 'RS256',
    use: 'sig',
  };
  server = http.createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/v2.0/keys`;
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-remote-'));
  setEnv({
    AUTH_ISSUER: ISSUER,
    AUTH_JWKS_URL: jwksUrl,
    AUTH_AUDIENCE: `${AUDIENCE}, api://jit-access`,
    DEV_ISSUER_ENABLED: 'true',
    DEV_ISSUER_KEY_DIR: keyDir,
  });
});

afterAll(async () => {
  setEnv(saved);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(keyDir, { recursive: true, force: true });
});

const bearer = (token: string) =>
  request('http://h/api/v1.0/me', { headers: { authorization: `Bearer ${token}` } });

describe('production issuer with a remote JWKS', () => {
  it('verifies an Entra-style RS256 token and caches the key set', async () => {
    const caller = await authenticate(bearer(await entraToken()));
    expect(caller).toMatchObject({
      id: USER,
      name: 'Prod User',
      username: 'prod@contoso.example',
      tenantId: TENANT,
    });
    expect(caller.hasFreshMfa(new Date())).toBe(true);
    const before = fetches;
    await authenticate(bearer(await entraToken()));
    expect(fetches).toBe(before);
  });

  it('still trusts the dev issuer alongside it, each with its own keys', async () => {
    const caller = await authenticate(bearer(await mintDevToken('alex', { keyDir })));
    expect(caller.name).toBe('Alex Wilber');
    // A dev-signed token claiming the production issuer is checked against Entra's keys: refused.
    const forged = await mintDevToken('alex', { keyDir, issuer: ISSUER, audience: AUDIENCE });
    await expect(authenticate(bearer(forged))).rejects.toMatchObject({ status: 401 });
  });

  it('refuses an unknown kid and the wrong audience with 401', async () => {
    await expect(authenticate(bearer(await entraToken('rotated-away')))).rejects.toMatchObject({
      status: 401,
      message: expect.stringMatching(/unknown key/),
    });
    await expect(authenticate(bearer(await entraToken('entra-key-1', 'api://other')))).rejects.toMatchObject({
      status: 401,
    });
  });

  it('answers 503 when the JWKS cannot be fetched', async () => {
    setEnv({ AUTH_JWKS_URL: `http://127.0.0.1:${await freePort()}/keys` });
    try {
      await expect(authenticate(bearer(await entraToken()))).rejects.toMatchObject({ status: 503 });
    } finally {
      setEnv({ AUTH_JWKS_URL: jwksUrl });
    }
  });
});
