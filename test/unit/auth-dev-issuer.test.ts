import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_TENANT_ID, DEMO_USERS, demoUser } from '../../shared/auth/demo-users';
import { devJwks, loadDevKeys, mintDevToken } from '../../shared/auth/dev-issuer';

let dir: string;

beforeEach(() => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jit-devkeys-')), 'keys');
});

afterEach(() => {
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});

describe('dev issuer keys', () => {
  it('generates an ES256 key pair on first use: private key 0600, public JWK beside it', async () => {
    const keys = await loadDevKeys(dir);
    const privateFile = path.join(dir, 'dev-issuer.private.pem');
    expect(fs.statSync(privateFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o077).toBe(0);
    expect(fs.readFileSync(privateFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
    const publicJwk = JSON.parse(fs.readFileSync(path.join(dir, 'dev-issuer.public.jwk.json'), 'utf8'));
    expect(publicJwk).toEqual(keys.publicJwk);
    expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(publicJwk.d).toBeUndefined();
    expect(publicJwk.kid).toBe(
      await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y }),
    );
    expect(fs.readdirSync(dir).sort()).toEqual(['dev-issuer.private.pem', 'dev-issuer.public.jwk.json']);
  });

  it('keeps the key across loads and settles concurrent first uses on one key', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => loadDevKeys(dir)));
    const kids = new Set(all.map((k) => k.publicJwk.kid));
    expect(kids.size).toBe(1);
    expect((await loadDevKeys(dir)).publicJwk.kid).toBe(all[0]!.publicJwk.kid);
    expect(await devJwks(dir)).toEqual({ keys: [all[0]!.publicJwk] });
  });

  it('notices a replaced key file when it re-reads it (every few seconds, or when asked to)', async () => {
    const first = (await loadDevKeys(dir)).publicJwk.kid;
    fs.rmSync(dir, { recursive: true });
    expect((await loadDevKeys(dir)).publicJwk.kid).toBe(first); // within the re-read interval
    expect((await loadDevKeys(dir, 0)).publicJwk.kid).not.toBe(first);
  });
});

describe('mintDevToken', () => {
  it('carries the Entra-style claims of the demo user', async () => {
    const at = new Date('2030-05-01T12:00:00Z');
    const token = await mintDevToken('alex', { keyDir: dir, mfa: true, minutes: 30, at });
    const claims = decodeJwt(token);
    const iat = at.getTime() / 1000;
    expect(claims).toEqual({
      oid: DEMO_USERS.alex.id,
      sub: DEMO_USERS.alex.id,
      tid: DEMO_TENANT_ID,
      name: 'Alex Wilber',
      preferred_username: DEMO_USERS.alex.userPrincipalName,
      amr: ['pwd', 'mfa'],
      auth_time: iat,
      ver: '2.0',
      iss: 'http://localhost:7071/api/dev-issuer',
      aud: 'api://jit-access',
      iat,
      nbf: iat,
      exp: iat + 1800,
    });
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'ES256',
      typ: 'JWT',
      kid: (await loadDevKeys(dir)).publicJwk.kid,
    });
  });

  it('defaults to pwd only and 60 minutes, and refuses unknown users', async () => {
    const claims = decodeJwt(await mintDevToken('other', { keyDir: dir }));
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.exp! - claims.iat!).toBe(3600);
    await expect(mintDevToken('mallory' as never, { keyDir: dir })).rejects.toThrow(/unknown demo user/);
  });
});

describe('demo users', () => {
  it('have distinct fixed GUIDs and the personas the tests use', () => {
    const users = Object.values(DEMO_USERS);
    expect(new Set(users.map((u) => u.id)).size).toBe(users.length);
    for (const u of users)
      expect(u.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(users.map((u) => u.persona).sort()).toEqual(['admin', 'approver', 'other', 'reader', 'requester']);
    expect(demoUser('megan')?.displayName).toBe('Megan Bowen');
    expect(demoUser('toString')).toBeUndefined();
  });
});
