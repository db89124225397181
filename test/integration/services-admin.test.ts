// The admin use cases on Azurite: role definitions, schedule requests for roles and groups,
// policy rules with If-Match, groups and members; each writes its change with an audit row.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AppError,
  ForbiddenError,
  NotFoundError,
  PolicyValidationError,
  PreconditionFailedError,
} from '../../shared/domain/errors';
import { policyIdFor, RuleId } from '../../shared/domain/policy';
import { toRoleScheduleRequest } from '../../shared/domain/requests';
import { BuiltInRoleId, Permission } from '../../shared/domain/roles';
import type { Services } from '../../shared/services';
import { userContext } from '../../shared/services/context';
import { adminCtx, DAY, HOUR, isolateTables, makeServices, newUser, TestClock } from './services-fixtures';

isolateTables();

const clock = new TestClock();
let s: Services;
beforeAll(async () => {
  s = makeServices(clock);
  await s.startup();
});

const auditsOf = async (targetId: string) =>
  (await s.stores.audit.query({ criteria: { targetId }, top: 100 })).items;
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof AppError ? e.code : String(e)),
  );
const permanent = { expiration: { type: 'noExpiration' } };

describe('role definitions', () => {
  it('lists the built-ins after startup', async () => {
    const roles = await s.roleDefinitions.list(adminCtx(), { top: 100 });
    expect(roles.items.map((r) => r.displayName)).toEqual(
      expect.arrayContaining([
        'Global Administrator',
        'Privileged Role Administrator',
        'Security Reader',
        'Search and Purge',
      ]),
    );
    expect(
      await code(s.roleDefinitions.update(adminCtx(), BuiltInRoleId.securityReader, { description: 'x' })),
    ).toBe('BuiltInRoleDefinitionReadOnly');
  });

  it('creates, updates with If-Match, refuses duplicates, and deletes only when unassigned', async () => {
    const ctx = adminCtx();
    const created = await s.roleDefinitions.create(ctx, {
      displayName: 'Mail Triage',
      rolePermissions: [{ allowedResourceActions: ['microsoft.office365.securityComplianceCenter/*/read'] }],
    });
    expect(created.value).toMatchObject({ isBuiltIn: false, isEnabled: true, description: '' });
    expect(created.etag).not.toBe('');
    expect(
      await code(
        s.roleDefinitions.create(ctx, {
          displayName: 'mail triage',
          rolePermissions: [{ allowedResourceActions: ['a'] }],
        }),
      ),
    ).toBe('RoleDefinitionAlreadyExists');

    const updated = await s.roleDefinitions.update(
      ctx,
      created.value.id,
      { description: 'Reads mail threats' },
      created.etag,
    );
    expect(updated.value.description).toBe('Reads mail threats');
    await expect(
      s.roleDefinitions.update(ctx, created.value.id, { description: 'stale' }, created.etag),
    ).rejects.toBeInstanceOf(PreconditionFailedError);

    const user = newUser();
    await s.requests.submitRoleRequest(ctx, 'eligibility', {
      action: 'adminAssign',
      principalId: user.id,
      roleDefinitionId: created.value.id,
      scheduleInfo: permanent,
    });
    expect(await code(s.roleDefinitions.delete(ctx, created.value.id))).toBe('RoleDefinitionInUse');
    await s.requests.submitRoleRequest(ctx, 'eligibility', {
      action: 'adminRemove',
      principalId: user.id,
      roleDefinitionId: created.value.id,
    });
    await s.roleDefinitions.delete(ctx, created.value.id);
    await expect(s.roleDefinitions.get(ctx, created.value.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(
      await code(
        s.requests.submitRoleRequest(ctx, 'eligibility', {
          action: 'adminAssign',
          principalId: user.id,
          roleDefinitionId: created.value.id,
        }),
      ),
    ).toBe('RoleDefinitionNotFound');
    expect((await auditsOf(created.value.id)).map((a) => a.activityDisplayName)).toEqual(
      expect.arrayContaining(['Add role definition', 'Update role definition', 'Delete role definition']),
    );
  });

  it('only administrators change roles', async () => {
    const plain = userContext(newUser());
    await expect(
      s.roleDefinitions.create(plain, {
        displayName: 'Nope',
        rolePermissions: [{ allowedResourceActions: ['*'] }],
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('role schedule requests', () => {
  it('adminAssign, adminUpdate, adminExtend, adminRemove and adminRenew an eligibility, each audited', async () => {
    const ctx = adminCtx();
    const alex = newUser('Alex');
    await s.users.ensureUser(alex);
    const base = {
      principalId: alex.id,
      roleDefinitionId: BuiltInRoleId.securityReader,
      directoryScopeId: '/',
    };

    const assigned = await s.requests.submitRoleRequest(ctx, 'eligibility', {
      action: 'AdminAssign',
      ...base,
      justification: 'analyst',
      scheduleInfo: permanent,
    });
    expect(toRoleScheduleRequest(assigned)).toMatchObject({
      action: 'adminAssign',
      status: 'Provisioned',
      principalId: alex.id,
      roleDefinitionId: BuiltInRoleId.securityReader,
      directoryScopeId: '/',
      scheduleInfo: { expiration: { type: 'noExpiration', endDateTime: null } },
      createdBy: { user: { id: ctx.actor.kind === 'user' ? ctx.actor.id : '' } },
    });
    expect(
      await code(s.requests.submitRoleRequest(ctx, 'eligibility', { action: 'adminAssign', ...base })),
    ).toBe('RoleAssignmentExists');

    await s.requests.submitRoleRequest(ctx, 'eligibility', {
      action: 'adminUpdate',
      ...base,
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P30D' } },
    });
    let schedules = await s.schedules.listSchedules(
      ctx,
      'role',
      'eligibility',
      { principalId: alex.id },
      { top: 10 },
    );
    expect(schedules.items).toHaveLength(1);
    const end30 = schedules.items[0]!.endDateTime!;
    expect(Date.parse(end30) - Date.parse(schedules.items[0]!.startDateTime)).toBe(30 * DAY);

    await s.requests.submitRoleRequest(ctx, 'eligibility', {
      action: 'adminExtend',
      ...base,
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P60D' } },
    });
    schedules = await s.schedules.listSchedules(
      ctx,
      'role',
      'eligibility',
      { principalId: alex.id },
      { top: 10 },
    );
    expect(Date.parse(schedules.items[0]!.endDateTime!)).toBeGreaterThan(Date.parse(end30));

    // Past its end the schedule is history: no instance, and renew brings it back.
    clock.advance(61 * DAY);
    expect(
      (
        await s.schedules.listSchedules(
          ctx,
          'role',
          'eligibility',
          { principalId: alex.id, instances: true },
          { top: 10 },
        )
      ).items,
    ).toEqual([]);
    expect(
      await code(s.requests.submitRoleRequest(ctx, 'eligibility', { action: 'adminRemove', ...base })),
    ).toBe('RoleAssignmentDoesNotExist');
    await s.requests.submitRoleRequest(ctx, 'eligibility', {
      action: 'adminRenew',
      ...base,
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P7D' } },
    });
    expect(
      (
        await s.schedules.listSchedules(
          ctx,
          'role',
          'eligibility',
          { principalId: alex.id, instances: true },
          { top: 10 },
        )
      ).items,
    ).toHaveLength(1);

    const removed = await s.requests.submitRoleRequest(ctx, 'eligibility', {
      action: 'adminRemove',
      ...base,
    });
    expect(removed.status).toBe('Revoked');
    expect(
      (await s.schedules.listSchedules(ctx, 'role', 'eligibility', { principalId: alex.id }, { top: 10 }))
        .items,
    ).toEqual([]);

    const activities = (await auditsOf(alex.id)).map((a) => a.activityDisplayName);
    expect(activities).toEqual(
      expect.arrayContaining([
        'Add eligible member to role in PIM completed (permanent)',
        'Update eligible member in role in PIM completed (timebound)',
        'Extend eligible member in role in PIM completed (timebound)',
        'Renew eligible member in role in PIM completed (timebound)',
        'Remove eligible member from role in PIM completed',
        'Add user',
      ]),
    );
    const row = (await auditsOf(assigned.id))[0]!;
    expect(row).toMatchObject({
      category: 'RoleManagement',
      loggedByService: 'PIM',
      result: 'success',
      correlationId: ctx.correlationId,
    });
    expect(row.additionalDetails).toEqual(
      expect.arrayContaining([
        { key: 'Justification', value: 'analyst' },
        { key: 'RequestId', value: assigned.id },
      ]),
    );
    expect(row.targetResources.map((t) => t.displayName)).toEqual([
      'Security Reader',
      alex.displayName,
      null,
    ]);
  });

  it('enforces the admin policy rules with Graph error codes, and audits the refusal', async () => {
    const ctx = adminCtx(false);
    const user = newUser();
    const roleDefinitionId = BuiltInRoleId.securityAdministrator;
    const policyId = policyIdFor({ kind: 'role', roleDefinitionId });
    await s.policies.patchRule(adminCtx(), policyId, RuleId.expirationAdminEligibility, {
      isExpirationRequired: true,
      maximumDuration: 'P90D',
    });
    await s.policies.patchRule(adminCtx(), policyId, RuleId.enablementAdminAssignment, {
      enabledRules: ['Justification', 'MultiFactorAuthentication'],
    });

    const eligible = s.requests.submitRoleRequest(ctx, 'eligibility', {
      action: 'adminAssign',
      principalId: user.id,
      roleDefinitionId,
      scheduleInfo: permanent,
    });
    await expect(eligible).rejects.toBeInstanceOf(PolicyValidationError);
    await expect(eligible).rejects.toThrow('The following policy rules failed: ["ExpirationRule"]');
    expect(
      await code(
        s.requests.submitRoleRequest(ctx, 'eligibility', {
          action: 'adminAssign',
          principalId: user.id,
          roleDefinitionId,
          scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P91D' } },
        }),
      ),
    ).toBe('RoleAssignmentRequestPolicyValidationFailed');
    const active = s.requests.submitRoleRequest(ctx, 'assignment', {
      action: 'adminAssign',
      principalId: user.id,
      roleDefinitionId,
    });
    await expect(active).rejects.toThrow('["MfaRule","JustificationRule"]');

    const failures = (await auditsOf(user.id)).filter((a) => a.result === 'failure');
    expect(failures.length).toBe(3);
    expect(failures[0]!.resultReason).toMatch(/policy rules failed/);

    // Within the rules it passes; validation-only requests store nothing.
    const dry = await s.requests
      .submitRoleRequest(adminCtx(true), 'assignment', {
        action: 'adminAssign',
        principalId: user.id,
        roleDefinitionId,
        justification: 'incident 7',
        isValidationOnly: true,
        scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT4M' } },
      })
      .catch((e: AppError) => e.code);
    expect(dry).toBe('ActiveDurationTooShort');
    const ok = await s.requests.submitRoleRequest(adminCtx(true), 'assignment', {
      action: 'adminAssign',
      principalId: user.id,
      roleDefinitionId,
      justification: 'incident 7',
      isValidationOnly: true,
    });
    expect(ok.isValidationOnly).toBe(true);
    expect(
      (
        await s.schedules.listSchedules(
          adminCtx(),
          'role',
          'assignment',
          { principalId: user.id },
          { top: 10 },
        )
      ).items,
    ).toEqual([]);
    await expect(s.schedules.getRequest(adminCtx(), 'role', 'assignment', ok.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('requests are visible to their principal and to readers, 404 to anyone else', async () => {
    const user = newUser();
    const r = await s.requests.submitRoleRequest(adminCtx(), 'eligibility', {
      action: 'adminAssign',
      principalId: user.id,
      roleDefinitionId: BuiltInRoleId.globalReader,
    });
    expect((await s.schedules.getRequest(userContext(user), 'role', 'eligibility', r.id)).id).toBe(r.id);
    await expect(
      s.schedules.getRequest(userContext(newUser()), 'role', 'eligibility', r.id),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(s.schedules.getRequest(adminCtx(), 'role', 'assignment', r.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(
      s.schedules.listSchedules(
        userContext(newUser()),
        'role',
        'eligibility',
        { principalId: user.id },
        { top: 10 },
      ),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(
      (
        await s.schedules.listRequests(
          userContext(user),
          'role',
          'eligibility',
          { principalId: user.id },
          { top: 10 },
        )
      ).items,
    ).toHaveLength(1);
    const byRole = await s.schedules.listSchedules(
      adminCtx(),
      'role',
      'eligibility',
      { resourceId: BuiltInRoleId.globalReader },
      { top: 10 },
    );
    expect(byRole.items.map((x) => x.principalId)).toContain(user.id);
  });
});

describe('policies', () => {
  it('PATCH a rule with If-Match: a concurrent edit gets 412, never a silent overwrite', async () => {
    const policyId = policyIdFor({ kind: 'role', roleDefinitionId: BuiltInRoleId.globalReader });
    const read = await s.policies.get(adminCtx(), policyId);
    const results = await Promise.allSettled([
      s.policies.patchRule(
        adminCtx(),
        policyId,
        RuleId.expirationEndUserAssignment,
        { maximumDuration: 'PT4H' },
        read.etag,
      ),
      s.policies.patchRule(
        adminCtx(),
        policyId,
        RuleId.expirationEndUserAssignment,
        { maximumDuration: 'PT2H' },
        read.etag,
      ),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(PreconditionFailedError);
    const won = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ etag: string }>)
      .value;
    const now = await s.policies.get(adminCtx(), policyId);
    expect(now.etag).toBe(won.etag);
    expect(now.value.lastModifiedBy?.displayName).toBe('Bootstrap Admin');

    expect(
      await code(
        s.policies.patchRule(adminCtx(), policyId, RuleId.expirationEndUserAssignment, {
          maximumDuration: 'eight hours',
        }),
      ),
    ).toBe('BadRequest');
    expect(await code(s.policies.patchRule(adminCtx(), policyId, 'Nope_Rule', {}))).toBe('ResourceNotFound');
    expect(
      await code(
        s.policies.patchRule(userContext(newUser()), policyId, RuleId.expirationEndUserAssignment, {}),
      ),
    ).toBe('Authorization_RequestDenied');
    const audit = (await auditsOf(policyId))[0]!;
    expect(audit).toMatchObject({ category: 'Policy', activityDisplayName: 'Update role setting in PIM' });
  });

  it('lists policies and policy assignments as Graph filters them', async () => {
    const assignments = await s.policies.listAssignments(
      adminCtx(),
      { scopeId: '/', scopeType: 'DirectoryRole', roleDefinitionId: BuiltInRoleId.securityReader },
      { top: 10 },
    );
    expect(assignments.items).toEqual([
      {
        id: `DirectoryRole_${BuiltInRoleId.securityReader}_${BuiltInRoleId.securityReader}`,
        policyId: `DirectoryRole_${BuiltInRoleId.securityReader}`,
        scopeId: '/',
        scopeType: 'DirectoryRole',
        roleDefinitionId: BuiltInRoleId.securityReader,
      },
    ]);
    const policies = await s.policies.list(
      adminCtx(),
      { scopeId: '/', scopeType: 'Directory' },
      { top: 100 },
    );
    expect(policies.items.length).toBeGreaterThanOrEqual(6);
  });
});

describe('groups', () => {
  it('creates a role-assignable group, manages members, and lets it hold a role', async () => {
    const ctx = adminCtx();
    const group = await s.groups.create(ctx, { displayName: 'Responders', isAssignableToRole: true });
    const plainGroup = await s.groups.create(ctx, { displayName: 'Plain' });
    const member = newUser();
    await s.groups.addMember(ctx, group.value.id, member.id);
    expect(await code(s.groups.addMember(ctx, group.value.id, member.id))).toBe('MemberAlreadyExists');
    expect(
      (await s.groups.listMembers(ctx, group.value.id, { top: 10 })).items.map((m) => m.principalId),
    ).toEqual([member.id]);

    await s.requests.submitRoleRequest(ctx, 'assignment', {
      action: 'adminAssign',
      principalId: group.value.id,
      roleDefinitionId: BuiltInRoleId.searchAndPurge,
      justification: 'group holds the role',
    });
    expect(
      await code(
        s.requests.submitRoleRequest(ctx, 'assignment', {
          action: 'adminAssign',
          principalId: plainGroup.value.id,
          roleDefinitionId: BuiltInRoleId.searchAndPurge,
          justification: 'x',
        }),
      ),
    ).toBe('BadRequest');
    expect((await s.access.check(member.id, Permission.purgeMail, '/', clock.now())).grants).toMatchObject([
      { memberType: 'Group', viaGroupId: group.value.id, roleDefinitionId: BuiltInRoleId.searchAndPurge },
    ]);

    await s.groups.removeMember(ctx, group.value.id, member.id);
    expect((await s.access.check(member.id, Permission.purgeMail, '/', clock.now())).allowed).toBe(false);
    await expect(s.groups.removeMember(ctx, group.value.id, member.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await auditsOf(group.value.id)).map((a) => a.activityDisplayName)).toEqual(
      expect.arrayContaining([
        'Add group',
        'Add member to group',
        'Remove member from group',
        'Add member to role in PIM completed (permanent)',
      ]),
    );
    expect(await code(s.groups.create(ctx, { displayName: 'x', mailEnabled: true }))).toBe('BadRequest');
  });

  it('privileged group eligibility for member and owner, with the group policy', async () => {
    const ctx = adminCtx();
    const group = await s.groups.create(ctx, { displayName: 'PIM group', isAssignableToRole: true });
    const user = newUser();
    for (const accessId of ['member', 'Owner']) {
      await s.requests.submitGroupRequest(ctx, 'eligibility', {
        action: 'adminAssign',
        principalId: user.id,
        groupId: group.value.id,
        accessId,
      });
    }
    const mine = await s.schedules.listSchedules(
      userContext(user),
      'group',
      'eligibility',
      { principalId: user.id },
      { top: 10 },
    );
    expect(mine.items.map((x) => (x.target.kind === 'group' ? x.target.accessId : '')).sort()).toEqual([
      'member',
      'owner',
    ]);
    expect(
      await code(
        s.requests.submitGroupRequest(ctx, 'eligibility', {
          action: 'adminAssign',
          principalId: group.value.id,
          groupId: group.value.id,
          accessId: 'member',
        }),
      ),
    ).toBe('BadRequest');
    expect(
      await code(
        s.requests.submitGroupRequest(ctx, 'eligibility', {
          action: 'selfActivate',
          principalId: user.id,
          groupId: group.value.id,
          accessId: 'member',
        }),
      ),
    ).toBe('UnsupportedAction');
    expect(
      await code(
        s.requests.submitGroupRequest(ctx, 'eligibility', {
          action: 'adminAssign',
          principalId: user.id,
          groupId: '00000000-0000-4000-8000-000000000000',
          accessId: 'member',
        }),
      ),
    ).toBe('GroupNotFound');
    const before = await s.stores.roleManagement.schedules(
      { kind: 'group', id: group.value.id },
      'eligibility',
    );
    expect(before).toHaveLength(2);
  });
});

describe('time', () => {
  it('an assignment past its end grants nothing, before any cleanup ran', async () => {
    const user = newUser();
    await s.requests.submitRoleRequest(adminCtx(), 'assignment', {
      action: 'adminAssign',
      principalId: user.id,
      roleDefinitionId: BuiltInRoleId.securityReader,
      justification: 'short',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
    });
    const now = clock.now();
    expect(await s.access.canRead(user.id, now)).toBe(true);
    expect(await s.access.canRead(user.id, new Date(now.getTime() + HOUR - 1000))).toBe(true);
    expect(await s.access.canRead(user.id, new Date(now.getTime() + HOUR))).toBe(false);
    expect(await s.access.rolesOf(user.id, new Date(now.getTime() - 1000))).toEqual([]);
  });
});
