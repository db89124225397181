// /api/v1.0/me/authenticators/totp over HTTP: enrol (fresh MFA needed), confirm, state, delete.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { type DevhostProcess, readJson, startDevhost } from '../helpers/devhost';

describe('TOTP authenticator endpoints', () => {
  let host: DevhostProcess;
  let keyDir: string;
  const url = () => `${host.baseUrl}/api/v1.0/me/authenticators/totp`;
  const token = (mfa: boolean) => mintDevToken('other', { mfa, keyDir });
  const call = async (method: string, suffix = '', mfa = true, body?: unknown) =>
    fetch(`${url()}${suffix}`, {
      method,
      headers: { authorization: `Bearer ${await token(mfa)}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-totp-keys-'));
    host = await startDevhost({
      quiet: true,
      env: {
        DEV_ISSUER_ENABLED: 'true',
        DEV_ISSUER_KEY_DIR: keyDir,
        MFA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      },
    });
  });
  afterAll(async () => {
    await host?.stop();
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  it('enrols, confirms, reports and removes an authenticator; changes need fresh MFA', async () => {
    expect((await fetch(url(), { method: 'POST' })).status).toBe(401);
    expect((await call('POST', '', false)).status).toBe(403);

    const enrolled = await call('POST');
    expect(enrolled.status).toBe(201);
    expect(enrolled.headers.get('cache-control')).toBe('no-store');
    const { otpauthUri, secret } = await readJson(enrolled);
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/JIT%20Access:/);
    expect((await readJson(await call('GET'))).isEnabled).toBe(false);

    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
    const offByOne = String((Number(totp.generate()) + 1) % 1_000_000).padStart(6, '0');
    const wrong = await call('POST', '/confirm', true, { otp: offByOne });
    expect(wrong.status).toBe(400);
    expect((await readJson(wrong)).error.code).toBe('TotpInvalidCode');
    const malformed = await call('POST', '/confirm', true, { otp: 'abc' });
    expect(malformed.status).toBe(400);
    expect((await readJson(malformed)).error.details[0].target).toBe('otp');

    expect((await call('POST', '/confirm', true, { otp: totp.generate() })).status).toBe(204);
    expect((await readJson(await call('GET', '', false))).isEnabled).toBe(true);
    expect((await call('POST')).status).toBe(409);

    expect((await call('DELETE', '', false)).status).toBe(403);
    expect((await call('DELETE')).status).toBe(204);
    expect((await readJson(await call('GET'))).isEnabled).toBe(false);
    expect((await call('DELETE')).status).toBe(404);
  });
});
