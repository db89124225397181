// The portal as production runs it: the dev issuer off (no "sign in as" picker, its endpoints 404)
// and MSAL configured (PORTAL_CLIENT_ID...): the page offers "Sign in with Microsoft", loads MSAL.js
// without a CSP violation, and the CSP lets MSAL reach the authority and nothing else.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, screenshot } from '../helpers/browser';
import { type DevhostProcess, startDevhost } from '../helpers/devhost';

const AUTHORITY = 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555';

let host: DevhostProcess;
let browser: Browser;

beforeAll(async () => {
  [host, browser] = await Promise.all([
    startDevhost({
      quiet: true,
      env: {
        DEV_ISSUER_ENABLED: 'false',
        PORTAL_CLIENT_ID: '6e1c1a51-3c6a-4c1e-9a47-0b7f3c2f9d10',
        PORTAL_AUTHORITY: AUTHORITY,
        PORTAL_API_SCOPE: 'api://jit-access/access_as_user',
        DEMO_DATA: 'false',
        TABLE_PREFIX: 'PortalProd',
        DEVHOST_TASK_HUB: 'PortalProdHub',
      },
    }),
    launchChromium(),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('the portal with the dev issuer off and MSAL configured', () => {
  it('says so in its config, and the dev sign-in endpoints do not exist', async () => {
    const config = await (await fetch(`${host.baseUrl}/api/portal/config`)).json();
    expect(config).toEqual({
      devSignIn: false,
      msal: {
        clientId: '6e1c1a51-3c6a-4c1e-9a47-0b7f3c2f9d10',
        authority: AUTHORITY,
        apiScope: 'api://jit-access/access_as_user',
      },
    });
    expect((await fetch(`${host.baseUrl}/api/dev-issuer/users`)).status).toBe(404);
    const csp = (await fetch(`${host.baseUrl}/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("connect-src 'self' https://login.microsoftonline.com;");
    expect(csp).toContain('frame-src https://login.microsoftonline.com;');
  });

  it('offers "Sign in with Microsoft" and never the demo users picker', async () => {
    const { page, problems } = await openPage(browser, host.baseUrl);
    await page.goto('/');
    await page.getByRole('button', { name: 'Sign in with Microsoft' }).waitFor();
    expect(await page.getByRole('radio').count()).toBe(0);
    expect(await page.getByText(/demo users/).count()).toBe(0);
    await screenshot(page, 'sign-in-production');
    expect(problems).toEqual([]);
  });
});
