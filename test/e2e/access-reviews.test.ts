// Access reviews end to end on the devhost's virtual clock, with a real SMTP server:
//   - Adele reviews Security Reader eligibility, denies Alex; at the end his eligibility is removed
//     and he cannot activate any more;
//   - a self-review of the Search and Purge group where Alex keeps his eligibility;
//   - a weekly review producing its second instance on time;
//   - who may see and decide what; decisions after the end are refused.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { DEMO_GROUP_ID } from '../../shared/services/demo-data';
import { eventually, readJson } from '../helpers/devhost';
import { ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink';

const DEFINITIONS = '/api/v1.0/identityGovernance/accessReviews/definitions';
const REVIEWER = "filterByCurrentUser(on='reviewer')";
const ROLE_REQUESTS = '/api/v1.0/roleManagement/directory/roleAssignmentScheduleRequests';
const ELIGIBILITY = '/api/v1.0/roleManagement/directory/roleEligibilitySchedules';
const AUDITS = '/api/v1.0/auditLogs/directoryAudits';
const alex = DEMO_USERS.alex;
const adele = DEMO_USERS.adele;

const readerEligibilityScope = {
  '@odata.type': '#microsoft.graph.accessReviewQueryScope',
  query: `/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '${ROLE_IDS.securityReader}')`,
  queryType: 'MicrosoftGraph',
};

describe('access reviews', () => {
  let seeds: SeedsHost;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    seeds = await startSeedsHost('Reviews', {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_FROM: 'PIM <pim@contoso.example>',
      PUBLIC_BASE_URL: 'https://pim.contoso.example',
      APPROVAL_LINK_KEY: randomBytes(32).toString('base64'),
    });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([seeds?.stop(), smtp?.stop()]);
  });

  const call = (user: DemoUserKey, method: string, url: string, body?: unknown) =>
    seeds.call(user, method, url, body, true);
  const get = async (user: DemoUserKey, url: string) => {
    const res = await call(user, 'GET', url);
    expect(res.status, url).toBe(200);
    return readJson(res);
  };
  const advance = (by: string) =>
    fetch(`${seeds.host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: by }),
    });
  const create = async (body: Record<string, unknown>) => {
    const res = await call('megan', 'POST', DEFINITIONS, body);
    const json = await readJson(res);
    expect(res.status, JSON.stringify(json)).toBe(201);
    return json as { id: string };
  };
  const instanceOf = async (definitionId: string, status: string, index = 0) =>
    eventually(async () => {
      const list = await get('megan', `${DEFINITIONS}/${definitionId}/instances`);
      const i = list.value[index];
      return i?.status === status ? (i as { id: string; status: string; endDateTime: string }) : undefined;
    });
  const alexsReaderEligibility = async () => {
    const page = await get(
      'megan',
      `${ELIGIBILITY}?$filter=${encodeURIComponent(`principalId eq '${alex.id}'`)}`,
    );
    return page.value.filter(
      (s: { roleDefinitionId: string }) => s.roleDefinitionId === ROLE_IDS.securityReader,
    );
  };

  it('the demo data has a quarterly review of Security Reader eligibility with Adele as reviewer', async () => {
    // Its first instance starts with the host: Adele is asked at once.
    const demo = await eventually(async () => {
      const mine = await get('adele', `${DEFINITIONS}/${REVIEWER}`);
      return mine.value.find((d: { displayName: string }) => /Security Reader/.test(d.displayName));
    });
    expect(demo.settings.recurrence.pattern).toMatchObject({ type: 'absoluteMonthly', interval: 3 });
    expect(demo.reviewers[0].query).toBe(`/users/${adele.id}`);
  });

  it('Adele denies Alex; when the review ends his eligibility is gone and he cannot activate', async () => {
    const definition = await create({
      displayName: 'Security Reader eligibility, Q4',
      descriptionForReviewers: 'Does each person still need Security Reader?',
      scope: readerEligibilityScope,
      reviewers: [{ query: `/users/${adele.id}`, queryType: 'MicrosoftGraph' }],
      settings: {
        instanceDurationInDays: 3,
        autoApplyDecisionsEnabled: true,
        mailNotificationsEnabled: true,
        recurrence: { pattern: null, range: { type: 'numbered', numberOfOccurrences: 0 } },
      },
    });
    const instance = await instanceOf(definition.id, 'InProgress');
    const base = `${DEFINITIONS}/${definition.id}/instances/${instance.id}`;

    // Adele is mailed a link to her decision page.
    const mail = await smtp.waitFor(
      (m) => m.to.includes(adele.userPrincipalName) && m.subject.includes('Q4'),
    );
    const link = /https:\/\/pim\.contoso\.example(\/api\/v1\.0\/accessReviewLinks\/[^\s"]+)/.exec(
      mail.text,
    )?.[1];
    expect(link).toBeDefined();
    const linkPage = await fetch(`${seeds.host.baseUrl}${link}`, { headers: { accept: 'text/html' } });
    expect(linkPage.status).toBe(200);
    expect(await linkPage.text()).toContain(alex.displayName);

    // Her items: Alex's eligibility among them. Alex sees none, may not list all, may not decide.
    const items = await get('adele', `${base}/decisions/${REVIEWER}`);
    const alexItem = items.value.find((x: { principal: { id: string } }) => x.principal.id === alex.id);
    expect(alexItem).toMatchObject({
      decision: 'NotReviewed',
      applyResult: 'New',
      accessReviewId: instance.id,
    });
    expect((await get('alex', `${base}/decisions/${REVIEWER}`)).value).toEqual([]);
    expect((await call('alex', 'GET', `${base}/decisions`)).status).toBe(403);
    expect(
      (await call('alex', 'PATCH', `${base}/decisions/${alexItem.id}`, { decision: 'Approve' })).status,
    ).toBe(403);
    expect((await call('other', 'GET', base)).status).toBe(404);
    expect(
      (await call('adele', 'PATCH', `${base}/decisions/${alexItem.id}`, { decision: 'Maybe' })).status,
    ).toBe(400);

    const denied = await call('adele', 'PATCH', `${base}/decisions/${alexItem.id}`, {
      decision: 'Deny',
      justification: 'Alex moved to the mail team',
    });
    expect(denied.status).toBe(204);
    const seen = await get('megan', `${base}/decisions/${alexItem.id}`);
    expect(seen).toMatchObject({ decision: 'Deny', reviewedBy: { id: adele.id } });

    // Three days on: the instance ends, the denial is applied through the directory.
    await advance('P3DT1H');
    await instanceOf(definition.id, 'Applied');
    const applied = await get('megan', `${base}/decisions/${alexItem.id}`);
    expect(applied.applyResult).toBe('AppliedSuccessfully');
    expect(await alexsReaderEligibility()).toEqual([]);
    const activation = await call('alex', 'POST', ROLE_REQUESTS, {
      action: 'selfActivate',
      principalId: alex.id,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
    });
    expect(activation.status).toBeGreaterThanOrEqual(400);
    expect(activation.status).toBeLessThan(500);

    // Too late to change one's mind.
    const late = await call('adele', 'PATCH', `${base}/decisions/${alexItem.id}`, { decision: 'Approve' });
    expect(late.status).toBe(409);

    // The whole story is in the audit log.
    const audits = await get(
      'megan',
      `${AUDITS}?$filter=${encodeURIComponent("category eq 'AccessReview'")}`,
    );
    const names = audits.value
      .filter((a: { additionalDetails: { key: string; value: string }[] }) =>
        a.additionalDetails.some((d) => d.key === 'DefinitionId' && d.value === definition.id),
      )
      .map((a: { activityDisplayName: string }) => a.activityDisplayName);
    expect(names).toEqual(
      expect.arrayContaining([
        'Create access review',
        'Access review instance started',
        'Review decision recorded',
        'Access review instance ended',
        'Access review decisions applied',
      ]),
    );
    const removal = audits.value.length; // the removal itself is a RoleManagement row
    expect(removal).toBeGreaterThan(0);
    const roleRows = await get(
      'megan',
      `${AUDITS}?$filter=${encodeURIComponent("category eq 'RoleManagement'")}`,
    );
    expect(
      roleRows.value.some(
        (a: { activityDisplayName: string; initiatedBy: { app: { displayName: string } | null } }) =>
          a.activityDisplayName.startsWith('Remove eligible member from role') &&
          a.initiatedBy.app?.displayName?.includes('Security Reader eligibility, Q4'),
      ),
    ).toBe(true);
  });

  it('a self-review: Alex keeps his eligibility for the Search and Purge group', async () => {
    const definition = await create({
      displayName: 'Search and Purge self-review',
      scope: {
        '@odata.type': '#microsoft.graph.accessReviewQueryScope',
        query: `/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId eq '${DEMO_GROUP_ID}'`,
        queryType: 'MicrosoftGraph',
      },
      reviewers: [],
      settings: {
        instanceDurationInDays: 2,
        justificationRequiredOnApproval: true,
        autoApplyDecisionsEnabled: true,
        defaultDecisionEnabled: true,
        defaultDecision: 'Deny',
      },
    });
    const instance = await instanceOf(definition.id, 'InProgress');
    const base = `${DEFINITIONS}/${definition.id}/instances/${instance.id}`;
    const mine = await get('alex', `${base}/decisions/${REVIEWER}`);
    expect(mine.value).toHaveLength(1);
    const item = mine.value[0];
    expect(item.principal.id).toBe(alex.id);
    // Adele reviews nothing here, and approval needs a reason.
    expect((await get('adele', `${base}/decisions/${REVIEWER}`)).value).toEqual([]);
    expect(
      (await call('alex', 'PATCH', `${base}/decisions/${item.id}`, { decision: 'Approve' })).status,
    ).toBe(400);
    const kept = await call('alex', 'POST', `${base}/batchRecordDecisions`, {
      decision: 'Approve',
      justification: 'I run the purge drills',
    });
    expect(kept.status).toBe(204);

    await advance('P2DT1H');
    await instanceOf(definition.id, 'Applied');
    const after = await get('megan', `${base}/decisions/${item.id}`);
    expect(after.decision).toBe('Approve');
    const groupEligibility = await get(
      'megan',
      `/api/v1.0/identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=${encodeURIComponent(`groupId eq '${DEMO_GROUP_ID}'`)}`,
    );
    expect(groupEligibility.value.map((s: { principalId: string }) => s.principalId)).toContain(alex.id);
  });

  it('a weekly review starts its second instance a week after the first', async () => {
    const definition = await create({
      displayName: 'Weekly Security Reader check',
      scope: readerEligibilityScope,
      reviewers: [{ query: `/users/${adele.id}`, queryType: 'MicrosoftGraph' }],
      settings: {
        instanceDurationInDays: 2,
        defaultDecisionEnabled: true,
        defaultDecision: 'Approve',
        recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd' } },
      },
    });
    const first = await instanceOf(definition.id, 'InProgress');
    await advance('P2DT1H');
    await instanceOf(definition.id, 'Completed');
    const scheduled = await eventually(async () => {
      const list = await get('megan', `${DEFINITIONS}/${definition.id}/instances`);
      return list.value.length === 2 ? list.value[1] : undefined;
    });
    expect(scheduled.status).toBe('NotStarted');
    expect(
      Date.parse(scheduled.startDateTime) -
        Date.parse((first as unknown as { startDateTime: string }).startDateTime),
    ).toBe(7 * 86_400_000);
    await advance('P5D');
    const second = await instanceOf(definition.id, 'InProgress', 1);
    expect(second.id).not.toBe(first.id);
    // Admins may stop it; it then ends at once and nobody can decide.
    expect(
      (await call('adele', 'POST', `${DEFINITIONS}/${definition.id}/instances/${second.id}/stop`)).status,
    ).toBe(403);
    expect(
      (await call('megan', 'POST', `${DEFINITIONS}/${definition.id}/instances/${second.id}/stop`)).status,
    ).toBe(204);
    await instanceOf(definition.id, 'Completed', 1);
    // Stopped early: nobody's silence becomes a decision (the default Approve applies only at the end).
    const items = await get('megan', `${DEFINITIONS}/${definition.id}/instances/${second.id}/decisions`);
    expect(items.value.map((x: { decision: string }) => x.decision)).not.toContain('Approve');
  });

  it("records a removal the last-administrator rule refuses on the item, and keeps Megan's role", async () => {
    const definition = await create({
      displayName: 'Privileged Role Administrators',
      scope: {
        query: `/roleManagement/directory/roleAssignmentScheduleInstances?$filter=(roleDefinitionId eq '${ROLE_IDS.privilegedRoleAdministrator}')`,
      },
      reviewers: [{ query: `/users/${adele.id}` }],
      settings: { instanceDurationInDays: 1, autoApplyDecisionsEnabled: true },
    });
    const instance = await instanceOf(definition.id, 'InProgress');
    const base = `${DEFINITIONS}/${definition.id}/instances/${instance.id}`;
    const items = await get('adele', `${base}/decisions/${REVIEWER}`);
    const megans = items.value.find(
      (x: { principal: { id: string } }) => x.principal.id === DEMO_USERS.megan.id,
    );
    expect(megans).toMatchObject({ assignmentType: 'active', recommendation: 'NotAvailable' });
    expect(
      (await call('adele', 'PATCH', `${base}/decisions/${megans.id}`, { decision: 'Deny' })).status,
    ).toBe(204);
    expect((await call('megan', 'POST', `${base}/stop`)).status).toBe(204);
    await instanceOf(definition.id, 'Applied');
    const item = await get('megan', `${base}/decisions/${megans.id}`);
    expect(item.applyResult).toBe('AppliedWithUnknownFailure');
    expect(item.applyResultDetail).toMatch(/last/i);
    // Megan is still an administrator: she can list every review.
    expect((await call('megan', 'GET', DEFINITIONS)).status).toBe(200);
  });

  it('refuses bad definitions with a clear 400 and non-admins with a 403', async () => {
    const bad = await call('megan', 'POST', DEFINITIONS, {
      displayName: 'Nonsense',
      scope: { query: '/users', queryType: 'MicrosoftGraph' },
    });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).error.message).toMatch(/not supported/);
    const noRole = await call('megan', 'POST', DEFINITIONS, {
      displayName: 'No such role',
      scope: {
        ...readerEligibilityScope,
        query: readerEligibilityScope.query.replace(
          ROLE_IDS.securityReader,
          '00000000-0000-0000-0000-000000000001',
        ),
      },
    });
    expect(noRole.status).toBe(400);
    const badEscape = await call('megan', 'POST', DEFINITIONS, {
      displayName: 'Bad escape',
      scope: { query: '/roleManagement/directory/roleEligibilityScheduleInstances?$filter=%' },
    });
    expect(badEscape.status).toBe(400);
    const notAdmin = await call('alex', 'POST', DEFINITIONS, {
      displayName: 'x',
      scope: readerEligibilityScope,
    });
    expect(notAdmin.status).toBe(403);
  });
});
