// Sign-in over HTTP through the devhost: the dev issuer's JWKS, /api/v1.0/me, /api/openapi.json.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { type DevhostProcess, readJson, repoRoot, startDevhost } from '../helpers/devhost';

let keyDir: string;

beforeAll(() => {
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-e2e-keys-'));
});

afterAll(() => {
  fs.rmSync(keyDir, { recursive: true, force: true });
});

function expectStandardHeaders(res: Response): void {
  expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get('client-request-id')).toBeTruthy();
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
}

describe('with the dev issuer enabled', () => {
  let host: DevhostProcess;

  beforeAll(async () => {
    host = await startDevhost({
      quiet: true,
      env: { DEV_ISSUER_ENABLED: 'true', DEV_ISSUER_KEY_DIR: keyDir },
    });
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('serves the JWKS (public key only) and the discovery document anonymously', async () => {
    const res = await fetch(`${host.baseUrl}/api/dev-issuer/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expectStandardHeaders(res);
    const jwks = await readJson(res);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0].d).toBeUndefined();
    expect(fs.statSync(path.join(keyDir, 'dev-issuer.private.pem')).mode & 0o777).toBe(0o600);

    const config = await readJson(
      await fetch(`${host.baseUrl}/api/dev-issuer/.well-known/openid-configuration`),
    );
    expect(config.issuer).toBe('http://localhost:7071/api/dev-issuer');
    expect(config.jwks_uri).toBe(`${host.baseUrl}/api/dev-issuer/.well-known/jwks.json`);
  });

  it('GET /api/v1.0/me: 401 without a token, with a bad one, 200 with a dev token', async () => {
    const none = await fetch(`${host.baseUrl}/api/v1.0/me`);
    expect(none.status).toBe(401);
    expectStandardHeaders(none);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const noneBody = await readJson(none);
    expect(noneBody.error).toMatchObject({ code: 'InvalidAuthenticationToken', details: [] });
    expect(noneBody.error.innerError['request-id']).toBe(none.headers.get('request-id'));

    const bad = await fetch(`${host.baseUrl}/api/v1.0/me`, {
      headers: { authorization: 'Bearer e30.e30.AAAA' },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const expired = await mintDevToken('alex', { keyDir, at: new Date(Date.now() - 3 * 3600_000) });
    const old = await fetch(`${host.baseUrl}/api/v1.0/me`, {
      headers: { authorization: `Bearer ${expired}` },
    });
    expect(old.status).toBe(401);
    expect((await readJson(old)).error.message).toMatch(/expired/);

    const token = await mintDevToken('alex', { keyDir, mfa: true });
    const ok = await fetch(`${host.baseUrl}/api/v1.0/me`, {
      headers: { authorization: `Bearer ${token}`, 'client-request-id': 'portal-42' },
    });
    expect(ok.status).toBe(200);
    expectStandardHeaders(ok);
    expect(ok.headers.get('client-request-id')).toBe('portal-42');
    expect(await readJson(ok)).toMatchObject({
      id: DEMO_USERS.alex.id,
      displayName: 'Alex Wilber',
      userPrincipalName: DEMO_USERS.alex.userPrincipalName,
      businessPhones: [],
      mail: null,
    });
  });

  it('signs in as a demo user: the list, then a token (with MFA when asked) the host accepts', async () => {
    const users = await readJson(await fetch(`${host.baseUrl}/api/dev-issuer/users`));
    expect(users.value.map((u: { key: string }) => u.key)).toEqual(Object.keys(DEMO_USERS));
    const res = await fetch(`${host.baseUrl}/api/dev-issuer/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alex', mfa: true, minutes: 30 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await readJson(res);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 1800 });
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ oid: DEMO_USERS.alex.id, amr: ['pwd', 'mfa'] });
    const me = await fetch(`${host.baseUrl}/api/v1.0/me`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect((await readJson(me)).id).toBe(DEMO_USERS.alex.id);

    const unknown = await fetch(`${host.baseUrl}/api/dev-issuer/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'mallory' }),
    });
    expect(unknown.status).toBe(400);
    expect((await readJson(unknown)).error.code).toBe('BadRequest');
  });

  it('`npm run token` (dist/scripts/token.js) prints a token the host accepts', async () => {
    const token = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [path.join(repoRoot, 'dist', 'scripts', 'token.js'), 'megan', '--mfa', '--minutes', '5'],
        { env: { ...process.env, DEV_ISSUER_ENABLED: 'true', DEV_ISSUER_KEY_DIR: keyDir } },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
      );
    });
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const res = await fetch(`${host.baseUrl}/api/v1.0/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect((await readJson(res)).displayName).toBe('Megan Bowen');
  });

  it('GET /api/openapi.json is an OpenAPI 3.1 document generated from the zod schemas', async () => {
    const res = await fetch(`${host.baseUrl}/api/openapi.json`);
    expect(res.status).toBe(200);
    expectStandardHeaders(res);
    const doc = await readJson(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'JIT Access', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(doc.servers).toEqual([{ url: '/api' }]);
    expect(doc.components.securitySchemes.bearer).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    const me = doc.paths['/v1.0/me'].get;
    expect(me.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/microsoft.graph.user',
    });
    expect(me.responses['401']).toBeDefined();
    // Graph's own user type, from Graph's metadata (shared/openapi/graph-schemas.ts).
    expect(Object.keys(doc.components.schemas['microsoft.graph.user'].properties)).toEqual(
      expect.arrayContaining(['id', 'displayName', 'userPrincipalName', 'businessPhones']),
    );
    expect(doc.paths['/openapi.json'].get.security).toEqual([]);
    for (const p of Object.keys(doc.paths))
      expect(
        p === '/openapi.json' ||
          p.startsWith('/v1.0/') ||
          p === '/health' ||
          p.startsWith('/dev-issuer/') ||
          p === '/portal/config',
        p,
      ).toBe(true);
    // Each operation lists the statuses it answers; none hides behind a blanket `default`.
    for (const [p, ops] of Object.entries(
      doc.paths as Record<string, Record<string, { responses: object }>>,
    )) {
      for (const [method, op] of Object.entries(ops))
        expect(Object.keys(op.responses), `${method} ${p}`).not.toContain('default');
    }
    expect(doc.paths['/health'].get.responses['503']).toBeTruthy();
    expect(doc.paths['/v1.0/groups'].post.requestBody).toBeTruthy();
    expect(
      doc.paths['/v1.0/roleManagement/directory/roleEligibilityScheduleRequests'].post.requestBody,
    ).toBeTruthy();
    expect(doc.paths['/v1.0/roleManagement/directory/roleDefinitions/{id}'].patch.requestBody).toBeTruthy();
    const exportParams = doc.paths['/v1.0/auditLogs/directoryAudits/export'].get.parameters.map(
      (x: { name: string }) => x.name,
    );
    expect(exportParams).not.toContain('$top');
  });
});

describe('with a virtual clock three hours ahead', () => {
  let host: DevhostProcess;

  beforeAll(async () => {
    host = await startDevhost({
      quiet: true,
      env: {
        DEV_ISSUER_ENABLED: 'true',
        DEV_ISSUER_KEY_DIR: keyDir,
        DEVHOST_VIRTUAL_CLOCK: 'true',
        DEVHOST_CLOCK_OFFSET: 'PT3H',
      },
    });
  });

  afterAll(async () => {
    await host?.stop();
  });

  it("the sign-in endpoint issues tokens at the host's clock, so they work on the moved clock", async () => {
    const res = await fetch(`${host.baseUrl}/api/dev-issuer/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'adele' }),
    });
    const { access_token } = await readJson(res);
    const me = await fetch(`${host.baseUrl}/api/v1.0/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(me.status).toBe(200);
  });

  it('checks token lifetimes on the app clock; --at makes a token for the moved clock', async () => {
    const clock = await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`));
    const realNow = await mintDevToken('adele', { keyDir });
    const stale = await fetch(`${host.baseUrl}/api/v1.0/me`, {
      headers: { authorization: `Bearer ${realNow}` },
    });
    expect(stale.status).toBe(401);
    const onHostClock = await mintDevToken('adele', { keyDir, at: new Date(clock.now) });
    const ok = await fetch(`${host.baseUrl}/api/v1.0/me`, {
      headers: { authorization: `Bearer ${onHostClock}` },
    });
    expect(ok.status).toBe(200);
    expect((await readJson(ok)).id).toBe(DEMO_USERS.adele.id);
  });
});

describe('with the dev issuer disabled (the default)', () => {
  let host: DevhostProcess;

  beforeAll(async () => {
    host = await startDevhost({ quiet: true, env: { DEV_ISSUER_KEY_DIR: keyDir } });
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('has no JWKS and accepts no dev token', async () => {
    const jwks = await fetch(`${host.baseUrl}/api/dev-issuer/.well-known/jwks.json`);
    expect(jwks.status).toBe(404);
    expect((await readJson(jwks)).error.code).toBe('ResourceNotFound');
    const token = await mintDevToken('megan', { keyDir });
    const me = await fetch(`${host.baseUrl}/api/v1.0/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(401);
  });

  it('offers no sign-in: neither the demo users nor a token', async () => {
    expect((await fetch(`${host.baseUrl}/api/dev-issuer/users`)).status).toBe(404);
    const token = await fetch(`${host.baseUrl}/api/dev-issuer/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'megan', mfa: true }),
    });
    expect(token.status).toBe(404);
    expect(await token.text()).not.toMatch(/access_token/);
  });
});
