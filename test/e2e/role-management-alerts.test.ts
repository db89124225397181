// PIM alerts (roleManagementAlerts) over HTTP against the devhost with the seeds' demo data, a real
// SMTP server and a real webhook receiver, on the virtual clock: each alert type is raised and
// resolved, a dismissed alert comes back only with new incidents, each remediable type is
// remediated through the directory (the last administrator stays), and a newly active alert is
// told to the admins once per activation, not on every evaluation.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { eventually, readJson } from '../helpers/devhost';
import { type HttpTarget, startHttpTarget } from '../helpers/http-target';
import { ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink';

const BASE = '/api/v1.0/identityGovernance/roleManagementAlerts';
const ELIGIBILITY = '/api/v1.0/roleManagement/directory/roleEligibilityScheduleRequests';
const ASSIGNMENT = '/api/v1.0/roleManagement/directory/roleAssignmentScheduleRequests';
const ADMINS = 'pim-admins@contoso.example';
const id = (type: string) => `DirectoryRole_${type}`;
const NO_MFA = id('NoMfaOnRoleActivationAlert');
const OUTSIDE = id('RolesAssignedOutsidePrivilegedIdentityManagementAlert');
const TOO_MANY = id('TooManyGlobalAdminsAssignedToTenantAlert');
const FREQUENT = id('SequentialActivationRenewalsAlert');
const UNUSED = id('RedundantAssignmentAlert');
const STALE = id('StaleSignInAlert');
const { alex, adele, megan, reader, other: lee } = DEMO_USERS;

let seeds: SeedsHost;
let smtp: SmtpSink;
let subscriber: HttpTarget;

beforeAll(async () => {
  [smtp, subscriber] = await Promise.all([startSmtpSink(), startHttpTarget()]);
  seeds = await startSeedsHost('Alerts', {
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    NOTIFY_ADMIN_EMAILS: ADMINS,
    NOTIFY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_ALLOW_HTTP: 'true',
    // Every 12 hours from the start (a TimeSpan): the day-long jumps below run it, the short ones do not.
    ALERTS_EVALUATION_SCHEDULE: '12:00:00',
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([seeds?.stop(), smtp?.stop(), subscriber?.stop()]);
});

async function send(status: number, user: DemoUserKey, method: string, url: string, body?: unknown) {
  const res = await seeds.call(user, method, url, body);
  const text = await res.text();
  expect(res.status, `${method} ${url}: ${text}`).toBe(status);
  return text ? JSON.parse(text) : undefined;
}

const advance = (by: string) =>
  fetch(`${seeds.host.baseUrl}/admin/devhost/clock`, {
    method: 'POST',
    body: JSON.stringify({ advanceBy: by }),
  });
const alert = (alertId: string) => send(200, 'megan', 'GET', `${BASE}/alerts/${alertId}`);
const incidents = async (alertId: string) =>
  (await send(200, 'megan', 'GET', `${BASE}/alerts/${alertId}/alertIncidents`)).value as Record<
    string,
    unknown
  >[];
const refresh = (alertId?: string) =>
  send(204, 'megan', 'POST', alertId ? `${BASE}/alerts/${alertId}/refresh` : `${BASE}/alerts/refresh`, {
    scopeId: '/',
    scopeType: 'DirectoryRole',
  });
const configure = (alertId: string, body: Record<string, unknown>) =>
  send(200, 'megan', 'PATCH', `${BASE}/alertConfigurations/${alertId}`, body);
/** Refreshes until the alert is as wanted (catalogs follow commits a moment later). */
const until = (alertId: string, want: (a: { isActive: boolean; incidentCount: number }) => boolean) =>
  eventually(async () => {
    await refresh(alertId);
    const a = await alert(alertId);
    return want(a) ? a : undefined;
  });
const remediate = (status: number, alertId: string, incidentId: string) =>
  send(status, 'megan', 'POST', `${BASE}/alerts/${alertId}/alertIncidents/${incidentId}/remediate`);
const alertMails = (title: string) =>
  smtp.mails.filter((m) => m.to.includes(ADMINS) && m.subject.includes(title));

function roleRequest(
  level: 'eligibility' | 'assignment',
  action: string,
  principalId: string,
  roleId: string,
  duration?: string,
) {
  return send(201, 'megan', 'POST', level === 'eligibility' ? ELIGIBILITY : ASSIGNMENT, {
    action,
    principalId,
    roleDefinitionId: roleId,
    directoryScopeId: '/',
    justification: 'alerts test',
    ...(action === 'adminAssign'
      ? {
          scheduleInfo: {
            expiration: duration ? { type: 'afterDuration', duration } : { type: 'noExpiration' },
          },
        }
      : {}),
  });
}

describe('the demo data raises alerts at once', () => {
  it('lists seven definitions and configurations; roles without MFA and standing assignments are active', async () => {
    const defs = await send(200, 'reader', 'GET', `${BASE}/alertDefinitions`);
    expect(defs.value).toHaveLength(7);
    expect(await send(200, 'megan', 'GET', `${BASE}/alertDefinitions/${NO_MFA}`)).toMatchObject({
      id: NO_MFA,
      scopeId: '/',
      scopeType: 'DirectoryRole',
      severityLevel: 'high',
      isRemediatable: true,
      securityImpact: expect.any(String),
      mitigationSteps: expect.any(String),
      howToPrevent: expect.any(String),
    });
    const configs = await send(200, 'megan', 'GET', `${BASE}/alertConfigurations`);
    expect(configs.value.find((c: { id: string }) => c.id === TOO_MANY)).toMatchObject({
      '@odata.type': '#microsoft.graph.tooManyGlobalAdminsAssignedToTenantAlertConfiguration',
      isEnabled: true,
      globalAdminCountThreshold: 5,
    });
    const active = await eventually(async () => {
      const list = await send(
        200,
        'reader',
        'GET',
        `${BASE}/alerts?$filter=${encodeURIComponent("scopeId eq '/'")}`,
      );
      const on = list.value.filter((a: { isActive: boolean }) => a.isActive).map((a: { id: string }) => a.id);
      return on.includes(NO_MFA) && on.includes(OUTSIDE) ? on : undefined;
    });
    expect(active).toEqual(expect.arrayContaining([NO_MFA, OUTSIDE]));
    expect(await incidents(NO_MFA)).toEqual([
      expect.objectContaining({
        '@odata.type': '#microsoft.graph.noMfaOnRoleActivationAlertIncident',
        id: ROLE_IDS.searchAndPurge,
        roleDisplayName: 'Search and Purge',
      }),
    ]);
    const standing = await incidents(OUTSIDE);
    expect(standing.map((i) => i.assigneeId)).toEqual(expect.arrayContaining([reader.id, megan.id]));
    expect(standing.find((i) => i.assigneeId === reader.id)).toMatchObject({
      assigneeDisplayName: reader.displayName,
      assigneeUserPrincipalName: reader.userPrincipalName,
      roleDefinitionId: ROLE_IDS.securityReader,
    });
    // The admins were told once per alert.
    await smtp.waitFor((m) => m.to.includes(ADMINS) && m.subject.includes('assigned outside of Privileged'));
    await refresh();
    await refresh();
    expect(alertMails('assigned outside of Privileged')).toHaveLength(1);
  });

  it('is for readers and admins; changes are for admins; bad input is a 4xx', async () => {
    await send(403, 'alex', 'GET', `${BASE}/alerts`);
    await send(403, 'reader', 'POST', `${BASE}/alerts/refresh`, {});
    await send(403, 'reader', 'POST', `${BASE}/alerts/${NO_MFA}/dismiss`);
    await send(404, 'megan', 'GET', `${BASE}/alerts/DirectoryRole_NoSuchAlert`);
    await send(404, 'megan', 'POST', `${BASE}/alerts/${NO_MFA}/alertIncidents/nope/remediate`);
    await send(400, 'megan', 'PATCH', `${BASE}/alertConfigurations/${TOO_MANY}`, {
      globalAdminCountThreshold: -1,
    });
    await send(400, 'megan', 'PATCH', `${BASE}/alertConfigurations/${TOO_MANY}`, { bogus: 1 });
    await send(400, 'megan', 'POST', `${BASE}/alerts/refresh`, { scopeId: '/elsewhere' });
    await send(400, 'megan', 'POST', `${BASE}/alerts/${TOO_MANY}/alertIncidents/x/remediate`);
  });
});

describe('each alert type is raised and resolved', () => {
  it('roles without MFA: remediate requires MFA in the policy; weakening it again re-raises and tells the subscribers', async () => {
    await send(201, 'megan', 'POST', '/api/v1.0/notificationSubscriptions', {
      url: subscriber.url,
      events: ['alertRaised'],
      secret: 'a-long-enough-secret-123',
    });
    await remediate(204, NO_MFA, ROLE_IDS.searchAndPurge);
    expect(await alert(NO_MFA)).toMatchObject({ isActive: false, incidentCount: 0 });
    const rule = await send(
      200,
      'megan',
      'GET',
      `/api/v1.0/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.searchAndPurge}/rules/Enablement_EndUser_Assignment`,
    );
    expect(rule.enabledRules).toContain('MultiFactorAuthentication');
    await send(
      200,
      'megan',
      'PATCH',
      `/api/v1.0/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.searchAndPurge}/rules/Enablement_EndUser_Assignment`,
      { enabledRules: ['Justification'] },
    );
    await until(NO_MFA, (a) => a.isActive);
    const delivery = await subscriber.waitFor((r) => r.json?.event === 'alertRaised');
    expect(delivery.json.alert).toMatchObject({ id: NO_MFA, severityLevel: 'high', incidentCount: 1 });
    await refresh(NO_MFA);
    await refresh();
    expect(
      subscriber.requests.filter((r) => r.json?.event === 'alertRaised' && r.json.alert.id === NO_MFA),
    ).toHaveLength(1);
    await smtp.waitFor(() => alertMails('multi-factor').length === 2);
  });

  it('standing assignments: remediate turns one eligible; the last Privileged Role Administrator stays', async () => {
    await roleRequest('assignment', 'adminAssign', lee.id, ROLE_IDS.securityAdministrator);
    const incident = await eventually(async () => {
      await refresh(OUTSIDE);
      return (await incidents(OUTSIDE)).find((i) => i.assigneeId === lee.id);
    });
    const megans = (await incidents(OUTSIDE)).find((i) => i.assigneeId === megan.id)!;
    const refused = await seeds.call(
      'megan',
      'POST',
      `${BASE}/alerts/${OUTSIDE}/alertIncidents/${megans.id}/remediate`,
    );
    expect(refused.status).toBe(400);
    expect((await readJson(refused)).error.code).toBe('LastActiveAdministratorAssignment');
    await remediate(204, OUTSIDE, String(incident.id));
    expect((await incidents(OUTSIDE)).map((i) => i.assigneeId)).not.toContain(lee.id);
    const eligible = await send(
      200,
      'megan',
      'GET',
      `/api/v1.0/roleManagement/directory/roleEligibilitySchedules?$filter=${encodeURIComponent(`principalId eq '${lee.id}'`)}`,
    );
    expect(eligible.value).toContainEqual(
      expect.objectContaining({ roleDefinitionId: ROLE_IDS.securityAdministrator }),
    );
    // Resolved once no standing assignment is left: the rest go as well (the reader's and the group's).
    for (const i of await incidents(OUTSIDE))
      if (i.assigneeId !== megan.id) await remediate(204, OUTSIDE, String(i.id));
    await configure(OUTSIDE, { isEnabled: false });
    expect(await until(OUTSIDE, (a) => !a.isActive)).toMatchObject({ incidentCount: 0 });
    await configure(OUTSIDE, { isEnabled: true });
  });

  it('too many Global Administrators: raised past the thresholds, resolved by the timer when they end', async () => {
    expect(
      await configure(TOO_MANY, {
        globalAdminCountThreshold: 1,
        percentageOfGlobalAdminsOutOfRolesThreshold: 10,
      }),
    ).toMatchObject({
      globalAdminCountThreshold: 1,
      percentageOfGlobalAdminsOutOfRolesThreshold: 10,
    });
    await roleRequest('eligibility', 'adminAssign', lee.id, ROLE_IDS.globalAdministrator, 'PT20H');
    await roleRequest('eligibility', 'adminAssign', adele.id, ROLE_IDS.globalAdministrator, 'PT20H');
    expect(await until(TOO_MANY, (a) => a.isActive)).toMatchObject({ incidentCount: 2 });
    expect((await incidents(TOO_MANY)).map((i) => i.assigneeId).sort()).toEqual([adele.id, lee.id].sort());
    // A day later both eligibilities have ended; the timer (not a refresh) resolves the alert.
    await advance('P1D');
    const resolved = await eventually(async () => {
      const a = await alert(TOO_MANY);
      return a.isActive ? undefined : a;
    }, 20_000);
    expect(resolved.incidentCount).toBe(0);
  });

  it('roles activated too frequently: raised at activation time, resolved when the burst is old', async () => {
    await configure(FREQUENT, {
      sequentialActivationCounterThreshold: 2,
      timeIntervalBetweenActivations: 'PT1H',
    });
    const body = (action: string) => ({
      action,
      principalId: alex.id,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      ...(action === 'selfActivate'
        ? {
            justification: 'triage',
            scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
          }
        : {}),
    });
    const call = async (action: string) => {
      const res = await seeds.call('alex', 'POST', ASSIGNMENT, body(action), true);
      expect(res.status, await res.clone().text()).toBe(201);
    };
    await call('selfActivate');
    await call('selfDeactivate');
    await advance('PT10M');
    await call('selfActivate');
    // Known at activation time: no refresh, no timer (the clock has not reached the next hour's run).
    const raised = await eventually(async () => {
      const a = await alert(FREQUENT);
      return a.isActive ? a : undefined;
    });
    expect(raised.incidentCount).toBe(1);
    expect((await incidents(FREQUENT))[0]).toMatchObject({
      '@odata.type': '#microsoft.graph.sequentialActivationRenewalsAlertIncident',
      assigneeId: alex.id,
      roleDefinitionId: ROLE_IDS.securityReader,
      activationCount: 2,
    });
    await advance('P2D');
    await until(FREQUENT, (a) => !a.isActive);
  });

  it('stale accounts: principals with no authenticated call for the duration; a call or remediation clears them', async () => {
    await configure(STALE, { duration: 'P1D' });
    await advance('P2D');
    const stale = await eventually(async () => {
      await refresh(STALE);
      const list = await incidents(STALE);
      return list.length > 0 ? list : undefined;
    });
    expect(stale.map((i) => i.assigneeId)).not.toContain(megan.id); // she calls all the time
    expect(stale[0]).toMatchObject({ '@odata.type': '#microsoft.graph.staleSignInAlertIncident' });
    // Everyone but Lee signs in; Lee's assignments are removed by remediation.
    const byId = new Map(Object.values(DEMO_USERS).map((u) => [u.id, u.key]));
    for (const i of stale) {
      const key = byId.get(String(i.assigneeId));
      if (key && key !== 'other') await seeds.call(key, 'GET', '/api/v1.0/me');
    }
    const leeOnly = await eventually(async () => {
      await refresh(STALE);
      const list = await incidents(STALE);
      return list.every((i) => i.assigneeId === lee.id) ? list : undefined;
    });
    expect(leeOnly.length).toBeGreaterThan(0);
    for (const i of leeOnly) await remediate(204, STALE, String(i.id));
    expect(await alert(STALE)).toMatchObject({ isActive: false, incidentCount: 0 });
  });
  it('unused eligibilities: raised, dismissed, raised again by a new one, remediated away', async () => {
    await configure(UNUSED, { duration: 'P1D' });
    await roleRequest('eligibility', 'adminAssign', lee.id, ROLE_IDS.globalReader);
    await advance('P2D');
    await until(UNUSED, (a) => a.isActive);
    const first = await incidents(UNUSED);
    expect(first.map((i) => i.id)).toContain(`${lee.id}_${ROLE_IDS.globalReader}`);
    await smtp.waitFor(() => alertMails("aren't using").length === 1);

    expect(await send(200, 'megan', 'POST', `${BASE}/alerts/${UNUSED}/dismiss`)).toMatchObject({
      isActive: false,
    });
    await refresh();
    await advance('PT2H');
    await refresh(UNUSED);
    expect(await alert(UNUSED)).toMatchObject({ isActive: false });

    // A new incident brings it back (and tells the admins again).
    await roleRequest('eligibility', 'adminAssign', adele.id, ROLE_IDS.globalReader);
    await advance('P2D');
    await until(UNUSED, (a) => a.isActive);
    await smtp.waitFor(() => alertMails("aren't using").length === 2);

    for (const i of await incidents(UNUSED)) await remediate(204, UNUSED, String(i.id));
    expect(await alert(UNUSED)).toMatchObject({ isActive: false, incidentCount: 0 });
  });
});
