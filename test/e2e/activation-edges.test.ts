// Activation over HTTP, beyond the happy path: MFA step-up with a TOTP code, locking after wrong
// codes, cancel, races (two activations, concurrent approve and deny: exactly one winner), and who
// may ask the access check about whom.
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { type DevhostProcess, eventually, readJson } from '../helpers/devhost';
import { ACTIONS, ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';

const ROLE_REQUESTS = '/api/v1.0/roleManagement/directory/roleAssignmentScheduleRequests';
const APPROVALS = '/api/v1.0/roleManagement/directory/roleAssignmentApprovals';
const INSTANCES = '/api/v1.0/roleManagement/directory/roleAssignmentScheduleInstances';
const POLICY = `/api/v1.0/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}`;
const alex = DEMO_USERS.alex.id;

describe('activation edges', () => {
  let seeds: SeedsHost;
  let host: DevhostProcess;

  beforeAll(async () => {
    seeds = await startSeedsHost('Edges');
    host = seeds.host;
  });
  afterAll(async () => {
    await seeds?.stop();
  });

  const call = (user: DemoUserKey, method: string, url: string, body?: unknown, mfa = true) =>
    seeds.call(user, method, url, body, mfa);
  const statusOf = (id: string, wanted: string) =>
    eventually(async () => {
      const r = await readJson(await call('alex', 'GET', `${ROLE_REQUESTS}/${id}`));
      return r.status === wanted ? r : undefined;
    }, 10_000);
  const activate = (mfa = true) =>
    call(
      'alex',
      'POST',
      ROLE_REQUESTS,
      {
        action: 'selfActivate',
        principalId: alex,
        roleDefinitionId: ROLE_IDS.securityReader,
        directoryScopeId: '/',
      },
      mfa,
    );
  const deactivate = () =>
    call('alex', 'POST', ROLE_REQUESTS, {
      action: 'selfDeactivate',
      principalId: alex,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
    });
  /** An approval as its approver sees it, once the request's publication has indexed it (just after the answer). */
  const approvalOf = (user: DemoUserKey, approvalId: string) =>
    eventually(async () => {
      const res = await call(user, 'GET', `${APPROVALS}/${approvalId}`);
      return res.status === 200 ? readJson(res) : undefined;
    });
  const canRead = async () =>
    (await readJson(await call('alex', 'POST', '/api/v1.0/access/check', { action: ACTIONS.readSecurity })))
      .allowed;

  it('refuses activation without MFA proof when no authenticator is enrolled (MfaRule)', async () => {
    const res = await activate(false);
    expect(res.status).toBe(400);
    const error = (await readJson(res)).error;
    expect(error.message).toContain('MfaRule');
    // The message says the fix, not only the rule.
    expect(error.message).toContain('sign in again with MFA, or enrol an authenticator');
    expect(error.details).toEqual([
      expect.objectContaining({
        target: 'MfaRule',
        message: expect.stringContaining('/me/authenticators/totp'),
      }),
    ]);
  });

  it('answers 400, never 500, to ids a storage key could not hold', async () => {
    const GROUP_REQUESTS = '/api/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests';
    for (const bad of ['a\u0001b', 'a/b', 'a#b', 'a?b', 'a\\b', 'x'.repeat(2000)]) {
      for (const action of ['selfActivate', 'selfDeactivate', 'selfExtend']) {
        const role = await call('alex', 'POST', ROLE_REQUESTS, {
          action,
          principalId: alex,
          roleDefinitionId: bad,
          directoryScopeId: '/',
        });
        expect([action, bad, role.status]).toEqual([action, bad, 400]);
        const group = await call('alex', 'POST', GROUP_REQUESTS, {
          action,
          principalId: alex,
          groupId: bad,
          accessId: 'member',
        });
        expect([action, bad, group.status]).toEqual([action, bad, 400]);
      }
      const removal = await call('megan', 'POST', ROLE_REQUESTS, {
        action: 'adminRemove',
        principalId: alex,
        roleDefinitionId: bad,
        directoryScopeId: '/',
      });
      expect(['adminRemove', bad, removal.status]).toEqual(['adminRemove', bad, 400]);
    }
  });

  it('requires the authentication context the policy names (acrs), and says which', async () => {
    const rule = `${POLICY}/rules/AuthenticationContext_EndUser_Assignment`;
    const current = await readJson(await call('megan', 'GET', rule));
    expect(current).toMatchObject({ id: 'AuthenticationContext_EndUser_Assignment', isEnabled: false });
    const all = await readJson(await call('alex', 'GET', `${POLICY}/rules`));
    expect(all.value.map((r: { id: string }) => r.id)).toContain('AuthenticationContext_EndUser_Assignment');
    expect((await call('alex', 'GET', `${POLICY}/rules/NoSuchRule`)).status).toBe(404);
    const patched = await call('megan', 'PATCH', rule, { ...current, isEnabled: true, claimValue: 'c1' });
    expect(patched.status).toBe(200);
    try {
      const body = {
        action: 'selfActivate',
        principalId: alex,
        roleDefinitionId: ROLE_IDS.securityReader,
        directoryScopeId: '/',
      };
      const refused = await call('alex', 'POST', ROLE_REQUESTS, body);
      expect(refused.status).toBe(400);
      const error = (await readJson(refused)).error;
      expect(error.code).toBe('RoleAssignmentRequestAcrsValidationFailed');
      expect(error.message).toContain("authentication context 'c1'");
      const other = await seeds.call('alex', 'POST', ROLE_REQUESTS, body, true, { acrs: ['c2'] });
      expect(other.status).toBe(400);
      const ok = await seeds.call('alex', 'POST', ROLE_REQUESTS, body, true, { acrs: ['c1'] });
      expect(ok.status).toBe(201);
      expect((await deactivate()).status).toBe(201);
    } finally {
      expect((await call('megan', 'PATCH', rule, { ...current, isEnabled: false })).status).toBe(200);
    }
  });

  it('grants a future start at that start (ScheduleCreated until then), and cancels one still waiting', async () => {
    const hostNow = async () =>
      new Date((await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`))).now);
    const advance = (by: string) =>
      fetch(`${host.baseUrl}/admin/devhost/clock`, {
        method: 'POST',
        body: JSON.stringify({ advanceBy: by }),
      });
    const later = async (duration: string) => ({
      action: 'selfActivate',
      principalId: alex,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      scheduleInfo: {
        startDateTime: new Date((await hostNow()).getTime() + 3_600_000).toISOString(),
        expiration: { type: 'afterDuration', duration },
      },
    });
    const scheduled = await readJson(await call('alex', 'POST', ROLE_REQUESTS, await later('PT2H')));
    expect(scheduled.status).toBe('ScheduleCreated');
    expect(await canRead()).toBe(false);
    await advance('PT50M');
    expect(await canRead()).toBe(false); // not a minute before its start
    await advance('PT11M');
    const granted = await statusOf(scheduled.id, 'Provisioned');
    expect(await canRead()).toBe(true);
    expect(Date.parse(granted.completedDateTime)).toBeGreaterThanOrEqual(
      Date.parse(scheduled.scheduleInfo.startDateTime),
    );
    expect((await deactivate()).status).toBe(201);
    await eventually(async () => ((await canRead()) === false ? true : undefined));

    const waiting = await readJson(await call('alex', 'POST', ROLE_REQUESTS, await later('PT1H')));
    expect(waiting.status).toBe('ScheduleCreated');
    expect((await call('alex', 'POST', `${ROLE_REQUESTS}/${waiting.id}/cancel`)).status).toBe(204);
    await advance('PT2H');
    await statusOf(waiting.id, 'Canceled');
    expect(await canRead()).toBe(false);
  });

  it('lets the members of a group eligible for a role activate it, each for themselves', async () => {
    const group = await readJson(
      await call('megan', 'POST', '/api/v1.0/groups', {
        displayName: 'Readers on call',
        isAssignableToRole: true,
      }),
    );
    expect(
      (await call('megan', 'POST', `/api/v1.0/groups/${group.id}/members`, { memberId: alex })).status,
    ).toBe(201);
    const eligibility = await call(
      'megan',
      'POST',
      '/api/v1.0/roleManagement/directory/roleEligibilityScheduleRequests',
      {
        action: 'adminAssign',
        principalId: group.id,
        roleDefinitionId: ROLE_IDS.globalReader,
        directoryScopeId: '/',
        justification: 'The on-call rota may read everything',
        scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P30D' } },
      },
    );
    expect(eligibility.status).toBe(201);
    const body = (principalId: string) => ({
      action: 'selfActivate',
      principalId,
      roleDefinitionId: ROLE_IDS.globalReader,
      directoryScopeId: '/',
      justification: 'On call tonight',
    });
    // Alex sees it among his eligibilities, through the group.
    const listed = await readJson(
      await call(
        'alex',
        'GET',
        "/api/v1.0/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')",
      ),
    );
    expect(listed.value).toContainEqual(
      expect.objectContaining({
        roleDefinitionId: ROLE_IDS.globalReader,
        principalId: alex,
        memberType: 'Group',
      }),
    );
    const mine = await call('alex', 'POST', ROLE_REQUESTS, body(alex));
    expect(mine.status).toBe(201);
    expect((await readJson(mine)).status).toBe('Provisioned');
    // Not a member: not eligible.
    const adele = await call('adele', 'POST', ROLE_REQUESTS, body(DEMO_USERS.adele.id));
    expect(adele.status).toBe(400);
    expect((await readJson(adele)).error.code).toBe('RoleAssignmentDoesNotExist');
    const off = await call('alex', 'POST', ROLE_REQUESTS, { ...body(alex), action: 'selfDeactivate' });
    expect(off.status).toBe(201);
  });

  it('names the maximum when a requested duration is too long (ExpirationRule)', async () => {
    const res = await call('alex', 'POST', ROLE_REQUESTS, {
      action: 'selfActivate',
      principalId: alex,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT9H' } },
    });
    expect(res.status).toBe(400);
    const error = (await readJson(res)).error;
    expect(error.message).toMatch(/^The following policy rules failed: \["ExpirationRule"\]\. /);
    expect(error.message).toContain('at most PT8H');
    expect(error.message).toContain('ask for PT8H or less');
  });

  it('waits for a TOTP code, locks the request after five wrong ones, and grants on a right one', async () => {
    const enrolled = await readJson(await call('alex', 'POST', '/api/v1.0/me/authenticators/totp'));
    const totp = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(enrolled.secret),
      digits: 6,
      period: 30,
    });
    // Codes for the host's (virtual) time, which the test moves forward below.
    const hostCode = async () =>
      totp.generate({
        timestamp: Date.parse((await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`))).now),
      });
    expect(
      (await call('alex', 'POST', '/api/v1.0/me/authenticators/totp/confirm', { otp: await hostCode() }))
        .status,
    ).toBe(204);

    // First request: five wrong codes lock it.
    const locked = await readJson(await activate(false));
    expect(locked.status).toBe('PendingMfa');
    const wrong = String((Number(totp.generate()) + 1) % 1_000_000).padStart(6, '0');
    const verify = async (otp: string) =>
      (await call('alex', 'POST', `${ROLE_REQUESTS}/${locked.id}/verifyMfa`, { otp }, false)).status;
    for (let i = 0; i < 4; i++) expect(await verify(wrong)).toBe(400);
    // The fifth wrong code locks the authenticator; then even a right code is refused for now.
    expect(await verify(wrong)).toBe(429);
    expect(await verify(totp.generate())).toBe(429);
    // A second activation while this one waits for MFA is refused, not merged into it.
    const second = await activate(false);
    expect(second.status).toBe(400);
    expect((await readJson(second)).error.code).toBe('PendingRoleAssignmentRequest');
    expect((await call('alex', 'POST', `${ROLE_REQUESTS}/${locked.id}/cancel`)).status).toBe(204);
    await statusOf(locked.id, 'Canceled');

    // Wait out the authenticator's own lock on virtual time, then a fresh request and a right code.
    await fetch(`${host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: 'PT16M' }),
    });
    const fresh = await readJson(await activate(false));
    expect(
      (
        await call(
          'other',
          'POST',
          `${ROLE_REQUESTS}/${fresh.id}/verifyMfa`,
          { otp: await hostCode() },
          false,
        )
      ).status,
    ).toBe(404);
    expect(
      (await call('alex', 'POST', `${ROLE_REQUESTS}/${fresh.id}/verifyMfa`, { otp: await hostCode() }, false))
        .status,
    ).toBe(204);
    await statusOf(fresh.id, 'Provisioned');
    expect(await canRead()).toBe(true);
    expect((await deactivate()).status).toBe(201);
    await statusOf(fresh.id, 'Revoked');
  });

  it('extends a live activation instead of granting twice when two activations race', async () => {
    const [a, b] = await Promise.all([activate(), activate()]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    const ids = [(await readJson(a)).id, (await readJson(b)).id];
    const statuses = await eventually(async () => {
      const rows = await Promise.all(
        ids.map(async (id) => (await readJson(await call('alex', 'GET', `${ROLE_REQUESTS}/${id}`))).status),
      );
      return rows.every((s) => s === 'Provisioned') ? rows : undefined;
    });
    expect(statuses).toEqual(['Provisioned', 'Provisioned']);
    expect(await canRead()).toBe(true);
    // One grant only: deactivating once ends access.
    expect((await deactivate()).status).toBe(201);
    await eventually(async () => ((await canRead()) === false ? true : undefined));
    expect((await deactivate()).status).toBe(400); // nothing left to deactivate
  });

  it('starts a fresh grant when activating right after a deactivation', async () => {
    const first = await readJson(await activate());
    await statusOf(first.id, 'Provisioned');
    expect((await deactivate()).status).toBe(201);
    await eventually(async () => ((await canRead()) === false ? true : undefined));
    const second = await readJson(await activate());
    expect(second.id).not.toBe(first.id);
    await statusOf(second.id, 'Provisioned');
    await eventually(async () => ((await canRead()) === true ? true : undefined));
    expect((await deactivate()).status).toBe(201);
    await eventually(async () => ((await canRead()) === false ? true : undefined));
  });

  it('lets exactly one of a concurrent approve and deny win', async () => {
    const policy = await readJson(await call('megan', 'GET', POLICY));
    const approval = policy.rules.find((r: { id: string }) => r.id === 'Approval_EndUser_Assignment');
    approval.setting.isApprovalRequired = true;
    approval.setting.approvalStages[0].primaryApprovers = [DEMO_USERS.adele.id, DEMO_USERS.megan.id].map(
      (userId) => ({ '@odata.type': '#microsoft.graph.singleUser', userId }),
    );
    expect(
      (await call('megan', 'PATCH', `${POLICY}/rules/Approval_EndUser_Assignment`, approval)).status,
    ).toBe(200);

    const request = await readJson(await activate());
    await statusOf(request.id, 'PendingApproval');
    const approvalState = await approvalOf('adele', request.approvalId);
    // Adele sees what she is asked to decide: who, which role, and why; Lee, not an approver, does not.
    const waiting = await eventually(async () => {
      const mine = await readJson(
        await call('adele', 'GET', `${ROLE_REQUESTS}/filterByCurrentUser(on='approver')`),
      );
      return mine.value.find((r: { id: string }) => r.id === request.id);
    });
    expect(waiting).toMatchObject({
      principalId: alex,
      roleDefinitionId: ROLE_IDS.securityReader,
      status: 'PendingApproval',
    });
    expect((await call('adele', 'GET', `${ROLE_REQUESTS}/${request.id}`)).status).toBe(200);
    expect((await call('other', 'GET', `${ROLE_REQUESTS}/${request.id}`)).status).toBe(404);
    const lees = await readJson(
      await call('other', 'GET', `${ROLE_REQUESTS}/filterByCurrentUser(on='approver')`),
    );
    expect(lees.value).toEqual([]);
    const step = `${APPROVALS}/${request.approvalId}/steps/${approvalState.stages[0].id}`;
    const [yes, no] = await Promise.all([
      call('adele', 'PATCH', step, { reviewResult: 'Approve', justification: 'ok' }),
      call('megan', 'PATCH', step, { reviewResult: 'Deny', justification: 'no' }),
    ]);
    expect([yes.status, no.status].sort()).toEqual([204, 409]);
    const final = yes.status === 204 ? 'Provisioned' : 'Denied';
    await statusOf(request.id, final);
    expect(await canRead()).toBe(final === 'Provisioned');
  });

  it('answers access checks about others only to readers', async () => {
    expect(
      (
        await call('other', 'POST', '/api/v1.0/access/check', {
          principalId: alex,
          action: ACTIONS.purgeEmail,
        })
      ).status,
    ).toBe(403);
    const asReader = await call('reader', 'POST', '/api/v1.0/access/check', {
      principalId: alex,
      action: ACTIONS.purgeEmail,
    });
    expect(asReader.status).toBe(200);
    expect((await readJson(asReader)).allowed).toBe(false);
    const bad = await call('reader', 'POST', '/api/v1.0/access/check', { action: 42 });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).error.details[0].target).toBe('action');
  });

  it('asks the approver again for an extension when the policy says so, and keeps the old end on a denial', async () => {
    if ((await deactivate()).status === 201)
      // whatever the earlier tests left active
      await eventually(async () => ((await canRead()) === false ? true : undefined));
    const policy = await readJson(await call('megan', 'GET', POLICY));
    const approval = policy.rules.find((r: { id: string }) => r.id === 'Approval_EndUser_Assignment');
    approval.setting.isApprovalRequired = false;
    approval.setting.isApprovalRequiredForExtension = true;
    approval.setting.approvalStages[0].isApproverJustificationRequired = false;
    approval.setting.approvalStages[0].primaryApprovers = [
      { '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS.adele.id },
    ];
    expect(
      (await call('megan', 'PATCH', `${POLICY}/rules/Approval_EndUser_Assignment`, approval)).status,
    ).toBe(200);

    const first = await readJson(await activate()); // no approval for the activation itself
    await statusOf(first.id, 'Provisioned');
    const endOfGrant = async () => {
      const mine = await readJson(
        await call('alex', 'GET', `${INSTANCES}/filterByCurrentUser(on='principal')`),
      );
      return mine.value.find((i: { assignmentType: string }) => i.assignmentType === 'Activated')
        ?.endDateTime;
    };
    const before = await endOfGrant();
    expect(before).toBeTruthy();

    const extendBy = (duration: string) =>
      call('alex', 'POST', ROLE_REQUESTS, {
        action: 'selfActivate',
        principalId: alex,
        roleDefinitionId: ROLE_IDS.securityReader,
        directoryScopeId: '/',
        justification: 'the investigation runs late',
        scheduleInfo: { expiration: { type: 'afterDuration', duration } },
      });
    const decide = async (id: string, reviewResult: 'Approve' | 'Deny') => {
      const pending = await statusOf(id, 'PendingApproval');
      const state = await approvalOf('adele', pending.approvalId);
      const step = `${APPROVALS}/${pending.approvalId}/steps/${state.stages[0].id}`;
      expect((await call('adele', 'PATCH', step, { reviewResult })).status).toBe(204);
    };

    // Denied: the window keeps its end.
    const denied = await readJson(await extendBy('PT7H'));
    expect(denied.status).toBe('PendingApproval');
    await decide(denied.id, 'Deny');
    await statusOf(denied.id, 'Denied');
    expect(await endOfGrant()).toBe(before);

    // Approved after virtual time passed: the end moves to the decision's time plus the duration.
    await fetch(`${host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: 'PT2H' }),
    });
    const approved = await readJson(await extendBy('PT8H'));
    await decide(approved.id, 'Approve');
    await statusOf(approved.id, 'Provisioned');
    const after = await eventually(async () => {
      const end = await endOfGrant();
      return end !== before ? end : undefined;
    });
    expect(Date.parse(after) - Date.parse(before)).toBeGreaterThanOrEqual(2 * 3600_000 - 60_000);
    expect((await deactivate()).status).toBe(201);
  });

  it('asks the members of an approver group, and the requester is never among the approvers', async () => {
    if ((await deactivate()).status === 201)
      await eventually(async () => ((await canRead()) === false ? true : undefined));
    // Megan makes a group of approvers: Adele, and Alex himself (who still may not approve his own).
    const group = await readJson(
      await call('megan', 'POST', '/api/v1.0/groups', {
        displayName: 'SOC approvers',
        isAssignableToRole: false,
      }),
    );
    for (const member of [DEMO_USERS.adele.id, alex])
      expect(
        (await call('megan', 'POST', `/api/v1.0/groups/${group.id}/members`, { memberId: member })).status,
      ).toBe(201);
    const policy = await readJson(await call('megan', 'GET', POLICY));
    const approval = policy.rules.find((r: { id: string }) => r.id === 'Approval_EndUser_Assignment');
    approval.setting.isApprovalRequired = true;
    approval.setting.isApprovalRequiredForExtension = false;
    approval.setting.approvalStages[0].isApproverJustificationRequired = false;
    approval.setting.approvalStages[0].primaryApprovers = [
      { '@odata.type': '#microsoft.graph.groupMembers', groupId: group.id },
    ];
    expect(
      (await call('megan', 'PATCH', `${POLICY}/rules/Approval_EndUser_Assignment`, approval)).status,
    ).toBe(200);

    const request = await readJson(await activate());
    await statusOf(request.id, 'PendingApproval');
    const inbox = async (user: DemoUserKey) =>
      (await readJson(await call(user, 'GET', `${APPROVALS}/filterByCurrentUser(on='approver')`))).value.map(
        (a: { id: string }) => a.id,
      );
    await eventually(async () => ((await inbox('adele')).includes(request.approvalId) ? true : undefined));
    expect(await inbox('alex')).not.toContain(request.approvalId);
    const state = await approvalOf('adele', request.approvalId);
    const step = `${APPROVALS}/${request.approvalId}/steps/${state.stages[0].id}`;
    expect((await call('alex', 'PATCH', step, { reviewResult: 'Approve' })).status).toBe(403);
    expect((await call('adele', 'PATCH', step, { reviewResult: 'Approve' })).status).toBe(204);
    await statusOf(request.id, 'Provisioned');
    expect(await canRead()).toBe(true);
    expect((await deactivate()).status).toBe(201);
  });
});
