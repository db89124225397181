// Graph's selfExtend and selfRenew: a person asks an admin for more time on an assignment of theirs
// that ends within 14 days (or has ended); the request waits as PendingAdminDecision until an admin
// extends or renews the assignment (Granted), or turns it down (Denied); the person may cancel it.
// A live activation is lengthened by a second selfActivate instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { eventually, readJson } from '../helpers/devhost';
import { ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';

const ELIGIBILITY_REQUESTS = '/api/v1.0/roleManagement/directory/roleEligibilityScheduleRequests';
const ASSIGNMENT_REQUESTS = '/api/v1.0/roleManagement/directory/roleAssignmentScheduleRequests';
const ELIGIBILITY_SCHEDULES = '/api/v1.0/roleManagement/directory/roleEligibilitySchedules';
const AUDITS = '/api/v1.0/auditLogs/directoryAudits';
const lee = DEMO_USERS.other.id;
const role = ROLE_IDS.securityReader;

describe('selfExtend and selfRenew: asking an admin for more time', () => {
  let seeds: SeedsHost;

  beforeAll(async () => {
    seeds = await startSeedsHost('Renewal');
  });
  afterAll(async () => {
    await seeds?.stop();
  });

  const call = (user: DemoUserKey, method: string, url: string, body?: unknown) =>
    seeds.call(user, method, url, body, true);
  const ask = (
    action: 'selfExtend' | 'selfRenew',
    extra: Record<string, unknown> = {},
    user: DemoUserKey = 'other',
  ) =>
    call(user, 'POST', ELIGIBILITY_REQUESTS, {
      action,
      principalId: lee,
      roleDefinitionId: role,
      directoryScopeId: '/',
      justification: 'the audit project runs another quarter',
      ...extra,
    });
  const admin = (action: string, duration: string) =>
    call('megan', 'POST', ELIGIBILITY_REQUESTS, {
      action,
      principalId: lee,
      roleDefinitionId: role,
      directoryScopeId: '/',
      justification: 'quarterly access',
      scheduleInfo: { startDateTime: null, expiration: { type: 'afterDuration', duration } },
    });
  const request = async (id: string) => readJson(await call('other', 'GET', `${ELIGIBILITY_REQUESTS}/${id}`));
  const leesEnd = async () => {
    const page = await readJson(
      await call(
        'megan',
        'GET',
        `${ELIGIBILITY_SCHEDULES}?$filter=${encodeURIComponent(`principalId eq '${lee}'`)}`,
      ),
    );
    return page.value.find((s: { roleDefinitionId: string }) => s.roleDefinitionId === role)?.scheduleInfo
      .expiration.endDateTime as string | undefined;
  };
  const advance = (by: string) =>
    fetch(`${seeds.host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: by }),
    });

  it('asks for an extension of an eligibility ending within 14 days; an adminExtend grants it', async () => {
    expect((await admin('adminAssign', 'P10D')).status).toBe(201);
    const before = await leesEnd();

    const noReason = await ask('selfExtend', { justification: undefined });
    expect(noReason.status).toBe(400);
    expect((await readJson(noReason)).error.message).toMatch(/justification/);
    expect((await ask('selfExtend', { principalId: DEMO_USERS.alex.id }, 'other')).status).toBe(403);

    const asked = await ask('selfExtend');
    expect(asked.status).toBe(201);
    const pending = await readJson(asked);
    expect(pending).toMatchObject({ action: 'selfExtend', status: 'PendingAdminDecision', principalId: lee });
    expect(pending.completedDateTime).toBeNull();
    expect((await request(pending.id)).status).toBe('PendingAdminDecision');
    expect(await leesEnd()).toBe(before); // nothing changes until an admin decides

    const again = await ask('selfExtend');
    expect(again.status).toBe(409);
    expect((await readJson(again)).error.message).toContain(pending.id);

    // The admins hear of it through the audit trail, which names the current end.
    const audit = await eventually(async () => {
      const rows = await readJson(await call('megan', 'GET', `${AUDITS}?$top=50`));
      return rows.value.find((a: { activityDisplayName: string }) =>
        a.activityDisplayName.startsWith('Request extension of eligible member in role'),
      );
    });
    expect(audit.additionalDetails).toContainEqual({ key: 'CurrentEndDateTime', value: before });

    expect((await admin('adminExtend', 'P90D')).status).toBe(201);
    expect(Date.parse((await leesEnd())!)).toBeGreaterThan(Date.parse(before!));
    const granted = await request(pending.id);
    expect(granted.status).toBe('Granted');
    expect(granted.completedDateTime).not.toBeNull();

    // Ninety days away is not "expiring": the answer says when to ask.
    const early = await ask('selfExtend');
    expect(early.status).toBe(400);
    expect((await readJson(early)).error).toMatchObject({ code: 'ExtendNotAllowed' });
  });

  it('asks to renew an ended eligibility; the person may cancel, an admin may deny', async () => {
    const running = await ask('selfRenew');
    expect(running.status).toBe(400);
    expect((await readJson(running)).error.code).toBe('RenewNotAllowed');

    await advance('P91D');
    const first = await readJson(await ask('selfRenew'));
    expect(first.status).toBe('PendingAdminDecision');
    expect((await call('alex', 'POST', `${ELIGIBILITY_REQUESTS}/${first.id}/cancel`)).status).toBe(404);
    expect((await call('other', 'POST', `${ELIGIBILITY_REQUESTS}/${first.id}/cancel`)).status).toBe(204);
    expect((await request(first.id)).status).toBe('Canceled');
    expect((await call('other', 'POST', `${ELIGIBILITY_REQUESTS}/${first.id}/cancel`)).status).toBe(409);

    const second = await readJson(await ask('selfRenew'));
    expect((await call('megan', 'POST', `${ELIGIBILITY_REQUESTS}/${second.id}/cancel`)).status).toBe(204);
    expect((await request(second.id)).status).toBe('Denied');

    const third = await readJson(await ask('selfRenew'));
    expect((await admin('adminRenew', 'P30D')).status).toBe(201);
    expect((await request(third.id)).status).toBe('Granted');
    expect(Date.parse((await leesEnd())!)).toBeGreaterThan(Date.now());
  });

  it('selfExtend is not how a live activation is lengthened: the answer says to selfActivate again', async () => {
    const res = await call('alex', 'POST', ASSIGNMENT_REQUESTS, {
      action: 'selfExtend',
      principalId: DEMO_USERS.alex.id,
      roleDefinitionId: role,
      directoryScopeId: '/',
      justification: 'more time',
    });
    expect(res.status).toBe(400);
    const { error } = await readJson(res);
    expect(error.code).toBe('RoleAssignmentDoesNotExist');
    expect(error.message).toMatch(/selfActivate again/);
  });
});
