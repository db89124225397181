// The portal in a real browser (Debian's Chromium through playwright-core) on a devhost with the
// seeds' demo data: the seeds' scenario through the UI (Alex activates Security Reader and the Search
// and Purge group, the access check agrees, he deactivates; with approval on, Adele approves from her
// inbox), an admin's new maximum duration reaching Alex's form, inline policy errors, and an axe-core
// scan and a screenshot of every page. No CSP violation and no page error anywhere.
import * as OTPAuth from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import {
  launchChromium,
  openPage,
  screenshot,
  seriousViolations,
  signIn,
  signOut,
  type WatchedPage,
} from '../helpers/browser';
import { readJson } from '../helpers/devhost';
import { ACTIONS, ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';

const ALEX = DEMO_USERS.alex.displayName;
const ADELE = DEMO_USERS.adele.displayName;
const MEGAN = DEMO_USERS.megan.displayName;

let seeds: SeedsHost;
let browser: Browser;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  process.env.AzureWebJobsStorage = inject('storageConnectionString');
  [seeds, browser] = await Promise.all([startSeedsHost('Portal'), launchChromium()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await seeds?.stop();
});

afterEach(() => {
  // Every page the test opened: no CSP violation, no uncaught error.
  for (const p of pages.splice(0)) expect(p.problems).toEqual([]);
});

async function newPage(): Promise<Page> {
  const watched = await openPage(browser, seeds.host.baseUrl);
  pages.push(watched);
  return watched.page;
}

async function allowed(action: string): Promise<boolean> {
  const res = await seeds.call('alex', 'POST', '/api/v1.0/access/check', { action, scope: '/' });
  return (await readJson(res)).allowed;
}

/** Opens the activation dialog of `name` on My roles. */
async function openActivate(page: Page, name: string) {
  await page.getByRole('button', { name: `Activate ${name}`, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/Duration \(hours\)/).waitFor();
  return dialog;
}

async function waitForStatus(page: Page, status: string): Promise<void> {
  await page.locator(`[data-testid="request-status"][data-status="${status}"]`).waitFor({ timeout: 30_000 });
}

const activeRow = (page: Page, name: string) =>
  page.getByRole('table', { name: 'Active assignments' }).getByRole('row', { name: new RegExp(name) });

describe('the portal in a browser', () => {
  it("runs the seeds' scenario: activate a role and a group, check, deactivate, then approval by Adele", async () => {
    const page = await newPage();
    await signIn(page, ALEX);
    expect(await allowed(ACTIONS.readSecurity)).toBe(false);

    // Security Reader: MFA (the token proves it), no justification; up to 8 hours.
    let dialog = await openActivate(page, 'Security Reader');
    expect(await dialog.getByLabel(/Justification/).count()).toBe(0);
    await dialog.getByText('At most 8 hours').waitFor();
    await dialog.getByLabel(/Duration \(hours\)/).fill('4');
    await dialog.getByRole('button', { name: 'Activate', exact: true }).click();
    await waitForStatus(page, 'Provisioned');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await activeRow(page, 'Security Reader').waitFor();
    // The countdown runs: under 4 hours left.
    expect(await activeRow(page, 'Security Reader').locator('time').textContent()).toMatch(
      /^[0-3]:\d\d:\d\d$/,
    );

    // The group wants a justification and a ticket: the form asks for both.
    dialog = await openActivate(page, 'Search and Purge PIM (member)');
    await dialog.getByLabel(/Justification/).fill('Purge phishing campaign reported in INC-4711');
    await dialog.getByLabel(/Ticket number/).fill('INC-4711');
    await dialog.getByLabel(/Ticket system/).fill('ServiceNow');
    await screenshot(page, 'activate-dialog');
    await dialog.getByRole('button', { name: 'Activate', exact: true }).click();
    await waitForStatus(page, 'Provisioned');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await activeRow(page, 'Search and Purge PIM').waitFor();
    await screenshot(page, 'my-roles-active');

    // The access check agrees.
    expect(await allowed(ACTIONS.readSecurity)).toBe(true);
    expect(await allowed(ACTIONS.purgeEmail)).toBe(true);

    // He extends Security Reader: 6 hours from now instead of 4.
    await page.getByRole('button', { name: 'Extend Security Reader', exact: true }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel(/Duration \(hours\)/).fill('6');
    await dialog.getByRole('button', { name: 'Extend', exact: true }).click();
    await waitForStatus(page, 'Provisioned');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect
      .poll(() => activeRow(page, 'Security Reader').locator('time').textContent(), { timeout: 10_000 })
      .toMatch(/^5:\d\d:\d\d$/);

    // He deactivates both.
    await page.getByRole('button', { name: 'Deactivate Security Reader', exact: true }).click();
    await page.getByRole('button', { name: 'Deactivate Search and Purge PIM (member)', exact: true }).click();
    await page.getByRole('cell', { name: 'Nothing is active.' }).waitFor();
    expect(await allowed(ACTIONS.readSecurity)).toBe(false);
    expect(await allowed(ACTIONS.purgeEmail)).toBe(false);

    // Megan requires Adele's approval for Security Reader (through the API; the settings page has its own test).
    const policyUrl = `/api/v1.0/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}`;
    const policy = await readJson(await seeds.call('megan', 'GET', policyUrl));
    const rule = policy.rules.find((r: { id: string }) => r.id === 'Approval_EndUser_Assignment');
    const stage = rule.setting.approvalStages[0];
    const patched = await seeds.call('megan', 'PATCH', `${policyUrl}/rules/Approval_EndUser_Assignment`, {
      ...rule,
      setting: {
        ...rule.setting,
        isApprovalRequired: true,
        approvalStages: [
          {
            ...stage,
            primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS.adele.id }],
          },
        ],
      },
    });
    expect(patched.status).toBe(200);

    // Alex asks again: the dialog says it needs approval and follows the request.
    await page.reload();
    dialog = await openActivate(page, 'Security Reader');
    await dialog.getByText(/needs an approver/).waitFor();
    await dialog.getByRole('button', { name: 'Activate', exact: true }).click();
    await waitForStatus(page, 'PendingApproval');

    // Adele, in her own browser session, approves from her inbox.
    const adele = await newPage();
    await signIn(adele, ADELE);
    await adele.getByRole('link', { name: 'Approve requests' }).click();
    await adele.getByRole('heading', { name: 'Approve requests', level: 1 }).waitFor();
    // Her inbox says who asks for what.
    const row = adele.getByRole('row', { name: /Alex Wilber/ });
    await row.getByText('Security Reader').waitFor();
    await row.getByRole('button', { name: /^Review request/ }).click();
    const decision = adele.getByRole('dialog');
    await decision.getByLabel(/Justification/).waitFor();
    // ...and the dialog why: the request she is asked about is hers to read.
    await decision.getByText('Requested by').waitFor();
    await decision.getByText('Alex Wilber').waitFor();
    expect(await seriousViolations(adele)).toEqual([]);
    await screenshot(adele, 'approval-dialog');
    // The policy wants the approver's justification: without one the service says so, inline.
    await decision.getByRole('button', { name: 'Approve' }).click();
    await decision.getByRole('alert').waitFor();
    await decision.getByLabel(/Justification/).fill('Known incident INC-4712');
    await decision.getByRole('button', { name: 'Approve' }).click();
    await decision.getByText('Approved.').waitFor();

    // Alex's open dialog follows the request to Provisioned.
    await waitForStatus(page, 'Provisioned');
    expect(await allowed(ACTIONS.readSecurity)).toBe(true);
  });

  it('shows a policy refusal inline, with what to do: MFA without an MFA sign-in or an authenticator', async () => {
    const page = await newPage();
    await signIn(page, ALEX, false);
    const dialog = await openActivate(page, 'Search and Purge PIM (member)');
    await dialog.getByLabel(/Justification/).fill('Purge');
    await dialog.getByLabel(/Ticket number/).fill('INC-1');
    await dialog.getByRole('button', { name: 'Activate', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/MfaRule.*sign in again with MFA, or enrol an authenticator/);
  });

  it('sets up an authenticator on Security info, then asks for its code when the sign-in has no MFA (PendingMfa -> Provisioned)', async () => {
    // Alex sets up an authenticator app on Security info (enrolling wants a sign-in with MFA).
    const hostNow = async () =>
      new Date((await readJson(await fetch(`${seeds.host.baseUrl}/admin/devhost/clock`))).now).getTime();
    const page = await newPage();
    await signIn(page, ALEX);
    await page.getByRole('link', { name: 'Security info', exact: true }).click();
    await page.getByText('No authenticator app is set up.').waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
    await page.getByLabel(/Code from the app/).fill(totp.generate({ timestamp: await hostNow() }));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('An authenticator app is set up.').waitFor();
    await signOut(page);

    // Signed in without MFA, his activation waits for a code.
    await signIn(page, ALEX, false);
    const dialog = await openActivate(page, 'Search and Purge PIM (member)');
    await dialog.getByText(/you will be asked for a code/).waitFor();
    await dialog.getByLabel(/Justification/).fill('Purge the second wave');
    await dialog.getByLabel(/Ticket number/).fill('INC-4713');
    await dialog.getByRole('button', { name: 'Activate', exact: true }).click();
    await waitForStatus(page, 'PendingMfa');
    expect(await allowed(ACTIONS.purgeEmail)).toBe(false);
    // A wrong code is refused inline; the next period's code (a code is never accepted twice) passes.
    await dialog.getByLabel(/Authenticator code/).fill('000000');
    await dialog.getByRole('button', { name: 'Verify' }).click();
    await dialog.getByRole('alert').waitFor();
    await dialog
      .getByLabel(/Authenticator code/)
      .fill(totp.generate({ timestamp: (await hostNow()) + 30_000 }));
    await dialog.getByRole('button', { name: 'Verify' }).click();
    await waitForStatus(page, 'Provisioned');
    expect(await allowed(ACTIONS.purgeEmail)).toBe(true);
    await dialog.getByRole('button', { name: 'Done' }).click();

    await page.getByRole('button', { name: 'Deactivate Search and Purge PIM (member)', exact: true }).click();
    await page.getByRole('button', { name: 'Activate Search and Purge PIM (member)', exact: true }).waitFor();
    expect(await allowed(ACTIONS.purgeEmail)).toBe(false);
  });

  it("follows an admin's new maximum duration in Alex's activation form", async () => {
    const megan = await newPage();
    await signIn(megan, MEGAN);
    await megan.getByRole('link', { name: 'Role settings' }).click();
    await megan.getByLabel('Role or group').selectOption({ label: 'Role: Search and Purge' });
    const max = megan.getByLabel(/Activation maximum duration/);
    await max.waitFor();
    await max.fill('2');
    await megan.getByRole('button', { name: 'Save' }).click();
    await megan.getByText('Saved.', { exact: false }).waitFor();
    await screenshot(megan, 'role-settings');

    const policy = await readJson(
      await seeds.call(
        'alex',
        'GET',
        `/api/v1.0/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.searchAndPurge}/rules/Expiration_EndUser_Assignment`,
      ),
    );
    expect(policy.maximumDuration).toBe('PT2H');

    // Also for a group's policy, which Alex's form for the group reads.
    await megan.getByLabel('Role or group').selectOption({ label: 'Group member: Search and Purge PIM' });
    await max.waitFor();
    await max.fill('1.5');
    await megan.getByRole('button', { name: 'Save' }).click();
    await megan.getByText('Saved.', { exact: false }).waitFor();

    const alex = await newPage();
    await signIn(alex, ALEX);
    const dialog = await openActivate(alex, 'Search and Purge PIM (member)');
    await dialog.getByText('At most 1 hour 30 minutes').waitFor();
    expect(await dialog.getByLabel(/Duration \(hours\)/).getAttribute('max')).toBe('1.5');
    expect(await dialog.getByLabel(/Duration \(hours\)/).inputValue()).toBe('1.5');
  });

  it('lets an admin add and remove an assignment, a connector and a subscription, filter the audit log and export it as CSV', async () => {
    const page = await newPage();
    await signIn(page, MEGAN);
    // A new group, to bring under PIM.
    await page.getByRole('link', { name: 'Roles and groups', exact: true }).click();
    const newGroup = page.getByRole('form', { name: 'Add a group' });
    await newGroup.getByLabel(/Group name/).fill('SOC tier 2');
    await newGroup.getByRole('button', { name: 'Add group' }).click();
    await page
      .getByRole('table', { name: 'Groups' })
      .getByRole('row', { name: /SOC tier 2/ })
      .waitFor();
    const groups = await readJson(await seeds.call('megan', 'GET', '/api/v1.0/groups'));
    expect(groups.value.map((g: { displayName: string }) => g.displayName)).toContain('SOC tier 2');
    await page.getByRole('link', { name: 'Assignments', exact: true }).click();
    const form = page.getByRole('form', { name: 'Add an assignment' });
    await form.getByLabel('Assignment type').selectOption('eligible');
    await form.getByLabel('Role or group').selectOption({ label: 'Role: Global Reader' });
    await form.getByLabel('Person').selectOption({ label: DEMO_USERS.other.displayName });
    await form.getByLabel(/Ends after/).fill('90'); // time-bound, as eligibility usually is
    await form.getByRole('button', { name: 'Add assignment' }).click();
    const eligible = page.getByRole('table', { name: 'Eligible assignments' });
    const row = eligible.getByRole('row', {
      name: new RegExp(`${DEMO_USERS.other.displayName}.*Global Reader`),
    });
    await row.waitFor();
    const listed = await seeds.call(
      'megan',
      'GET',
      `/api/v1.0/roleManagement/directory/roleEligibilitySchedules?$filter=${encodeURIComponent(`principalId eq '${DEMO_USERS.other.id}'`)}`,
    );
    const schedule = (await readJson(listed)).value.find(
      (e: { roleDefinitionId: string }) => e.roleDefinitionId === ROLE_IDS.globalReader,
    );
    const { startDateTime, expiration } = schedule.scheduleInfo;
    expect(Date.parse(expiration.endDateTime) - Date.parse(startDateTime)).toBe(90 * 86_400_000);
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.waitFor({ state: 'detached' });

    // A webhook connector and a subscription: added, listed, removed.
    await page.getByRole('link', { name: 'Connectors and subscriptions', exact: true }).click();
    const connector = page.getByRole('form', { name: 'Add a webhook connector' });
    await connector.getByLabel(/^Name/).fill('Break-glass ticketing');
    await connector.getByLabel('For').selectOption({ label: 'Role: Global Administrator' });
    await connector.getByLabel(/Webhook URL/).fill('https://hooks.example.com/grant');
    await connector.getByLabel(/Signing secret/).fill('a-secret-of-enough-length');
    await connector.getByRole('button', { name: 'Add connector' }).click();
    const connectorRow = page
      .getByRole('table', { name: 'Grant connectors' })
      .getByRole('row', { name: /Break-glass ticketing.*Global Administrator/ });
    await connectorRow.getByRole('button', { name: 'Remove' }).click();
    await connectorRow.waitFor({ state: 'detached' });
    const subscription = page.getByRole('form', { name: 'Add a subscription' });
    await subscription.getByLabel(/^URL/).fill('https://hooks.example.com/pim');
    await subscription.getByLabel(/Signing secret/).fill('a-secret-of-enough-length');
    await subscription.getByRole('checkbox', { name: 'connectorFailed' }).uncheck();
    await subscription.getByRole('button', { name: 'Add subscription' }).click();
    const subscriptionRow = page
      .getByRole('table', { name: 'Notification subscriptions' })
      .getByRole('row', { name: /hooks\.example\.com.*activated/ });
    await subscriptionRow.getByRole('button', { name: 'Remove' }).click();
    await subscriptionRow.waitFor({ state: 'detached' });

    // The audit log, filtered to what Megan just did, and the same as CSV.
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    const filters = page.getByRole('form', { name: 'Audit filters' });
    await filters.getByLabel('Initiated by').selectOption({ label: MEGAN });
    await filters.getByRole('button', { name: 'Apply' }).click();
    const log = page.getByRole('table', { name: 'Audit log' });
    // Until the filtered rows (published a moment after each change) replace the unfiltered ones.
    await expect
      .poll(async () => [...new Set(await log.locator('tbody tr td:nth-child(4)').allTextContents())], {
        timeout: 15_000,
      })
      .toEqual([MEGAN]);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      filters.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = await new Promise<string>((resolve, reject) => {
      download.createReadStream().then((stream) => {
        let text = '';
        stream.on('data', (chunk) => {
          text += chunk;
        });
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      }, reject);
    });
    expect(download.suggestedFilename()).toMatch(/^pim-audit-\d{4}-\d\d-\d\d\.csv$/);
    const lines = csv.trim().split(/\r?\n/);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.includes(DEMO_USERS.megan.id) || l.includes(MEGAN))).toBe(true);
  });

  it('works from the keyboard: sign in, move through the navigation, open and close the activation dialog', async () => {
    const page = await newPage();
    const focused = () => page.evaluate('document.activeElement?.textContent ?? ""') as Promise<string>;
    /** Tabs forward until the focused element's text matches (a bounded walk, not a wait). */
    const tabTo = async (text: RegExp) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if (text.test(await focused())) return;
      }
      throw new Error(`no focusable element matches ${text}`);
    };
    await page.goto('/');
    await page.getByRole('radio', { name: new RegExp(ALEX) }).waitFor();
    // The radio group is one tab stop on the checked user (Alex); then the MFA box, then the button.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.type')).toBe('radio');
    await tabTo(/^Sign in$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'My roles', level: 1 }).waitFor();
    expect(await page.getByText(ALEX).count()).toBeGreaterThan(0);

    await tabTo(/^My requests$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'My requests', level: 1 }).waitFor();
    await page.keyboard.down('Shift');
    await tabTo(/^My roles$/);
    await page.keyboard.up('Shift');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'My roles', level: 1 }).waitFor();
    // The roles load after the heading: tab once they are there.
    await page
      .getByRole('button', { name: /^Activate / })
      .first()
      .waitFor();

    await tabTo(/^Activate$/);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/Duration \(hours\)/).waitFor();
    // Focus moves into the dialog, and Escape closes it.
    expect(await page.evaluate('!!document.activeElement?.closest("[role=dialog]")')).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('lets Adele deny Alex in the demo access review, and an admin create a review', async () => {
    const page = await newPage();
    await signIn(page, ADELE);
    await page.getByRole('link', { name: 'Review access', exact: true }).click();
    const table = page.getByRole('table', { name: /Assignments to review in Security Reader eligibility/ });
    const row = table.getByRole('row', { name: new RegExp(ALEX) });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain('Not reviewed');
    await row.getByLabel(`Justification for ${ALEX}`).fill('Moved to the mail team');
    await row.getByRole('button', { name: `Deny ${ALEX}`, exact: true }).click();
    await row.getByText('Deny', { exact: true }).waitFor();
    // The row's buttons are enabled again once the decision is saved (disabled ones are pale).
    await table.locator('button[disabled]').first().waitFor({ state: 'detached' });
    await page.mouse.move(0, 0);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'review-access-adele');
    await signOut(page);

    // The decision is stored as Adele's.
    const defs = await readJson(
      await seeds.call('megan', 'GET', '/api/v1.0/identityGovernance/accessReviews/definitions'),
    );
    const demo = defs.value.find((d: { displayName: string }) => /Security Reader/.test(d.displayName));
    const base = `/api/v1.0/identityGovernance/accessReviews/definitions/${demo.id}/instances`;
    const instance = (await readJson(await seeds.call('megan', 'GET', base))).value[0];
    const items = (await readJson(await seeds.call('megan', 'GET', `${base}/${instance.id}/decisions`)))
      .value;
    const alexItem = items.find((x: { principal: { id: string } }) => x.principal.id === DEMO_USERS.alex.id);
    expect(alexItem).toMatchObject({ decision: 'Deny', justification: 'Moved to the mail team' });
    expect(alexItem.reviewedBy.id).toBe(DEMO_USERS.adele.id);

    // Megan creates a quarterly self-review of the group.
    await signIn(page, MEGAN);
    await page.getByRole('link', { name: 'Access reviews', exact: true }).click();
    const form = page.getByRole('form', { name: 'New access review' });
    await form.getByLabel('Name').fill('Purge group self-review');
    await form.getByLabel('Role or group').selectOption({ label: 'Search and Purge PIM (group)' });
    await form.getByLabel('Recurrence').selectOption('Quarterly');
    await form.getByRole('button', { name: 'Create review' }).click();
    const created = page
      .getByRole('table', { name: 'Access reviews' })
      .getByRole('row', { name: /Purge group self-review/ });
    await created.waitFor();
    expect(await created.textContent()).toContain('Self-review');
  }, 120_000);

  it('has no serious or critical accessibility violation on any page (axe-core), and screenshots each', async () => {
    const page = await newPage();
    const found: Record<string, string[]> = {};
    const scan = async (name: string) => {
      await page.getByRole('progressbar').first().waitFor({ state: 'detached' });
      found[name] = await seriousViolations(page);
      await screenshot(page, name);
    };
    await page.goto('/');
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await scan('sign-in');

    await signIn(page, MEGAN);
    const visit = async (link: string, name: string) => {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: link, exact: true, level: 1 }).waitFor();
      await scan(name);
    };
    await visit('My roles', 'my-roles');
    await visit('Approve requests', 'approvals');
    await visit('My requests', 'my-requests');
    await visit('My audit history', 'my-audit-history');
    await visit('Security info', 'security-info');
    await visit('Roles and groups', 'admin-roles');
    await visit('Assignments', 'admin-assignments');
    await visit('Role settings', 'admin-role-settings');
    await visit('Audit log', 'admin-audit-log');
    await visit('Connectors and subscriptions', 'admin-integrations');
    await visit('Access reviews', 'admin-access-reviews');
    await visit('Review access', 'review-access');
    await signOut(page);

    // Alex's pages with data in them, and the activation dialog.
    await signIn(page, ALEX);
    await visit('My requests', 'alex-my-requests');
    await visit('My roles', 'alex-my-roles');
    await openActivate(page, 'Search and Purge PIM (member)');
    await scan('alex-activate-dialog');

    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
  }, 240_000);
});
