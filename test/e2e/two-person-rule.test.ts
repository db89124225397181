// The two-person rule for admin changes (issue 19, item 3), over HTTP on the devhost with the seeds'
// demo data, a real SMTP sink and the virtual clock. Off by default (every other test proves that
// changes apply as before); here Megan turns it on, and then a change to a privileged role's
// assignments, to role settings or to connectors is a proposal until a second admin (Adele) approves.
// Lee is made Global Administrator first: only a Global Administrator may bypass (break-glass).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { DEMO_GROUP_ID } from '../../shared/services/demo-data';
import { eventually, readJson } from '../helpers/devhost';
import { ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink';

const V1 = '/api/v1.0';
const ELIGIBILITY_REQUESTS = `${V1}/roleManagement/directory/roleEligibilityScheduleRequests`;
const ASSIGNMENT_REQUESTS = `${V1}/roleManagement/directory/roleAssignmentScheduleRequests`;
const ELIGIBILITY_SCHEDULES = `${V1}/roleManagement/directory/roleEligibilitySchedules`;
const SETTINGS = `${V1}/jit/adminChangeSettings`;
const PROPOSALS = `${V1}/jit/adminChangeProposals`;
const ALERTS = `${V1}/jit/adminChangeAlerts`;
const CONNECTORS = `${V1}/grantConnectors`;
const AUDITS = `${V1}/auditLogs/directoryAudits`;
const BREAK_GLASS = 'x-jit-break-glass-justification';
const { alex, adele, megan, other: lee, reader: isaiah } = DEMO_USERS;
const PRA_POLICY = `DirectoryRole_${ROLE_IDS.privilegedRoleAdministrator}`;

let seeds: SeedsHost;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await startSmtpSink();
  seeds = await startSeedsHost('TwoPerson', {
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    MAIL_FROM: 'PIM <pim@contoso.example>',
  });
});
afterAll(async () => {
  await Promise.all([seeds?.stop(), smtp?.stop()]);
});

async function send(user: DemoUserKey, method: string, url: string, body?: unknown) {
  const res = await seeds.call(user, method, url, body);
  return {
    status: res.status,
    body: res.status === 204 ? undefined : await readJson(res),
    headers: res.headers,
  };
}

/** A call with the break-glass header. */
async function sendBreakGlass(user: DemoUserKey, method: string, url: string, body: unknown, why: string) {
  const res = await seeds.call(user, method, url, body, true, undefined, { [BREAK_GLASS]: why });
  return { status: res.status, body: await readJson(res) };
}

const eligibility = (principalId: string, roleDefinitionId: string, action = 'adminAssign') => ({
  action,
  principalId,
  roleDefinitionId,
  directoryScopeId: '/',
  justification: 'two-person rule test',
  scheduleInfo: { startDateTime: null, expiration: { type: 'afterDuration', duration: 'P30D' } },
});

async function eligibleRoles(principalId: string): Promise<string[]> {
  const filter = encodeURIComponent(`principalId eq '${principalId}'`);
  const page = await send('megan', 'GET', `${ELIGIBILITY_SCHEDULES}?$filter=${filter}`);
  expect(page.status).toBe(200);
  return page.body.value.map((s: { roleDefinitionId: string }) => s.roleDefinitionId);
}

async function praMaximumDuration(): Promise<string> {
  const rule = await send(
    'megan',
    'GET',
    `${V1}/policies/roleManagementPolicies/${PRA_POLICY}/rules/Expiration_EndUser_Assignment`,
  );
  return rule.body.maximumDuration;
}

const advance = (by: string) =>
  fetch(`${seeds.host.baseUrl}/admin/devhost/clock`, {
    method: 'POST',
    body: JSON.stringify({ advanceBy: by }),
  });

describe('the two-person rule for admin changes', () => {
  it('is off by default; with it off, admins make the second admin and a Global Administrator at once', async () => {
    expect((await send('reader', 'GET', SETTINGS)).body).toMatchObject({
      twoPersonRuleEnabled: false,
      proposalLifetime: 'P1D',
    });
    const active = (principalId: string, roleDefinitionId: string) =>
      send('megan', 'POST', ASSIGNMENT_REQUESTS, {
        ...eligibility(principalId, roleDefinitionId),
        scheduleInfo: { startDateTime: null, expiration: { type: 'noExpiration' } },
      });
    expect((await active(adele.id, ROLE_IDS.privilegedRoleAdministrator)).status).toBe(201);
    expect((await active(lee.id, ROLE_IDS.globalAdministrator)).status).toBe(201);
    expect((await send('alex', 'PATCH', SETTINGS, { twoPersonRuleEnabled: true })).status).toBe(403);
    const on = await send('megan', 'PATCH', SETTINGS, { twoPersonRuleEnabled: true });
    expect(on.status).toBe(200);
    expect(on.body.twoPersonRuleEnabled).toBe(true);
  });

  it('proposes an eligible assignment of a privileged role; a second admin approves; the audit names both', async () => {
    const proposed = await send(
      'megan',
      'POST',
      ELIGIBILITY_REQUESTS,
      eligibility(alex.id, ROLE_IDS.privilegedRoleAdministrator),
    );
    expect(proposed.status).toBe(202);
    const p = proposed.body;
    expect(proposed.headers.get('location')).toMatch(
      new RegExp(`/api/v1.0/jit/adminChangeProposals/${p.id}$`),
    );
    expect(p).toMatchObject({
      kind: 'scheduleRequest.admin',
      status: 'Pending',
      proposedBy: { id: megan.id, displayName: megan.displayName },
      decidedBy: null,
    });
    expect(p.description).toMatch(
      /adminAssign: eligible assignment of Privileged Role Administrator at \/ for Alex Wilber/,
    );
    expect(Date.parse(p.expiresDateTime) - Date.parse(p.createdDateTime)).toBe(86_400_000);
    expect(await eligibleRoles(alex.id)).not.toContain(ROLE_IDS.privilegedRoleAdministrator);
    // Visible to readers; the other admins are mailed to decide.
    expect((await send('reader', 'GET', `${PROPOSALS}/${p.id}`)).body.status).toBe('Pending');
    expect((await send('alex', 'GET', PROPOSALS)).status).toBe(403);
    await smtp.waitFor(
      (m) => m.to.includes(adele.userPrincipalName) && m.text.includes(p.id) && /proposes/.test(m.subject),
    );

    const own = await send('megan', 'POST', `${PROPOSALS}/${p.id}/approve`, {});
    expect(own.status).toBe(403);
    expect((await send('alex', 'POST', `${PROPOSALS}/${p.id}/approve`, {})).status).toBe(403);
    const approved = await send('adele', 'POST', `${PROPOSALS}/${p.id}/approve`, {
      justification: 'agreed in CAB',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'Applied',
      decidedBy: { id: adele.id, displayName: adele.displayName },
      decisionJustification: 'agreed in CAB',
      result: { requestId: p.id, action: 'adminAssign', principalId: alex.id },
      failure: null,
    });
    expect(await eligibleRoles(alex.id)).toContain(ROLE_IDS.privilegedRoleAdministrator);
    // Approving twice changes nothing.
    expect((await send('adele', 'POST', `${PROPOSALS}/${p.id}/approve`, {})).status).toBe(409);

    const filter = encodeURIComponent(`correlationId eq '${p.id}'`);
    const rows = (await send('megan', 'GET', `${AUDITS}?$filter=${filter}&$top=999`)).body.value;
    const change = rows.find((r: { activityDisplayName: string }) =>
      /^Add eligible member to role/.test(r.activityDisplayName),
    );
    expect(change.initiatedBy.user.id).toBe(megan.id);
    const details = Object.fromEntries(
      change.additionalDetails.map((d: { key: string; value: string }) => [d.key, d.value]),
    );
    expect(details).toMatchObject({
      ProposalId: p.id,
      ApprovedById: adele.id,
      ApprovedBy: adele.displayName,
    });
  });

  it('applies a proposal once when two admins approve it at the same moment', async () => {
    const proposed = await send(
      'megan',
      'POST',
      ELIGIBILITY_REQUESTS,
      eligibility(lee.id, ROLE_IDS.securityAdministrator),
    );
    expect(proposed.status).toBe(202);
    const url = `${PROPOSALS}/${proposed.body.id}/approve`;
    const answers = await Promise.all([send('adele', 'POST', url, {}), send('other', 'POST', url, {})]);
    // The first decides; the other finds it decided (409) or finishes the same application (200).
    for (const a of answers) expect([200, 409]).toContain(a.status);
    expect(answers.some((a) => a.status === 200 && a.body.status === 'Applied')).toBe(true);
    expect((await eligibleRoles(lee.id)).filter((r) => r === ROLE_IDS.securityAdministrator)).toHaveLength(1);
    const filter = encodeURIComponent(`correlationId eq '${proposed.body.id}'`);
    const rows = (await send('megan', 'GET', `${AUDITS}?$filter=${filter}&$top=999`)).body.value;
    const names = rows.map((r: { activityDisplayName: string }) => r.activityDisplayName);
    expect(names.filter((n: string) => /^Add eligible member to role/.test(n))).toHaveLength(1);
    expect(names.filter((n: string) => /^Apply admin change/.test(n))).toHaveLength(1);
  });

  it('leaves roles that are not privileged alone', async () => {
    const direct = await send(
      'megan',
      'POST',
      ELIGIBILITY_REQUESTS,
      eligibility(lee.id, ROLE_IDS.securityReader),
    );
    expect(direct.status).toBe(201);
    expect(direct.body.status).toBe('Provisioned');
  });

  it('covers a role-assignable group: its membership is a proposal too', async () => {
    const proposed = await send(
      'megan',
      'POST',
      `${V1}/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests`,
      {
        action: 'adminAssign',
        accessId: 'member',
        principalId: lee.id,
        groupId: DEMO_GROUP_ID,
        justification: 'two-person rule test',
        scheduleInfo: { startDateTime: null, expiration: { type: 'afterDuration', duration: 'P30D' } },
      },
    );
    expect(proposed.status).toBe(202);
    expect(proposed.body.description).toMatch(
      /eligible assignment of Search and Purge PIM \(member\) for Lee Gu/,
    );
    expect((await send('megan', 'POST', `${PROPOSALS}/${proposed.body.id}/withdraw`)).body.status).toBe(
      'Withdrawn',
    );
  });

  it('lets the proposer withdraw a role setting change, and nobody else', async () => {
    const before = await praMaximumDuration();
    const proposed = await send(
      'megan',
      'PATCH',
      `${V1}/policies/roleManagementPolicies/${PRA_POLICY}/rules/Expiration_EndUser_Assignment`,
      {
        '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
        isExpirationRequired: true,
        maximumDuration: 'PT1H',
      },
    );
    expect(proposed.status).toBe(202);
    const id = proposed.body.id;
    expect(proposed.body.description).toMatch(
      /Expiration_EndUser_Assignment of Privileged Role Administrator/,
    );
    expect((await send('adele', 'POST', `${PROPOSALS}/${id}/withdraw`)).status).toBe(403);
    const withdrawn = await send('megan', 'POST', `${PROPOSALS}/${id}/withdraw`);
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.status).toBe('Withdrawn');
    expect((await send('adele', 'POST', `${PROPOSALS}/${id}/approve`, {})).status).toBe(409);
    expect(await praMaximumDuration()).toBe(before);
    // A bad rule is refused when proposed, as the call would refuse it.
    const bad = await send(
      'megan',
      'PATCH',
      `${V1}/policies/roleManagementPolicies/${PRA_POLICY}/rules/Expiration_EndUser_Assignment`,
      {
        maximumDuration: 'forever',
      },
    );
    expect(bad.status).toBe(400);
  });

  it('lets a second admin deny a connector; it is never created', async () => {
    const proposed = await send('megan', 'POST', CONNECTORS, {
      displayName: 'Ticketing',
      roleDefinitionId: ROLE_IDS.securityReader,
      url: 'https://tickets.contoso.example/hook',
      secret: 'a-long-enough-secret-value',
    });
    expect(proposed.status).toBe(202);
    expect(JSON.stringify(proposed.body)).not.toContain('a-long-enough-secret-value');
    const denied = await send('adele', 'POST', `${PROPOSALS}/${proposed.body.id}/deny`, {
      justification: 'not now',
    });
    expect(denied.body).toMatchObject({ status: 'Denied', decidedBy: { id: adele.id } });
    expect((await send('megan', 'GET', CONNECTORS)).body.value).toEqual([]);
  });

  it('expires a proposal nobody approved in time (virtual clock)', async () => {
    const proposed = await send(
      'megan',
      'POST',
      ELIGIBILITY_REQUESTS,
      eligibility(isaiah.id, ROLE_IDS.globalAdministrator),
    );
    expect(proposed.status).toBe(202);
    await advance('P1DT1M');
    expect((await send('megan', 'GET', `${PROPOSALS}/${proposed.body.id}`)).body.status).toBe('Expired');
    const late = await send('adele', 'POST', `${PROPOSALS}/${proposed.body.id}/approve`, {});
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('ProposalExpired');
    expect(await eligibleRoles(isaiah.id)).not.toContain(ROLE_IDS.globalAdministrator);
  });

  it('re-validates on approval: a change that no longer holds is recorded as failed', async () => {
    const first = await send(
      'megan',
      'POST',
      ELIGIBILITY_REQUESTS,
      eligibility(isaiah.id, ROLE_IDS.privilegedRoleAdministrator),
    );
    const second = await send(
      'adele',
      'POST',
      ELIGIBILITY_REQUESTS,
      eligibility(isaiah.id, ROLE_IDS.privilegedRoleAdministrator),
    );
    expect([first.status, second.status]).toEqual([202, 202]);
    expect((await send('adele', 'POST', `${PROPOSALS}/${first.body.id}/approve`, {})).body.status).toBe(
      'Applied',
    );
    const failed = await send('megan', 'POST', `${PROPOSALS}/${second.body.id}/approve`, {});
    expect(failed.status).toBe(200);
    expect(failed.body.status).toBe('Failed');
    expect(failed.body.failure).toMatchObject({ status: 409, code: 'RoleAssignmentExists' });
  });

  it('lets only a Global Administrator bypass, with a justification: applied at once, every admin mailed, alert kept', async () => {
    const body = eligibility(alex.id, ROLE_IDS.globalAdministrator);
    const why = 'Incident 4711: tenant compromise, containment needs it now';
    expect((await sendBreakGlass('megan', 'POST', ELIGIBILITY_REQUESTS, body, why)).status).toBe(403);
    expect((await sendBreakGlass('other', 'POST', ELIGIBILITY_REQUESTS, body, 'short')).status).toBe(400);
    expect(await eligibleRoles(alex.id)).not.toContain(ROLE_IDS.globalAdministrator);

    const done = await sendBreakGlass('other', 'POST', ELIGIBILITY_REQUESTS, body, why);
    expect(done.status).toBe(201);
    expect(done.body.status).toBe('Provisioned');
    expect(await eligibleRoles(alex.id)).toContain(ROLE_IDS.globalAdministrator);

    const alerts = (await send('megan', 'GET', ALERTS)).body.value;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      status: 'Applied',
      breakGlassJustification: why,
      proposedBy: { id: lee.id },
      result: { requestId: done.body.id },
    });
    for (const admin of [megan, adele, lee]) {
      await smtp.waitFor(
        (m) =>
          m.to.includes(admin.userPrincipalName) &&
          /bypassed the two-person rule/.test(m.subject) &&
          m.text.includes(why),
      );
    }
    const filter = encodeURIComponent(`correlationId eq '${alerts[0].id}'`);
    const rows = (await send('megan', 'GET', `${AUDITS}?$filter=${filter}&$top=999`)).body.value;
    const change = rows.find((r: { activityDisplayName: string }) =>
      /^Add eligible member to role/.test(r.activityDisplayName),
    );
    expect(change.additionalDetails).toContainEqual({ key: 'BreakGlassJustification', value: why });

    // The PIM alert "The two-person rule was bypassed" is active, its incident names Lee and the change.
    const ALERT = `${V1}/identityGovernance/roleManagementAlerts/alerts/DirectoryRole_TwoPersonRuleBypassedAlert`;
    expect((await send('reader', 'GET', ALERT)).body).toMatchObject({ isActive: true, incidentCount: 1 });
    const incidents = (await send('reader', 'GET', `${ALERT}/alertIncidents`)).body.value;
    expect(incidents[0]).toMatchObject({ id: alerts[0].id, assigneeId: lee.id, justification: why });
    // Lee cannot hide the alert about his own bypass; another admin can.
    expect((await send('other', 'POST', `${ALERT}/dismiss`, {})).status).toBe(403);
    expect((await send('megan', 'POST', `${ALERT}/dismiss`, {})).status).toBe(200);
  });

  it('covers access reviews: a new review is a proposal until a second admin approves it', async () => {
    const REVIEWS = `${V1}/identityGovernance/accessReviews/definitions`;
    const proposed = await send('megan', 'POST', REVIEWS, {
      displayName: 'Two-person review',
      scope: {
        query: `/roleManagement/directory/roleEligibilityScheduleInstances?$filter=(roleDefinitionId eq '${ROLE_IDS.securityReader}')`,
      },
      reviewers: [{ query: `/users/${adele.id}` }],
      settings: { instanceDurationInDays: 3 },
    });
    expect(proposed.status).toBe(202);
    expect(proposed.body).toMatchObject({ kind: 'accessReviewDefinition.create', status: 'Pending' });
    expect(proposed.body.description).toBe("Create access review 'Two-person review'");
    const named = async () =>
      (await send('megan', 'GET', REVIEWS)).body.value.filter(
        (d: { displayName: string }) => d.displayName === 'Two-person review',
      );
    expect(await named()).toEqual([]);
    expect((await send('megan', 'POST', `${PROPOSALS}/${proposed.body.id}/approve`, {})).status).toBe(403);
    const approved = await send('adele', 'POST', `${PROPOSALS}/${proposed.body.id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('Applied');
    const [created] = await named();
    expect(created.id).toBe(proposed.body.id);
    // Deleting it is a proposal too.
    const removal = await send('megan', 'DELETE', `${REVIEWS}/${created.id}`);
    expect(removal.status).toBe(202);
    const removed = await send('adele', 'POST', `${PROPOSALS}/${removal.body.id}/approve`, {});
    expect(removed.body, JSON.stringify(removed.body)).toMatchObject({ status: 'Applied' });
    expect(await named()).toEqual([]);
  });

  it('covers PIM alerts: tuning an alert and remediating an incident are proposals', async () => {
    const ALERTS_BASE = `${V1}/identityGovernance/roleManagementAlerts`;
    const NO_MFA = 'DirectoryRole_NoMfaOnRoleActivationAlert';
    const tune = await send('megan', 'PATCH', `${ALERTS_BASE}/alertConfigurations/${NO_MFA}`, {
      isEnabled: false,
    });
    expect(tune.status).toBe(202);
    expect(tune.body.kind).toBe('roleManagementAlertConfiguration.update');
    expect((await send('megan', 'GET', `${ALERTS_BASE}/alertConfigurations/${NO_MFA}`)).body.isEnabled).toBe(
      true,
    );
    expect((await send('megan', 'POST', `${PROPOSALS}/${tune.body.id}/withdraw`, {})).status).toBe(200);

    const incidents = await eventually(async () => {
      const page = await send('megan', 'GET', `${ALERTS_BASE}/alerts/${NO_MFA}/alertIncidents`);
      return page.body.value?.length > 0 ? page.body.value : undefined;
    });
    const fix = await send(
      'megan',
      'POST',
      `${ALERTS_BASE}/alerts/${NO_MFA}/alertIncidents/${incidents[0].id}/remediate`,
    );
    expect(fix.status).toBe(202);
    expect(fix.body.kind).toBe('roleManagementAlertIncident.remediate');
    const applied = await send('adele', 'POST', `${PROPOSALS}/${fix.body.id}/approve`, {});
    expect(applied.body, JSON.stringify(applied.body)).toMatchObject({ status: 'Applied' });
    const left = await send('megan', 'GET', `${ALERTS_BASE}/alerts/${NO_MFA}/alertIncidents`);
    expect(left.body.value.map((i: { id: string }) => i.id)).not.toContain(incidents[0].id);
  });

  it('needs a second admin to turn the rule off', async () => {
    const proposed = await send('megan', 'PATCH', SETTINGS, { twoPersonRuleEnabled: false });
    expect(proposed.status).toBe(202);
    expect((await send('megan', 'GET', SETTINGS)).body.twoPersonRuleEnabled).toBe(true);
    expect((await send('adele', 'POST', `${PROPOSALS}/${proposed.body.id}/approve`, {})).body.status).toBe(
      'Applied',
    );
    await eventually(async () =>
      (await send('megan', 'GET', SETTINGS)).body.twoPersonRuleEnabled === false ? true : undefined,
    );
    const direct = await send(
      'megan',
      'POST',
      ELIGIBILITY_REQUESTS,
      eligibility(lee.id, ROLE_IDS.privilegedRoleAdministrator),
    );
    expect(direct.status).toBe(201);
  });
});
