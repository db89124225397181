// Notifications, approvals from outside the portal and grant connectors, over HTTP against a
// devhost, with a real SMTP server and real HTTP target systems in this process:
//   - Adele approves Alex's activation from the link in the mail the SMTP server received; the
//     target system sees the signed grant and, 8 virtual hours later, the revoke; subscribers get
//     signed events (JSON and a Teams card); every mail and call is in the request's audit rows
//   - links that are tampered, expired, reused, someone else's or the requester's own decide nothing
//   - a chat tool decides through the signed webhook, with the portal's rules
//   - target systems that are slow, down then up, or keep failing a revoke (alert, admins mailed),
//     and a dead subscriber, never hold up a grant or a revoke
// Retries are durable timers (60 s apart here), so the tests move the virtual clock, never sleep.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { resetSettings } from '../../shared/config';
import { mintLinkToken } from '../../shared/notify/approval-links';
import { eventually, readJson } from '../helpers/devhost';
import { type DirectoryHost, ROLE_BASE, startDirectoryHost, V1 } from '../helpers/directory-client';
import { type HttpTarget, type ReceivedRequest, reservePort, startHttpTarget } from '../helpers/http-target';
import { ACTIONS, ROLE_IDS } from '../helpers/seeds';
import { type ReceivedMail, type SmtpSink, startSmtpSink } from '../helpers/smtp-sink';

const { alex, adele, other } = DEMO_USERS;
const REQUESTS = `${ROLE_BASE}/roleAssignmentScheduleRequests`;
const POLICY = `${V1}/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}`;
const LINK_KEY = randomBytes(32).toString('base64');
const CHAT_SECRET = randomBytes(24).toString('hex');
const CONNECTOR_SECRET = 'connector-secret-0123456789';
const SUBSCRIBER_SECRET = 'subscriber-secret-0123456789';
const ADMINS = 'pim-admins@contoso.example';

let api: DirectoryHost;
let smtp: SmtpSink;
let target: HttpTarget;
let subscriber: HttpTarget;

beforeAll(async () => {
  [smtp, target, subscriber] = await Promise.all([startSmtpSink(), startHttpTarget(), startHttpTarget()]);
  api = await startDirectoryHost('Notify', {
    DEMO_DATA: 'true',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    MAIL_FROM: 'PIM <pim@contoso.example>',
    NOTIFY_ADMIN_EMAILS: ADMINS,
    PUBLIC_BASE_URL: 'https://pim.contoso.example',
    APPROVAL_LINK_KEY: LINK_KEY,
    APPROVAL_LINK_TTL_MINUTES: '60',
    APPROVAL_WEBHOOK_SECRETS: `chatops:${CHAT_SECRET}`,
    NOTIFY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_TIMEOUT_MS: '500',
    WEBHOOK_RETRY_FIRST_MS: '60000',
    WEBHOOK_RETRY_ATTEMPTS: '3',
  });
  // The test mints its own links (someone else's, the requester's) with the host's key.
  process.env.APPROVAL_LINK_KEY = LINK_KEY;
  resetSettings();
}, 60_000);

afterAll(async () => {
  if (process.env.NOTIFY_DEBUG) console.log(api?.host.output().slice(-20000));
  await api?.stop();
  await Promise.all([smtp?.stop(), target?.stop(), subscriber?.stop()]);
});

// ---- helpers ------------------------------------------------------------------------------

async function call(user: DemoUserKey | undefined, method: string, url: string, body?: unknown) {
  return api.call(user, method, url, body === undefined ? {} : { body });
}

async function expectStatus(user: DemoUserKey, method: string, url: string, status: number, body?: unknown) {
  const res = await call(user, method, url, body);
  expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBe(status);
  return res.body;
}

async function setApproval(required: boolean, approverIds: string[] = [adele.id]): Promise<void> {
  const policy = await expectStatus('megan', 'GET', POLICY, 200);
  const rule = policy.rules.find((r: { id: string }) => r.id === 'Approval_EndUser_Assignment');
  const stage = rule.setting.approvalStages[0];
  const primaryApprovers = approverIds.map((userId) => ({
    '@odata.type': '#microsoft.graph.singleUser',
    userId,
  }));
  await expectStatus('megan', 'PATCH', `${POLICY}/rules/Approval_EndUser_Assignment`, 200, {
    ...rule,
    setting: {
      ...rule.setting,
      isApprovalRequired: required,
      approvalStages: [{ ...stage, primaryApprovers }],
    },
  });
}

async function activate(): Promise<string> {
  const created = await expectStatus('alex', 'POST', REQUESTS, 201, {
    action: 'selfActivate',
    principalId: alex.id,
    roleDefinitionId: ROLE_IDS.securityReader,
    directoryScopeId: '/',
    justification: 'Phishing wave <script>alert(1)</script>',
    ticketInfo: { ticketNumber: 'INC-4711', ticketSystem: 'ServiceNow' },
    scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT8H' } },
  });
  return created.id;
}

async function deactivate(): Promise<void> {
  await expectStatus('alex', 'POST', REQUESTS, 201, {
    action: 'selfDeactivate',
    principalId: alex.id,
    roleDefinitionId: ROLE_IDS.securityReader,
    directoryScopeId: '/',
  });
}

const statusOf = (id: string, wanted: string) =>
  eventually(async () => {
    const r = await call('alex', 'GET', `${REQUESTS}/${id}`);
    return r.body.status === wanted ? r.body : undefined;
  }, 15_000);

async function canRead(): Promise<boolean> {
  const res = await call('alex', 'POST', `${V1}/access/check`, { action: ACTIONS.readSecurity, scope: '/' });
  return res.body.allowed;
}

/** The approve and deny links of the mail Adele got about `requestId`, as paths on the test host. */
async function linksFor(requestId: string): Promise<{ mail: ReceivedMail; approve: string; deny: string }> {
  const mail = await smtp.waitFor(
    (m) => m.to.includes(adele.userPrincipalName) && m.text.includes(requestId),
  );
  const path = (label: string) => {
    const url = new RegExp(`${label}: (https://pim\\.contoso\\.example\\S+)`).exec(mail.text)?.[1];
    if (!url) throw new Error(`no ${label} link in:\n${mail.text}`);
    return new URL(url).pathname;
  };
  return { mail, approve: path('Approve'), deny: path('Deny') };
}

async function openLink(
  path: string,
  method = 'GET',
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${api.baseUrl}${path}`, { method, ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const approvalStep = async (approvalId: string) =>
  (await expectStatus('adele', 'GET', `${ROLE_BASE}/roleAssignmentApprovals/${approvalId}`, 200)).stages[0];

function verifies(r: ReceivedRequest, secret: string): boolean {
  const ts = String(r.headers['x-jit-timestamp']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`;
  return r.headers['x-jit-signature'] === expected;
}

async function auditOf(
  requestId: string,
): Promise<
  { activityDisplayName: string; result: string; additionalDetails: { key: string; value: string }[] }[]
> {
  const filter = encodeURIComponent(`correlationId eq '${requestId}'`);
  return (
    await expectStatus('megan', 'GET', `${V1}/auditLogs/directoryAudits?$filter=${filter}&$top=999`, 200)
  ).value;
}

const auditHas = (requestId: string, activity: string) =>
  eventually(async () => {
    const rows = await auditOf(requestId);
    return rows.find((r) => r.activityDisplayName === activity);
  }, 15_000);

/** Moves the clock until `probe` holds: each move fires the durable retry timers that are due. */
async function advanceUntil<T>(probe: () => Promise<T | undefined>, step = 'PT3M'): Promise<T> {
  for (let i = 0; i < 20; i++) {
    const found = await eventually(probe, 1_000).catch(() => undefined);
    if (found !== undefined) return found;
    await api.advanceClock(step);
  }
  throw new Error('condition not met after moving the clock 20 times');
}

// ---- the tests ------------------------------------------------------------------------------

describe('notifications, approvals from mail and chat, grant connectors', () => {
  let connectorId: string;

  it('an approver approves from the link in a mail; the target system sees the grant and, after the window, the revoke', async () => {
    const connector = await expectStatus('megan', 'POST', `${V1}/grantConnectors`, 201, {
      displayName: 'Threat Explorer',
      roleDefinitionId: ROLE_IDS.securityReader,
      url: `${target.url}/pim`,
      secret: CONNECTOR_SECRET,
    });
    connectorId = connector.id;
    expect(JSON.stringify(connector)).not.toContain(CONNECTOR_SECRET);
    const subscription = await expectStatus('megan', 'POST', `${V1}/notificationSubscriptions`, 201, {
      url: `${subscriber.url}/events?code=capability-token`,
      events: ['activationRequested', 'activated', 'expired'],
      secret: SUBSCRIBER_SECRET,
    });
    expect(subscription.url).toBe(`${subscriber.url}/…`); // neither the path nor the secret comes back
    expect(JSON.stringify(subscription)).not.toContain(SUBSCRIBER_SECRET);
    await expectStatus('megan', 'POST', `${V1}/notificationSubscriptions`, 201, {
      url: `${subscriber.url}/teams`,
      events: ['activated'],
      secret: SUBSCRIBER_SECRET,
      format: 'teams',
    });
    await setApproval(true);

    const id = await activate();
    await statusOf(id, 'PendingApproval');
    const { mail, approve, deny } = await linksFor(id);
    expect(mail.subject).toBe('PIM: Approval needed: Alex Wilber requests Security Reader');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');

    // Opening the link (what a mail scanner does too) shows a page and decides nothing.
    const page = await openLink(approve, 'GET', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.text).toContain('Approve this request?');
    expect(page.text).toContain('Alex Wilber');
    expect(page.text).toContain('&lt;script&gt;');
    expect((await approvalStep(id)).status).toBe('InProgress');
    expect(await canRead()).toBe(false);

    // Pressing the button posts the form: approved, granted, and the target system hears of it.
    const decided = await openLink(approve, 'POST', {
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'justification=Known+incident',
    });
    expect(decided.status).toBe(200);
    expect(decided.text).toContain('Approved');
    await statusOf(id, 'Provisioned');
    expect(await canRead()).toBe(true);
    const step = await approvalStep(id);
    expect(step).toMatchObject({ reviewResult: 'Approve', justification: 'Known incident' });
    expect(step.reviewedBy.id).toBe(adele.id);

    const grant = await target.waitFor((r) => r.json?.requestId === id && r.json.action === 'grant');
    expect(grant.headers['idempotency-key']).toBe(`${id}:grant`);
    expect(verifies(grant, CONNECTOR_SECRET)).toBe(true);
    expect(grant.json).toMatchObject({
      principal: { id: alex.id, userPrincipalName: alex.userPrincipalName },
      target: { kind: 'role', roleDefinitionId: ROLE_IDS.securityReader, displayName: 'Security Reader' },
    });
    expect(Date.parse(grant.json.endDateTime) - Date.parse(grant.json.startDateTime)).toBe(8 * 3_600_000);

    // A link works once; the other link of the pair finds the step decided.
    const again = await openLink(approve, 'POST');
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text).error.code).toBe('ApprovalLinkAlreadyUsed');
    const other = await openLink(deny, 'POST', {
      body: '{"justification":"no"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(other.status).toBe(409);
    expect(JSON.parse(other.text).error.code).toBe('ApprovalStepAlreadyDecided');

    // Alex hears the outcome; the admins hear who activated what, why, and for how long.
    await smtp.waitFor((m) => m.to.includes(alex.userPrincipalName) && /was approved$/.test(m.subject));
    await smtp.waitFor((m) => m.to.includes(alex.userPrincipalName) && /is active until/.test(m.subject));
    const admins = await smtp.waitFor((m) => m.to.includes(ADMINS) && m.text.includes(id));
    expect(admins.subject).toBe('PIM: Alex Wilber activated Security Reader');
    expect(admins.text).toContain('Justification: Phishing wave <script>alert(1)</script>');
    expect(admins.text).toContain('Ticket: ServiceNow INC-4711');
    expect(admins.text).toMatch(/Window: .+ UTC - .+ UTC/);

    // Subscribers get signed events; the Teams subscription gets a card its webhook accepts.
    const requested = await subscriber.waitFor(
      (r) => r.json?.event === 'activationRequested' && r.json.requestId === id,
    );
    expect(verifies(requested, SUBSCRIBER_SECRET)).toBe(true);
    expect(requested.path).toBe('/events?code=capability-token');
    expect(JSON.stringify(requested.json)).not.toContain('approvalLinks'); // links go only to approvers
    const card = await subscriber.waitFor((r) => r.path === '/teams' && r.json?.title?.includes('activated'));
    expect(card.json).toMatchObject({
      '@type': 'MessageCard',
      title: 'Alex Wilber activated Security Reader',
    });

    // Two hours in, Alex extends by eight hours (no approval for extensions in this policy): the
    // target system hears the grant again with its new end, under its own idempotency key.
    await api.advanceClock('PT2H');
    await expectStatus('alex', 'POST', REQUESTS, 201, {
      action: 'selfActivate',
      principalId: alex.id,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      justification: 'The wave goes on',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT8H' } },
    });
    const extend = await target.waitFor((r) => r.json?.requestId === id && r.json.action === 'extend');
    expect(verifies(extend, CONNECTOR_SECRET)).toBe(true);
    const movedBy = Date.parse(extend.json.endDateTime) - Date.parse(grant.json.endDateTime);
    expect(movedBy).toBeGreaterThanOrEqual(2 * 3_600_000); // the clock moved 2 h, plus the calls' own time
    expect(movedBy).toBeLessThan(2 * 3_600_000 + 60_000);
    expect(extend.headers['idempotency-key']).toBe(`${id}:extend-${Date.parse(extend.json.endDateTime)}`);

    // Eight hours after that: access ends to the second, the target system hears the revoke.
    await api.advanceClock('PT8H');
    expect(await canRead()).toBe(false);
    const revoke = await target.waitFor((r) => r.json?.requestId === id && r.json.action === 'revoke');
    expect(revoke.headers['idempotency-key']).toBe(`${id}:revoke`);
    expect(revoke.json.reason).toBe('expired');
    expect(verifies(revoke, CONNECTOR_SECRET)).toBe(true);
    await statusOf(id, 'Expired');
    await smtp.waitFor((m) => m.to.includes(alex.userPrincipalName) && /has ended$/.test(m.subject));

    // Every mail, delivery and connector call is in the request's audit trail, without secrets.
    await auditHas(id, 'Grant connector revoke delivered');
    await auditHas(id, 'Notification sent (webhook)');
    const rows = await auditOf(id);
    const names = rows.map((r) => r.activityDisplayName);
    expect(names).toEqual(
      expect.arrayContaining([
        'Add member to role request approved (PIM activation)',
        'Notification sent (mail)',
        'Grant connector grant delivered',
      ]),
    );
    const text = JSON.stringify(rows);
    for (const secret of [
      CONNECTOR_SECRET,
      SUBSCRIBER_SECRET,
      'capability-token',
      'approvalLinks',
      'sha256=',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('refuses tampered, expired, reused, foreign and self-approval links, and changes nothing', async () => {
    const id = await activate();
    await statusOf(id, 'PendingApproval');
    const { approve, deny } = await linksFor(id);
    const token = approve.split('/').pop() ?? '';
    const step = await approvalStep(id);
    const expectRefused = async (
      path: string,
      status: number,
      code: string,
      headers: Record<string, string> = {},
    ) => {
      const res = await openLink(path, 'POST', {
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"justification":"x"}',
      });
      expect(res.status, res.text).toBe(status);
      expect(JSON.parse(res.text).error.code).toBe(code);
    };

    const tampered = `${token.slice(0, -3)}${token.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}`;
    await expectRefused(`${V1}/approvalLinks/${tampered}`, 401, 'InvalidApprovalLink');
    expect((await openLink(`${V1}/approvalLinks/${tampered}`)).status).toBe(401);
    expect(
      (await openLink(`${V1}/approvalLinks/not-a-token`, 'GET', { headers: { accept: 'text/html' } })).text,
    ).toContain('This link cannot be used');
    const mint = async (approverId: string) =>
      mintLinkToken(
        { approverId, approvalId: id, stepId: step.id, decision: 'Approve' },
        await api.hostNow(),
        new Date(Date.now() + 864e5),
      );
    await expectRefused(`${V1}/approvalLinks/${await mint(alex.id)}`, 403, 'Authorization_RequestDenied');
    await expectRefused(`${V1}/approvalLinks/${await mint(other.id)}`, 403, 'Authorization_RequestDenied');
    // Adele's link in Megan's signed-in browser: not hers to use.
    const asMegan = await api.call('megan', 'POST', approve, { body: { justification: 'x' } });
    expect(asMegan.status).toBe(403);
    // The policy wants the approver's justification: refused, and the link is not spent.
    const bare = await openLink(approve, 'POST');
    expect(bare.status).toBe(400);
    expect((await approvalStep(id)).status).toBe('InProgress');
    expect((await call('alex', 'GET', `${REQUESTS}/${id}`)).body.status).toBe('PendingApproval');

    // Adele denies; the approve link is then useless, and the deny link cannot be used twice.
    expect(
      (
        await openLink(deny, 'POST', {
          headers: { 'content-type': 'application/json' },
          body: '{"justification":"Not during the freeze"}',
        })
      ).status,
    ).toBe(200);
    await statusOf(id, 'Denied');
    await expectRefused(approve, 409, 'ApprovalStepAlreadyDecided');
    await expectRefused(deny, 409, 'ApprovalLinkAlreadyUsed');
    const denied = await smtp.waitFor(
      (m) => m.to.includes(alex.userPrincipalName) && /was denied$/.test(m.subject),
    );
    expect(denied.text).toContain("Approver's justification: Not during the freeze");
    expect(await canRead()).toBe(false);

    // A link outlives neither its lifetime (60 minutes here) nor its approval.
    const late = await activate();
    await statusOf(late, 'PendingApproval');
    const { approve: lateLink } = await linksFor(late);
    await api.advanceClock('PT61M');
    await expectRefused(lateLink, 401, 'ApprovalLinkExpired');
    expect((await approvalStep(late)).status).toBe('InProgress');
    await expectStatus('alex', 'POST', `${REQUESTS}/${late}/cancel`, 204);
    await statusOf(late, 'Canceled');
  });

  it('lets a chat tool decide through the signed webhook, with the portal’s rules', async () => {
    const id = await activate();
    await statusOf(id, 'PendingApproval');
    const send = async (
      decision: Record<string, unknown>,
      opts: { integration?: string; secret?: string; skewS?: number } = {},
    ) => {
      const body = JSON.stringify(decision);
      const ts = String(Math.floor((await api.hostNow()).getTime() / 1000) + (opts.skewS ?? 0));
      const sig = `sha256=${createHmac('sha256', opts.secret ?? CHAT_SECRET)
        .update(`${ts}.${body}`)
        .digest('hex')}`;
      const headers = {
        'content-type': 'application/json',
        'x-jit-integration': opts.integration ?? 'chatops',
        'x-jit-timestamp': ts,
        'x-jit-signature': sig,
      };
      const res = await fetch(`${api.baseUrl}${V1}/approvals/webhook`, { method: 'POST', headers, body });
      return {
        status: res.status,
        body: await readJson(res),
        headers,
        raw: body,
        www: res.headers.get('www-authenticate'),
      };
    };
    const approve = {
      approvalId: id,
      approverId: adele.id,
      reviewResult: 'approve',
      justification: 'ok from chat',
    };

    const unknown = await send(approve, { integration: 'slack' });
    expect([unknown.status, unknown.body.error.code]).toEqual([401, 'InvalidWebhookSignature']);
    expect(unknown.www).toMatch(/^HMAC-SHA256/);
    expect((await send(approve, { secret: 'a-guessed-secret-value' })).status).toBe(401);
    expect((await send(approve, { skewS: -400 })).status).toBe(401);
    expect((await send({ ...approve, approverId: other.id })).status).toBe(403);
    expect((await send({ ...approve, approverId: alex.id })).status).toBe(403);
    expect((await send({ ...approve, reviewResult: 'maybe' })).status).toBe(400);
    expect((await approvalStep(id)).status).toBe('InProgress');

    const ok = await send(approve);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ reviewResult: 'Approve', reviewedBy: { id: adele.id } });
    await statusOf(id, 'Provisioned');
    // The same message again is a replay; a fresh one finds the step decided, as in the portal.
    const replay = await fetch(`${api.baseUrl}${V1}/approvals/webhook`, {
      method: 'POST',
      headers: ok.headers,
      body: ok.raw,
    });
    expect(replay.status).toBe(409);
    expect((await readJson(replay)).error.code).toBe('ReplayedRequest');
    const late = await send({ ...approve, reviewResult: 'Deny' });
    expect([late.status, late.body.error.code]).toEqual([409, 'ApprovalStepAlreadyDecided']);
    // Published a moment after the answer.
    const decision = await eventually(async () =>
      (await auditOf(id)).find(
        (r) => r.activityDisplayName === 'Add member to role request approved (PIM activation)',
      ),
    );
    expect(JSON.stringify(decision)).toContain('webhook:chatops');

    await deactivate();
    await statusOf(id, 'Revoked');
    await target.waitFor((r) => r.json?.requestId === id && r.json.action === 'revoke');
  });

  it('keeps grants and revokes on time while target systems are slow, down, or failing, and alerts the admins', async () => {
    await setApproval(false);
    await expectStatus('megan', 'DELETE', `${V1}/grantConnectors/${connectorId}`, 204);
    await expectStatus('megan', 'GET', `${V1}/grantConnectors/${connectorId}`, 404);
    // A subscriber that is down must not hold anything up either.
    const deadPort = await reservePort();
    await expectStatus('megan', 'POST', `${V1}/notificationSubscriptions`, 201, {
      url: `http://127.0.0.1:${deadPort}/down`,
      events: ['activated'],
      secret: SUBSCRIBER_SECRET,
    });

    // Slow: the first grant call outlasts the timeout, the retry gets through; revokes keep failing.
    const flaky = await startHttpTarget((r, n) =>
      r.json?.action === 'revoke' ? { status: 500 } : { status: 200, delayMs: n === 1 ? 3_000 : 0 },
    );
    const lateUpPort = await reservePort();
    try {
      const slow = await expectStatus('megan', 'POST', `${V1}/grantConnectors`, 201, {
        displayName: 'Flaky target',
        roleDefinitionId: ROLE_IDS.securityReader,
        url: `${flaky.url}/grants`,
        secret: CONNECTOR_SECRET,
      });
      // Down, then up: nothing listens on this port until the test starts a server there.
      await expectStatus('megan', 'POST', `${V1}/grantConnectors`, 201, {
        displayName: 'Late target',
        roleDefinitionId: ROLE_IDS.securityReader,
        url: `http://127.0.0.1:${lateUpPort}/grants`,
        secret: CONNECTOR_SECRET,
      });

      const id = await activate();
      // Granted at once, whatever the targets and subscribers do.
      await statusOf(id, 'Provisioned');
      expect(await canRead()).toBe(true);
      await auditHas(id, 'Notification attempt failed (webhook)');
      await eventually(async () => {
        const rows = await auditOf(id);
        return rows.filter((r) => r.activityDisplayName === 'Grant connector grant attempt failed').length >=
          2
          ? true
          : undefined;
      });

      const lateUp = await startHttpTarget(() => ({ status: 200 }), lateUpPort);
      try {
        // Retries come on durable timers: moving the clock brings them on.
        const grants = await advanceUntil(async () => {
          const a = flaky.requests.filter((r) => r.json?.requestId === id && r.json.action === 'grant');
          const b = lateUp.requests.filter((r) => r.json?.requestId === id && r.json.action === 'grant');
          return a.length >= 2 && b.length >= 1 ? { a, b } : undefined;
        });
        // The slow target saw the same change twice, under one idempotency key.
        expect(new Set(grants.a.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`${id}:grant`]));
        expect(grants.b[0].headers['idempotency-key']).toBe(`${id}:grant`);

        // Deactivation: access ends now, whatever the targets say.
        await deactivate();
        await statusOf(id, 'Revoked');
        expect(await canRead()).toBe(false);
        await lateUp.waitFor((r) => r.json?.requestId === id && r.json.action === 'revoke');

        // The flaky target refuses every revoke: after the last retry an alert, and a mail to the admins.
        const alert = await advanceUntil(async () => {
          const alerts = await expectStatus('megan', 'GET', `${V1}/grantConnectorAlerts`, 200);
          return alerts.value.find((a: { requestId: string }) => a.requestId === id);
        });
        expect(alert).toMatchObject({
          alertType: 'ConnectorRevokeFailed',
          connectorId: slow.id,
          connectorDisplayName: 'Flaky target',
          error: 'the receiver answered HTTP 500',
        });
        expect(
          flaky.requests.filter((r) => r.json?.requestId === id && r.json.action === 'revoke'),
        ).toHaveLength(3);
        const mail = await smtp.waitFor(
          (m) => m.to.includes(ADMINS) && m.subject.startsWith('PIM: Alert: connector'),
        );
        expect(mail.subject).toBe(
          'PIM: Alert: connector Flaky target could not revoke Security Reader for Alex Wilber',
        );
        expect(await canRead()).toBe(false);
        await auditHas(id, 'Grant connector revoke failed: alert raised');
        await advanceUntil(() => auditHas(id, 'Notification not delivered (webhook)'));
        expect((await expectStatus('reader', 'GET', `${V1}/grantConnectorAlerts`, 403)).error.code).toBe(
          'Authorization_RequestDenied',
        );
      } finally {
        await lateUp.stop();
      }
    } finally {
      await flaky.stop();
    }
  });
});

describe('eligibility notices', () => {
  it("tell the person and the admins of an admin's active assignment, and the other approvers an outcome", async () => {
    const url = `${ROLE_BASE}/roleAssignmentScheduleRequests`;
    const body = {
      principalId: other.id,
      roleDefinitionId: ROLE_IDS.globalReader,
      directoryScopeId: '/',
      justification: 'Audit season',
    };
    await expectStatus('megan', 'POST', url, 201, {
      ...body,
      action: 'adminAssign',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P7D' } },
    });
    const mine = await advanceUntil(
      async () =>
        smtp.mails.find(
          (m) =>
            m.to.includes(other.userPrincipalName) &&
            m.subject === 'PIM: You were assigned Global Reader (active)',
        ),
      'PT1M',
    );
    expect(mine.text).toContain('Justification: Audit season');
    await smtp.waitFor(
      (m) =>
        m.to.includes(ADMINS) &&
        m.subject === 'PIM: Alert: Lee Gu was assigned Global Reader (active, outside activation)',
    );
    await expectStatus('megan', 'POST', url, 201, { ...body, action: 'adminRemove' });
    await advanceUntil(
      async () =>
        smtp.mails.find(
          (m) =>
            m.to.includes(other.userPrincipalName) &&
            m.subject === 'PIM: Your active assignment of Global Reader was removed',
        ),
      'PT1M',
    );

    // Two approvers; Adele decides, and Megan learns the outcome (with no links left to press).
    await setApproval(true, [adele.id, DEMO_USERS.megan.id]);
    try {
      const id = await activate();
      await statusOf(id, 'PendingApproval');
      const step = await approvalStep(id);
      await expectStatus(
        'adele',
        'PATCH',
        `${REQUESTS.replace('roleAssignmentScheduleRequests', 'roleAssignmentApprovals')}/${id}/stages/${step.id}`,
        204,
        {
          reviewResult: 'Approve',
          justification: 'Known incident',
        },
      );
      const outcome = await smtp.waitFor(
        (m) =>
          m.to.includes(DEMO_USERS.megan.userPrincipalName) && /was approved by Adele Vance$/.test(m.subject),
      );
      expect(outcome.subject).toBe(
        "PIM: Alex Wilber's request for Security Reader was approved by Adele Vance",
      );
      expect(outcome.text).not.toContain('/approvalLinks/');
      expect(
        smtp.mails.filter((m) => m.to.includes(adele.userPrincipalName) && /was approved by/.test(m.subject)),
      ).toEqual([]);
      await deactivate();
      await statusOf(id, 'Revoked');
    } finally {
      await setApproval(false);
    }
  });

  it("mails whom the policy's Notification_* rules name: extra recipients, defaults off, level None", async () => {
    const rules = `${POLICY}/rules`;
    const requestor = await expectStatus(
      'megan',
      'GET',
      `${rules}/Notification_Requestor_EndUser_Assignment`,
      200,
    );
    const admin = await expectStatus('megan', 'GET', `${rules}/Notification_Admin_EndUser_Assignment`, 200);
    await expectStatus('megan', 'PATCH', `${rules}/${requestor.id}`, 200, {
      ...requestor,
      isDefaultRecipientsEnabled: false,
      notificationRecipients: ['soc-lead@contoso.example'],
    });
    await expectStatus('megan', 'PATCH', `${rules}/${admin.id}`, 200, {
      ...admin,
      notificationLevel: 'None',
    });
    try {
      const id = await activate();
      await statusOf(id, 'Provisioned');
      const to = (who: string, subject: RegExp) => (m: ReceivedMail) =>
        m.to.includes(who) && subject.test(m.subject);
      const lead = await smtp.waitFor(to('soc-lead@contoso.example', /is active until/));
      expect(lead.subject).toMatch(/^PIM: Security Reader is active until/);
      await deactivate();
      await statusOf(id, 'Revoked');
      // The deactivation's mail goes out after the activation's: by then any mail to Alex or the
      // admins about this activation would have gone too.
      await smtp.waitFor(to('soc-lead@contoso.example', /was deactivated$/));
      // Every mail about this activation (each is an audit row under its id) went to the SOC lead only.
      const recipients = await eventually(async () => {
        const sent = (await auditOf(id))
          .filter((r) => r.activityDisplayName === 'Notification sent (mail)')
          .map((r) => r.additionalDetails.find((d: { key: string }) => d.key === 'Recipients')?.value);
        return sent.length >= 2 ? sent : undefined;
      });
      expect(new Set(recipients)).toEqual(new Set(['soc-lead@contoso.example']));
    } finally {
      await expectStatus('megan', 'PATCH', `${rules}/${requestor.id}`, 200, requestor);
      await expectStatus('megan', 'PATCH', `${rules}/${admin.id}`, 200, admin);
    }
  });

  it('tell the person and the admins when an admin makes them eligible, and when that ends', async () => {
    const url = `${ROLE_BASE}/roleEligibilityScheduleRequests`;
    const body = {
      principalId: other.id,
      roleDefinitionId: ROLE_IDS.globalReader,
      directoryScopeId: '/',
      justification: 'On call <next week>',
    };
    await expectStatus('megan', 'POST', url, 201, {
      ...body,
      action: 'adminAssign',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    });
    // Read from the audit log by a timer each minute: the clock brings it on.
    const assigned = await advanceUntil(
      async () =>
        smtp.mails.find(
          (m) =>
            m.to.includes(other.userPrincipalName) && m.subject === 'PIM: You are eligible for Global Reader',
        ),
      'PT1M',
    );
    expect(assigned.text).toContain('Justification: On call <next week>');
    expect(assigned.html).toContain('On call &lt;next week&gt;');
    await smtp.waitFor(
      (m) => m.to.includes(ADMINS) && m.subject === 'PIM: Lee Gu is now eligible for Global Reader',
    );

    await expectStatus('megan', 'POST', url, 201, { ...body, action: 'adminRemove' });
    await advanceUntil(
      async () =>
        smtp.mails.find(
          (m) =>
            m.to.includes(other.userPrincipalName) &&
            m.subject === 'PIM: You are no longer eligible for Global Reader',
        ),
      'PT1M',
    );
    // Each notice once, however many timer windows saw its audit row.
    await api.advanceClock('PT2M');
    const count = (subject: string) => smtp.mails.filter((m) => m.subject === subject).length;
    await eventually(async () =>
      count('PIM: Lee Gu is no longer eligible for Global Reader') === 1 ? true : undefined,
    );
    expect(count('PIM: You are eligible for Global Reader')).toBe(1);
  });
});

describe('notification admin endpoints', () => {
  it('are for admins, validate input, and never show secrets', async () => {
    const base = `${V1}/notificationSubscriptions`;
    await expectStatus('alex', 'GET', base, 403);
    expect((await call(undefined, 'GET', base)).status).toBe(401);
    const bad = await expectStatus('megan', 'POST', base, 400, {
      url: 'ftp://x',
      events: ['nope'],
      secret: 'short',
    });
    expect(bad.error.details.map((d: { target: string }) => d.target).sort()).toEqual(['events.0', 'secret']);
    await expectStatus('megan', 'POST', base, 400, {
      url: 'https://user:pw@hooks.example.com/x',
      events: ['activated'],
      secret: SUBSCRIBER_SECRET,
    });
    const created = await expectStatus('megan', 'POST', base, 201, {
      url: 'https://hooks.slack.example/services/T000/B000/XXXX',
      events: ['denied'],
      secret: SUBSCRIBER_SECRET,
      format: 'slack',
      description: 'SecOps channel',
    });
    expect(created).toMatchObject({
      url: 'https://hooks.slack.example/…',
      format: 'slack',
      events: ['denied'],
    });
    const patched = await expectStatus('megan', 'PATCH', `${base}/${created.id}`, 200, {
      events: ['denied', 'revoked'],
    });
    expect(patched.events).toEqual(['denied', 'revoked']);
    const listed = await expectStatus('megan', 'GET', base, 200);
    expect(JSON.stringify(listed)).not.toMatch(/XXXX|subscriber-secret/);
    await expectStatus('megan', 'DELETE', `${base}/${created.id}`, 204);
    await expectStatus('megan', 'DELETE', `${base}/${created.id}`, 404);
    await expectStatus('megan', 'GET', `${base}/not-a-guid`, 404);

    const connectors = `${V1}/grantConnectors`;
    const both = await expectStatus('megan', 'POST', connectors, 400, {
      displayName: 'x',
      roleDefinitionId: randomUUID(),
      groupId: randomUUID(),
      url: 'https://target.example/pim',
      secret: CONNECTOR_SECRET,
    });
    expect(both.error.message).toContain('exactly one');
    await expectStatus('alex', 'POST', connectors, 403, {});
  });
});
