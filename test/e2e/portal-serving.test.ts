// The portal as the Function App serves it: index.html with a fresh CSP nonce and no-cache, hashed
// assets cached for a year, client-side routes answered with the page, and paths under api/ still
// the API's Graph-style 404. Needs the portal built (npm run build builds it).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/devhost';
import { type DirectoryHost, startDirectoryHost } from '../helpers/directory-client';

let api: DirectoryHost;

beforeAll(async () => {
  api = await startDirectoryHost('PortalServing');
});
afterAll(async () => {
  await api?.stop();
});

const get = (p: string) => fetch(`${api.baseUrl}${p}`);

function nonceOf(csp: string): string | undefined {
  return /'nonce-([^']+)'/.exec(csp)?.[1];
}

describe('the portal', () => {
  it('serves index.html at / with a strict CSP whose nonce the page carries, and no-cache', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-eval|unsafe-inline/);
    const html = await res.text();
    const nonce = nonceOf(csp);
    expect(nonce).toBeTruthy();
    expect(html).toContain(`<meta name="csp-nonce" content="${nonce}"`);
    expect(html).not.toContain('__CSP_NONCE__');
    // No inline script: every <script> has a src on the site.
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/src="\/assets\//);
    // A new response, a new nonce.
    const again = nonceOf((await get('/')).headers.get('content-security-policy') ?? '');
    expect(again).not.toBe(nonce);
  });

  it('answers client-side routes with the page, and hashed assets with a year of caching', async () => {
    for (const route of ['/approvals', '/admin/settings', '/some/deep/route']) {
      const res = await get(route);
      expect(res.status, route).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
    }
    const assets = fs.readdirSync(path.join(repoRoot, 'dist', 'portal', 'assets'));
    const script = assets.find((a) => a.endsWith('.js'))!;
    const res = await get(`/assets/${script}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await get('/assets/no-such-file.js')).status).toBe(404);
    expect((await get('/..%2fpackage.json')).status).toBe(404);
  });

  it("keeps the API's Graph-style 404 for unknown paths under api/, and the API's own routes", async () => {
    for (const p of ['/api/nope', '/api/v1.0/noSuchThing', '/api']) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: { code: unknown } }).error.code).toEqual(expect.any(String));
    }
    expect((await get('/api/health')).status).toBe(200);
  });

  it('tells the portal how to sign in: the dev picker here, MSAL only when configured', async () => {
    const res = await get('/api/portal/config');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ devSignIn: true, msal: null });
  });
});
