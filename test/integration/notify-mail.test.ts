// Mail notices against a real SMTP server in this process: who gets which mail, what it says (plain
// text and escaped HTML), approve/deny links that verify, a notice sent once however often it is
// asked for, and a mail server that is down reported and audited, never thrown.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { resetSettings } from '../../shared/config';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { verifyLinkToken } from '../../shared/notify/approval-links';
import { ChannelNotifier } from '../../shared/notify/channels';
import { resetMail } from '../../shared/notify/mail';
import type { Notice } from '../../shared/notify/notifier';
import { services } from '../../shared/services';
import { reservePort } from '../helpers/http-target';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink';

const { alex, adele, megan } = DEMO_USERS;
const EVIL = '<img src=x onerror=alert(1)> & "quotes"';
let smtp: SmtpSink;

function useSmtpPort(port: number): void {
  process.env.SMTP_PORT = String(port);
  resetSettings();
  resetMail();
}

beforeAll(async () => {
  smtp = await startSmtpSink();
  Object.assign(process.env, {
    AzureWebJobsStorage: inject('storageConnectionString'),
    TABLE_PREFIX: 'NotifyMail',
    SMTP_HOST: '127.0.0.1',
    MAIL_FROM: 'PIM <pim@contoso.example>',
    APPROVAL_LINK_KEY: randomBytes(32).toString('base64'),
    PUBLIC_BASE_URL: 'https://pim.contoso.example',
    BOOTSTRAP_ADMIN_IDS: megan.id,
  });
  useSmtpPort(smtp.port);
  const s = services();
  await s.startup();
  for (const u of [alex, adele, megan]) {
    await s.users.ensureUser({
      id: u.id,
      displayName: u.displayName,
      userPrincipalName: u.userPrincipalName,
    });
  }
});
afterAll(async () => {
  resetMail();
  await smtp?.stop();
});

/** A request for Security Reader waiting for Adele's approval, with a hostile justification. */
function pendingRequest(): { id: string; stepId: string } {
  const id = randomUUID();
  return { id, stepId: `${id}-1` };
}

/** A notice as the activation service commits it: the request's facts travel with it. */
const notice = (id: string, event: Notice['event'], extra: Partial<Notice> = {}): Notice => ({
  event,
  subjectId: id,
  principalId: alex.id,
  targetDisplayName: 'Security Reader',
  target: { kind: 'role', roleDefinitionId: BuiltInRoleId.securityReader, directoryScopeId: '/' },
  at: new Date().toISOString(),
  justification: EVIL,
  ticketNumber: 'INC-4711',
  request: {
    startDateTime: new Date().toISOString(),
    ticketSystem: 'ServiceNow',
    approval: {
      id,
      stepId: `${id}-1`,
      expiresDateTime: new Date(Date.now() + 86_400_000).toISOString(),
      approverIds: [adele.id, alex.id],
      reviewJustification: null,
    },
  },
  ...extra,
});

describe('mail notices over SMTP', () => {
  const notifier = new ChannelNotifier();

  it('asks the approvers (never the requester) with approve and deny links bound to them', async () => {
    const { id, stepId } = pendingRequest();
    const reports = await notifier.send(notice(id, 'activationRequested'));
    expect(reports).toEqual([{ channel: 'mail', delivered: true }]);
    const mail = await smtp.waitFor((m) => m.text.includes(id) && m.to.includes(adele.userPrincipalName));
    expect(smtp.mails.filter((m) => m.text.includes(id))).toHaveLength(1); // Alex is listed but gets none
    expect(mail.from).toBe('pim@contoso.example');
    expect(mail.subject).toBe('PIM: Approval needed: Alex Wilber requests Security Reader');
    expect(mail.text).toContain('Ticket: ServiceNow INC-4711');
    expect(mail.text).toContain(`Justification: ${EVIL}`);
    // HTML: the justification is text, not markup.
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');

    const approve = /Approve: (https:\/\/pim\.contoso\.example\/api\/v1\.0\/approvalLinks\/(\S+))/.exec(
      mail.text,
    );
    const deny = /Deny: https:\/\/\S+\/approvalLinks\/(\S+)/.exec(mail.text);
    expect(approve && deny).toBeTruthy();
    expect(mail.html).toContain(`href="${approve?.[1]}"`);
    const a = await verifyLinkToken(approve?.[2] ?? '', new Date());
    const d = await verifyLinkToken(deny?.[1] ?? '', new Date());
    expect(a).toMatchObject({ approverId: adele.id, approvalId: id, stepId, decision: 'Approve' });
    expect(d).toMatchObject({ approverId: adele.id, approvalId: id, stepId, decision: 'Deny' });
  });

  it('tells the requester and the admins about an activation: who, role, scope, justification, ticket, window', async () => {
    const { id } = pendingRequest();
    const end = new Date(Date.now() + 8 * 3_600_000).toISOString();
    await notifier.send(notice(id, 'activated', { endDateTime: end }));
    const toAdmins = await smtp.waitFor((m) => m.text.includes(id) && m.to.includes(megan.userPrincipalName));
    expect(toAdmins.subject).toBe('PIM: Alex Wilber activated Security Reader');
    for (const line of ['Who: Alex Wilber <alexw@contoso.example>', 'Role: Security Reader', 'Scope: /']) {
      expect(toAdmins.text).toContain(line);
    }
    expect(toAdmins.text).toMatch(
      /Window: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
    );
    expect(toAdmins.text).toContain('Ticket: ServiceNow INC-4711');
    const toAlex = await smtp.waitFor((m) => m.subject.startsWith('PIM: Security Reader is active until'));
    expect(toAlex.to).toEqual([alex.userPrincipalName]);
  });

  it('sends a notice once, however often it is asked for (an activity re-run)', async () => {
    const { id } = pendingRequest();
    await notifier.send(notice(id, 'denied', { by: adele.id }));
    await notifier.send(notice(id, 'denied', { by: adele.id }));
    const mail = await smtp.waitFor((m) => m.subject === 'PIM: Your request for Security Reader was denied');
    expect(mail.text).toContain('Adele Vance denied your request');
    expect(smtp.mails.filter((m) => m.subject === mail.subject)).toHaveLength(1);
  });

  it('reports and audits a mail server that is down, without throwing', async () => {
    const { id } = pendingRequest();
    useSmtpPort(await reservePort());
    try {
      const reports = await notifier.send(notice(id, 'expired'));
      expect(reports).toEqual([
        { channel: 'mail', delivered: false, error: expect.stringMatching(/ECONNREFUSED|connect/i) },
      ]);
    } finally {
      useSmtpPort(smtp.port);
    }
    const rows = await services().stores.audit.query({ criteria: { correlationId: id }, top: 50 });
    const failed = rows.items.find((r) => r.activityDisplayName === 'Notification attempt failed (mail)');
    expect(failed).toMatchObject({ result: 'failure' });
    expect(failed?.additionalDetails).toEqual(
      expect.arrayContaining([{ key: 'Recipients', value: alex.userPrincipalName }]),
    );
    expect(JSON.stringify(rows.items)).not.toMatch(/approvalLinks|sha256=|APPROVAL_LINK_KEY/);
  });
});
