// A PIM alert raised by an evaluation whose host dies before the notice went out (kill -9 at
// `alerts:afterRaise`): the raise and its audit row are committed together; the next evaluation after
// the grace period sends the notice, and only once, however many evaluations follow.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { CrashHost } from '../helpers/crash-host';
import { eventually } from '../helpers/devhost';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink';

const BASE = '/api/v1.0/identityGovernance/roleManagementAlerts';
const TOO_MANY = 'DirectoryRole_TooManyGlobalAdminsAssignedToTenantAlert';
const ADMINS = 'pim-admins@contoso.example';

let h: CrashHost;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await startSmtpSink();
  h = new CrashHost(`AlertsCrash${Date.now() % 100_000}`, {
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    NOTIFY_ADMIN_EMAILS: ADMINS,
  });
  await h.start();
}, 60_000);

afterAll(async () => {
  await Promise.all([h?.stop(), smtp?.stop()]);
});

const mails = () => smtp.mails.filter((m) => m.to.includes(ADMINS) && m.subject.includes('too many global'));

it('sends the notice of an alert raised just before a crash once, after the restart', async () => {
  await h.expect(200, 'megan', 'PATCH', `${BASE}/alertConfigurations/${TOO_MANY}`, {
    body: { globalAdminCountThreshold: 1, percentageOfGlobalAdminsOutOfRolesThreshold: 10 },
  });
  for (const who of [DEMO_USERS.other, DEMO_USERS.adele]) {
    await h.expect(
      201,
      'megan',
      'POST',
      '/api/v1.0/roleManagement/directory/roleEligibilityScheduleRequests',
      {
        body: {
          action: 'adminAssign',
          principalId: who.id,
          roleDefinitionId: BuiltInRoleId.globalAdministrator,
          directoryScopeId: '/',
          justification: 'crash test',
          scheduleInfo: { expiration: { type: 'noExpiration' } },
        },
      },
    );
  }
  await h.arm('alerts:afterRaise');
  expect(await h.call('megan', 'POST', `${BASE}/alerts/${TOO_MANY}/refresh`)).toBe('died');
  await h.restartAfterDeath('alerts:afterRaise');

  const raised = await h.expect(200, 'megan', 'GET', `${BASE}/alerts/${TOO_MANY}`);
  expect(raised).toMatchObject({ isActive: true, incidentCount: 2 });
  expect(mails()).toHaveLength(0);
  // Within the grace period another evaluation leaves the notice to the (dead) raiser; after it, sends it.
  await h.expect(204, 'megan', 'POST', `${BASE}/alerts/${TOO_MANY}/refresh`);
  // Past the grace period and past the top of an hour, so that the hourly timer's evaluation runs
  // beside this refresh: of the two, one sends.
  const now = await h.now();
  const toNextHour = 60 - now.getUTCMinutes() + 1;
  await h.advance(`PT${Math.max(10, toNextHour)}M`);
  await h.expect(204, 'megan', 'POST', `${BASE}/alerts/${TOO_MANY}/refresh`);
  await smtp.waitFor((m) => m.to.includes(ADMINS) && m.subject.includes('too many global'));
  await h.expect(204, 'megan', 'POST', `${BASE}/alerts/refresh`, { body: {} });
  await h.expect(204, 'megan', 'POST', `${BASE}/alerts/${TOO_MANY}/refresh`);
  expect(mails()).toHaveLength(1);

  // The raise's audit row is there exactly once.
  const audits = await eventually(async () => {
    const page = await h.expect(
      200,
      'megan',
      'GET',
      `/api/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent("activityDisplayName eq 'Alert raised in PIM'")}`,
    );
    const rows = page.value.filter(
      (r: { targetResources: { id: string }[] }) => r.targetResources[0]?.id === TOO_MANY,
    );
    return rows.length > 0 ? rows : undefined;
  });
  expect(audits).toHaveLength(1);
});
