// The seeds' scenario (Defender for Office 365 with PIM), loaded idempotently: every step first
// looks at what is stored and writes only what is missing or different, so a second run changes
// nothing and writes no audit rows.
//   - users Alex Wilber (analyst), Adele Vance (approver), Megan Bowen (admin), Isaiah Langer
//     (reader), Lee Gu (plain user); ids from shared/auth/demo-users.ts, which tokens use too
//   - Security Reader: activation at most 8 hours, MFA on activation, no justification;
//     Alex permanently eligible at '/'; Isaiah active (permanent)
//   - Megan: active permanent Privileged Role Administrator
//   - group "Search and Purge PIM" (role-assignable) holding Search and Purge (active, permanent, '/');
//     Alex eligible as member; member activation requires MFA, justification and a ticket
//   - a quarterly access review of Security Reader eligibility, Adele reviewing
import { DEMO_USERS } from '../auth/demo-users';
import { ApprovalRule, findRule, type PolicyTarget, RuleId } from '../domain/policy';
import { BuiltInRoleId } from '../domain/roles';
import type { ScheduleLevel, Target } from '../domain/schedules';
import { resourceOfTarget } from '../storage/role-management-keys';
import { type OperationContext, systemContext } from './context';
import type { Services } from './index';

export const DEMO_GROUP_ID = '7c1e3d2a-5b4f-4e8a-9d6c-2f0b1a3e5c71';
export const DEMO_GROUP_NAME = 'Search and Purge PIM';

/** Approval by Adele on group activation: off in the seeds' scenario; one flag to demo approvals. */
export const SEARCH_AND_PURGE_APPROVAL_REQUIRED = false;

export interface DemoDataResult {
  /** How many writes this run made (0 when everything was already in place). */
  changes: number;
}

export async function loadDemoData(s: Services): Promise<DemoDataResult> {
  const ctx = systemContext('PIM demo data');
  let changes = 0;
  const count = (changed: boolean) => {
    if (changed) changes++;
  };

  await s.roleDefinitions.ensureBuiltIns();

  for (const user of Object.values(DEMO_USERS)) {
    const before = await s.stores.users.get(user.id);
    await s.users.ensureUser(
      { id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName },
      ctx,
    );
    count(!before || before.value.displayName !== user.displayName);
  }

  const securityReader: PolicyTarget = { kind: 'role', roleDefinitionId: BuiltInRoleId.securityReader };
  count(
    await patchRule(s, ctx, securityReader, RuleId.expirationEndUserAssignment, {
      isExpirationRequired: true,
      maximumDuration: 'PT8H',
    }),
  );
  count(
    await patchRule(s, ctx, securityReader, RuleId.enablementEndUserAssignment, {
      enabledRules: ['MultiFactorAuthentication'],
    }),
  );
  count(
    await patchApproval(s, ctx, securityReader, {
      isApprovalRequired: false,
      isRequestorJustificationRequired: false,
    }),
  );
  count(
    await patchRule(s, ctx, securityReader, RuleId.expirationAdminEligibility, {
      isExpirationRequired: false,
    }),
  );

  const role = (roleDefinitionId: string): Target => ({
    kind: 'role',
    roleDefinitionId,
    directoryScopeId: '/',
  });
  count(
    await assign(
      s,
      ctx,
      'eligibility',
      role(BuiltInRoleId.securityReader),
      DEMO_USERS.alex.id,
      'Day-to-day threat hunting (seeds: Alex, Security Reader)',
    ),
  );
  count(
    await assign(
      s,
      ctx,
      'assignment',
      role(BuiltInRoleId.securityReader),
      DEMO_USERS.reader.id,
      'Standing read access for the security reader persona',
    ),
  );
  count(
    await assign(
      s,
      ctx,
      'assignment',
      role(BuiltInRoleId.privilegedRoleAdministrator),
      DEMO_USERS.megan.id,
      'Demo administrator',
    ),
  );

  if (!(await s.stores.roleManagement.group(DEMO_GROUP_ID))) {
    await s.groups.create(
      ctx,
      {
        displayName: DEMO_GROUP_NAME,
        description: 'Members may purge email (Search and Purge) after activating membership in PIM.',
        isAssignableToRole: true,
        mailNickname: 'SearchAndPurgePIM',
      },
      { id: DEMO_GROUP_ID },
    );
    count(true);
  }
  count(
    await assign(
      s,
      ctx,
      'assignment',
      role(BuiltInRoleId.searchAndPurge),
      DEMO_GROUP_ID,
      'The group holds Search and Purge',
    ),
  );

  // The Search and Purge role is held through the group, whose activation asks for MFA; the role's
  // own policy does not (so the demo's alerts list it under "roles without MFA").
  count(
    await patchRule(
      s,
      ctx,
      { kind: 'role', roleDefinitionId: BuiltInRoleId.searchAndPurge },
      RuleId.enablementEndUserAssignment,
      { enabledRules: ['Justification'] },
    ),
  );

  const members: PolicyTarget = { kind: 'group', groupId: DEMO_GROUP_ID, accessId: 'member' };
  count(
    await patchRule(s, ctx, members, RuleId.enablementEndUserAssignment, {
      enabledRules: ['MultiFactorAuthentication', 'Justification', 'Ticketing'],
    }),
  );
  count(
    await patchApproval(s, ctx, members, {
      isApprovalRequired: SEARCH_AND_PURGE_APPROVAL_REQUIRED,
      isRequestorJustificationRequired: true,
      approvers: [DEMO_USERS.adele.id],
    }),
  );
  count(
    await assign(
      s,
      ctx,
      'eligibility',
      { kind: 'group', groupId: DEMO_GROUP_ID, accessId: 'member' },
      DEMO_USERS.alex.id,
      'Purge malicious mail when an investigation needs it',
    ),
  );
  count(await ensureDemoReview(s, ctx));
  return { changes };
}

export const DEMO_REVIEW_NAME = 'Security Reader eligibility (quarterly)';

/**
 * The seeds' "access reviews to ensure that users still need roles": Adele reviews Security Reader
 * eligibility every quarter; what she denies is removed at the end; what nobody decides stays.
 */
async function ensureDemoReview(s: Services, ctx: OperationContext): Promise<boolean> {
  const existing = await s.stores.reviews.definitions();
  if (existing.some((d) => d.value.displayName === DEMO_REVIEW_NAME)) return false;
  await s.reviews.createDefinition(ctx, {
    displayName: DEMO_REVIEW_NAME,
    descriptionForReviewers: 'Does each person still need to be able to activate Security Reader?',
    scope: {
      '@odata.type': '#microsoft.graph.accessReviewQueryScope',
      query: `/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '${BuiltInRoleId.securityReader}')`,
      queryType: 'MicrosoftGraph',
    },
    reviewers: [{ query: `/users/${DEMO_USERS.adele.id}`, queryType: 'MicrosoftGraph' }],
    settings: {
      instanceDurationInDays: 14,
      recommendationsEnabled: true,
      autoApplyDecisionsEnabled: true,
      recurrence: { pattern: { type: 'absoluteMonthly', interval: 3 }, range: { type: 'noEnd' } },
    },
  });
  return true;
}

/** adminAssign a permanent schedule unless the principal already has one for the target. */
async function assign(
  s: Services,
  ctx: OperationContext,
  level: ScheduleLevel,
  target: Target,
  principalId: string,
  justification: string,
): Promise<boolean> {
  const existing = await s.stores.roleManagement.schedules(resourceOfTarget(target), level, {
    principalId,
    notEndedAt: s.now(),
  });
  const same = existing.filter((e) =>
    target.kind === 'role'
      ? e.value.target.kind === 'role' && e.value.target.directoryScopeId === target.directoryScopeId
      : e.value.target.kind === 'group' && e.value.target.accessId === target.accessId,
  );
  if (same.length > 0) return false;
  const body = {
    action: 'adminAssign',
    principalId,
    justification,
    scheduleInfo: { expiration: { type: 'noExpiration' } },
  };
  if (target.kind === 'role') {
    await s.requests.submitRoleRequest(ctx, level, {
      ...body,
      roleDefinitionId: target.roleDefinitionId,
      directoryScopeId: target.directoryScopeId,
    });
  } else {
    await s.requests.submitGroupRequest(ctx, level, {
      ...body,
      groupId: target.groupId,
      accessId: target.accessId,
    });
  }
  return true;
}

/** PATCHes a rule only when the change would alter it. */
async function patchRule(
  s: Services,
  ctx: OperationContext,
  target: PolicyTarget,
  ruleId: string,
  patch: Record<string, unknown>,
): Promise<boolean> {
  const policy = await s.policies.forTarget(target);
  const rule = policy.value.rules.find((r) => r.id === ruleId) as Record<string, unknown> | undefined;
  if (rule && Object.entries(patch).every(([k, v]) => JSON.stringify(rule[k]) === JSON.stringify(v)))
    return false;
  await s.policies.patchRule(ctx, policy.value.id, ruleId, patch);
  return true;
}

async function patchApproval(
  s: Services,
  ctx: OperationContext,
  target: PolicyTarget,
  want: { isApprovalRequired: boolean; isRequestorJustificationRequired: boolean; approvers?: string[] },
): Promise<boolean> {
  const policy = await s.policies.forTarget(target);
  const rule = findRule(policy.value, RuleId.approvalEndUserAssignment, ApprovalRule);
  if (!rule) return false;
  const stage = rule.setting.approvalStages[0]!;
  const setting = {
    ...rule.setting,
    isApprovalRequired: want.isApprovalRequired,
    isRequestorJustificationRequired: want.isRequestorJustificationRequired,
    approvalStages: [
      {
        ...stage,
        primaryApprovers: want.approvers
          ? want.approvers.map((userId) => ({
              '@odata.type': '#microsoft.graph.singleUser' as const,
              userId,
              description: null,
            }))
          : stage.primaryApprovers,
      },
    ],
  };
  if (JSON.stringify(setting) === JSON.stringify(rule.setting)) return false;
  await s.policies.patchRule(ctx, policy.value.id, RuleId.approvalEndUserAssignment, { setting });
  return true;
}
