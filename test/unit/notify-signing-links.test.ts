// Webhook signatures and approval link tokens: what verifies, and every way a forgery is refused.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetSettings } from '../../shared/config';
import { LinkError, mintLinkToken, verifyLinkToken } from '../../shared/notify/approval-links';
import { escapeHtml, html } from '../../shared/notify/html';
import { checkSignature, signature, signedHeaders } from '../../shared/notify/signing';

const saved = { ...process.env };
beforeAll(() => {
  process.env.AzureWebJobsStorage ??= 'UseDevelopmentStorage=true';
  process.env.APPROVAL_LINK_KEY = randomBytes(32).toString('base64');
  process.env.APPROVAL_LINK_TTL_MINUTES = '60';
  resetSettings();
});
afterAll(() => {
  process.env = saved;
  resetSettings();
});

describe('webhook signatures', () => {
  const secret = 'a-secret-of-sufficient-length';
  const at = new Date('2030-01-01T10:00:00Z');
  const body = '{"approvalId":"x"}';

  it('verifies what it signed, within five minutes either way', () => {
    const h = signedHeaders(secret, body, at);
    const sig = h['x-jit-signature'];
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(checkSignature(secret, body, h['x-jit-timestamp'], sig, at)).toBeUndefined();
    expect(
      checkSignature(secret, body, h['x-jit-timestamp'], sig, new Date(at.getTime() + 299_000)),
    ).toBeUndefined();
    expect(
      checkSignature(secret, body, h['x-jit-timestamp'], sig, new Date(at.getTime() - 299_000)),
    ).toBeUndefined();
  });

  it('refuses stale, missing, altered, re-timed and wrongly keyed messages', () => {
    const h = signedHeaders(secret, body, at);
    const ts = h['x-jit-timestamp'];
    const sig = h['x-jit-signature'];
    expect(checkSignature(secret, body, ts, sig, new Date(at.getTime() + 301_000))).toBe('stale');
    expect(checkSignature(secret, body, null, sig, at)).toBe('missing');
    expect(checkSignature(secret, body, ts, null, at)).toBe('missing');
    expect(checkSignature(secret, `${body} `, ts, sig, at)).toBe('mismatch');
    const later = String(Number(ts) + 10);
    expect(checkSignature(secret, body, later, sig, at)).toBe('mismatch');
    expect(checkSignature('another-secret-entirely', body, ts, sig, at)).toBe('mismatch');
    expect(checkSignature(secret, body, 'abc', sig, at)).toBe('mismatch');
    expect(signature(secret, ts, body)).toBe(sig);
  });
});

describe('approval link tokens', () => {
  const now = new Date('2030-01-01T10:00:00Z');
  const claims = {
    approverId: randomUUID(),
    approvalId: randomUUID(),
    stepId: 'stage-1',
    decision: 'Approve' as const,
  };
  const far = new Date('2030-01-02T10:00:00Z');

  it('carry approver, approval, step and decision, with a fresh jti each', async () => {
    const a = await mintLinkToken(claims, now, far);
    const b = await mintLinkToken(claims, now, far);
    const va = await verifyLinkToken(a, now);
    const vb = await verifyLinkToken(b, now);
    expect(va).toMatchObject(claims);
    expect(va.jti).not.toBe(vb.jti);
    expect(va.expiresAt.toISOString()).toBe('2030-01-01T11:00:00.000Z');
  });

  it('never outlive the approval', async () => {
    const soon = new Date('2030-01-01T10:10:00Z');
    const t = await mintLinkToken(claims, now, soon);
    expect((await verifyLinkToken(t, now)).expiresAt.toISOString()).toBe(soon.toISOString());
    await expect(verifyLinkToken(t, new Date('2030-01-01T10:10:01Z'))).rejects.toMatchObject({
      problem: 'expired',
    });
  });

  it('refuse tampering: a changed claim, a foreign key, alg none, garbage', async () => {
    const t = await mintLinkToken(claims, now, far);
    const [h, p, s] = t.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, dec: 'Deny' })).toString('base64url');
    await expect(verifyLinkToken(`${h}.${forged}.${s}`, now)).rejects.toBeInstanceOf(LinkError);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    await expect(verifyLinkToken(`${none}.${p}.`, now)).rejects.toMatchObject({ problem: 'invalid' });
    await expect(verifyLinkToken('not-a-token', now)).rejects.toMatchObject({ problem: 'invalid' });
    process.env.APPROVAL_LINK_KEY = randomBytes(32).toString('base64');
    resetSettings();
    await expect(verifyLinkToken(t, now)).rejects.toMatchObject({ problem: 'invalid' });
  });
});

describe('html escaping', () => {
  it('escapes every interpolated value and nothing else', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const evil = '<img src=x onerror=alert(1)>';
    expect(html`<p>${evil}</p>`.value).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(html`<div>${html`<b>${evil}</b>`}</div>`.value).toBe(
      '<div><b>&lt;img src=x onerror=alert(1)&gt;</b></div>',
    );
  });
});
