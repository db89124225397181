// The portal's Alerts page in Chromium: Megan sees the demo data's alerts with their incidents and
// remediates the role without MFA; Isaiah (a reader) sees them without the buttons. No CSP violation,
// no page error, no serious accessibility violation.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { launchChromium, openPage, screenshot, seriousViolations, signIn } from '../helpers/browser';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';

let seeds: SeedsHost;
let browser: Browser;

beforeAll(async () => {
  [seeds, browser] = await Promise.all([startSeedsHost('PortalAlerts'), launchChromium()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await seeds?.stop();
});

const NO_MFA = 'Roles do not require multi-factor authentication for activation';

it('lists the active alerts; an admin remediates one, a reader only reads', async () => {
  const megan = await openPage(browser, seeds.host.baseUrl);
  await signIn(megan.page, DEMO_USERS.megan.displayName);
  await megan.page.getByRole('link', { name: 'Alerts' }).click();
  await megan.page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
  const card = megan.page.getByRole('group', { name: NO_MFA });
  await card.getByRole('cell', { name: 'Search and Purge' }).waitFor();
  await megan.page
    .getByRole('group', { name: 'Roles are being assigned outside of Privileged Identity Management' })
    .getByRole('cell', { name: DEMO_USERS.reader.displayName })
    .waitFor();
  expect(await seriousViolations(megan.page)).toEqual([]);
  await screenshot(megan.page, 'alerts');
  await card.getByRole('button', { name: 'Remediate' }).click();
  await card.waitFor({ state: 'detached' });

  const isaiah = await openPage(browser, seeds.host.baseUrl);
  await signIn(isaiah.page, DEMO_USERS.reader.displayName);
  await isaiah.page.getByRole('link', { name: 'Alerts' }).click();
  await isaiah.page.getByRole('cell', { name: DEMO_USERS.megan.displayName }).first().waitFor();
  expect(await isaiah.page.getByRole('button', { name: 'Remediate' }).count()).toBe(0);
  expect(await isaiah.page.getByRole('button', { name: 'Refresh' }).count()).toBe(0);
  expect([...megan.problems, ...isaiah.problems]).toEqual([]);
});
