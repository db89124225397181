import { describe, expect, it } from 'vitest';
import { PolicyValidationError } from '../../shared/domain/errors';
import {
  applyRulePatch,
  defaultPolicy,
  EnablementRule,
  findRule,
  RoleManagementPolicy as PolicySchema,
  parsePolicyId,
  policyAssignmentFor,
  policyIdFor,
  type RoleManagementPolicy,
  RuleId,
} from '../../shared/domain/policy';
import { activationEvaluation, adminRequestFailures } from '../../shared/domain/policy-evaluation';
import { GroupScheduleRequestInput, RoleScheduleRequestInput } from '../../shared/domain/requests';
import { BuiltInRoleId } from '../../shared/domain/roles';
import type { Window } from '../../shared/domain/schedule-info';

const START = new Date('2030-01-01T08:00:00.000Z');
const hours = (h: number): Window => ({ start: START, end: new Date(START.getTime() + h * 3_600_000) });
const days = (d: number): Window => hours(d * 24);
const permanent: Window = { start: START, end: null };

function withRule(
  policy: RoleManagementPolicy,
  ruleId: string,
  patch: Record<string, unknown>,
): RoleManagementPolicy {
  const rule = policy.rules.find((r) => r.id === ruleId)!;
  const result = applyRulePatch(rule, patch);
  if (!result.success) throw result.error;
  return { ...policy, rules: policy.rules.map((r) => (r.id === ruleId ? result.rule : r)) };
}

const rolePolicy = () => defaultPolicy({ kind: 'role', roleDefinitionId: BuiltInRoleId.securityReader });

describe('policies', () => {
  it('have Graph rule ids and types, and parse with the schema', () => {
    const policy = rolePolicy();
    expect(PolicySchema.parse(policy)).toEqual(policy);
    expect(policy.rules.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'Expiration_Admin_Eligibility',
        'Enablement_Admin_Eligibility',
        'Expiration_Admin_Assignment',
        'Enablement_Admin_Assignment',
        'Expiration_EndUser_Assignment',
        'Enablement_EndUser_Assignment',
        'Approval_EndUser_Assignment',
        'Notification_Admin_Admin_Eligibility',
        'Notification_Requestor_EndUser_Assignment',
        'Notification_Approver_EndUser_Assignment',
      ]),
    );
    expect(policy.rules).toHaveLength(17);
  });

  it('ids name what they govern, and policy assignments link them', () => {
    const role = { kind: 'role', roleDefinitionId: BuiltInRoleId.securityReader } as const;
    const group = {
      kind: 'group',
      groupId: '7c1e3d2a-5b4f-4e8a-9d6c-2f0b1a3e5c71',
      accessId: 'member',
    } as const;
    expect(parsePolicyId(policyIdFor(role))).toEqual(role);
    expect(parsePolicyId(policyIdFor(group))).toEqual(group);
    expect(parsePolicyId('DirectoryRole_not-a-guid')).toBeUndefined();
    expect(policyAssignmentFor(role)).toMatchObject({
      scopeId: '/',
      scopeType: 'DirectoryRole',
      roleDefinitionId: role.roleDefinitionId,
    });
    expect(policyAssignmentFor(group)).toMatchObject({
      scopeId: group.groupId,
      scopeType: 'Group',
      roleDefinitionId: 'member',
    });
  });

  it('rule PATCH keeps id, type and target, and lists every bad field', () => {
    const rule = rolePolicy().rules.find((r) => r.id === RuleId.enablementEndUserAssignment)!;
    const ok = applyRulePatch(rule, {
      enabledRules: ['justification', 'Ticketing'],
      target: { caller: 'Admin' },
    });
    expect(ok.success && ok.rule).toMatchObject({
      enabledRules: ['Justification', 'Ticketing'],
      target: rule.target,
    });
    const bad = applyRulePatch(rule, { enabledRules: ['Prayer'], bogus: 1 });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.error.issues.length).toBe(2);
    const otherType = applyRulePatch(rule, {
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
    });
    expect(otherType.success).toBe(false);
  });

  it('an approval rule requiring approval needs an approver', () => {
    const rule = rolePolicy().rules.find((r) => r.id === RuleId.approvalEndUserAssignment)!;
    if (rule['@odata.type'] !== '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule')
      throw new Error('type');
    const patch = (approvers: unknown[]) =>
      applyRulePatch(rule, {
        setting: {
          ...rule.setting,
          isApprovalRequired: true,
          approvalStages: [{ ...rule.setting.approvalStages[0], primaryApprovers: approvers }],
        },
      });
    expect(patch([]).success).toBe(false);
    expect(
      patch([
        { '@odata.type': '#microsoft.graph.singleUser', userId: 'F1F694CB-93D3-4BBF-8D8B-A9018F1B11CC' },
      ]).success,
    ).toBe(true);
  });
});

describe('admin request evaluation', () => {
  const facts = (window: Window, extra: object = {}) => ({
    window,
    justification: 'because',
    mfaSatisfied: false,
    ...extra,
  });

  it('allows permanent eligibility by default, and enforces the maximum once an end is required', () => {
    const policy = rolePolicy();
    expect(adminRequestFailures(policy, 'eligibility', facts(permanent))).toEqual([]);
    const strict = withRule(policy, RuleId.expirationAdminEligibility, {
      isExpirationRequired: true,
      maximumDuration: 'P30D',
    });
    expect(adminRequestFailures(strict, 'eligibility', facts(permanent))).toEqual(['ExpirationRule']);
    expect(adminRequestFailures(strict, 'eligibility', facts(days(30)))).toEqual([]);
    expect(adminRequestFailures(strict, 'eligibility', facts(days(31)))).toEqual(['ExpirationRule']);
  });

  it('requires a justification on active assignments by default, and MFA and ticket when enabled', () => {
    const policy = rolePolicy();
    expect(adminRequestFailures(policy, 'assignment', facts(permanent, { justification: '  ' }))).toEqual([
      'JustificationRule',
    ]);
    const strict = withRule(policy, RuleId.enablementAdminAssignment, {
      enabledRules: ['Justification', 'MultiFactorAuthentication', 'Ticketing'],
    });
    expect(adminRequestFailures(strict, 'assignment', facts(permanent, { justification: null }))).toEqual([
      'MfaRule',
      'JustificationRule',
      'TicketingRule',
    ]);
    expect(
      adminRequestFailures(
        strict,
        'assignment',
        facts(permanent, { mfaSatisfied: true, ticketInfo: { ticketNumber: 'INC1' } }),
      ),
    ).toEqual([]);
    // The eligibility level is governed by its own rules.
    expect(adminRequestFailures(strict, 'eligibility', facts(permanent, { justification: null }))).toEqual(
      [],
    );
  });

  it('names the failed rules in Graph error code and message', () => {
    const e = new PolicyValidationError(['ExpirationRule', 'JustificationRule']);
    expect(e.code).toBe('RoleAssignmentRequestPolicyValidationFailed');
    expect(e.status).toBe(400);
    // Graph's words first (clients parse the list), then what would pass.
    expect(e.message).toMatch(
      /^The following policy rules failed: \["ExpirationRule","JustificationRule"\]\. /,
    );
    expect(e.details.map((d) => d.target)).toEqual(['ExpirationRule', 'JustificationRule']);
    const hinted = new PolicyValidationError(['ExpirationRule'], {
      maximumDuration: 'P30D',
      expirationRequired: false,
    });
    expect(hinted.message).toContain('at most P30D: ask for P30D or less');
  });
});

describe('end-user activation evaluation', () => {
  const seedsSecurityReader = () => {
    let p = withRule(rolePolicy(), RuleId.enablementEndUserAssignment, {
      enabledRules: ['MultiFactorAuthentication'],
    });
    const approval = p.rules.find((r) => r.id === RuleId.approvalEndUserAssignment)!;
    if (approval['@odata.type'] !== '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule')
      throw new Error('type');
    p = withRule(p, RuleId.approvalEndUserAssignment, {
      setting: { ...approval.setting, isRequestorJustificationRequired: false },
    });
    return p;
  };

  it("the seeds' Security Reader: 8 hours at most, MFA, no justification", () => {
    const p = seedsSecurityReader();
    expect(activationEvaluation(p, { window: hours(8), mfaSatisfied: true })).toMatchObject({
      failedRules: [],
      mfaRequired: true,
      approvalRequired: false,
      maximumDuration: 'PT8H',
    });
    expect(activationEvaluation(p, { window: hours(9), mfaSatisfied: true }).failedRules).toEqual([
      'ExpirationRule',
    ]);
    expect(activationEvaluation(p, { window: hours(1), mfaSatisfied: false }).failedRules).toEqual([
      'MfaRule',
    ]);
  });

  it('never allows a permanent activation, whatever the stored flag', () => {
    const p = withRule(rolePolicy(), RuleId.expirationEndUserAssignment, { isExpirationRequired: false });
    expect(
      activationEvaluation(p, { window: permanent, mfaSatisfied: true, justification: 'x' }).failedRules,
    ).toEqual(['ExpirationRule']);
  });

  it('the group member policy: MFA, justification and ticket; approval by configured approvers', () => {
    let p = withRule(
      defaultPolicy({ kind: 'group', groupId: '7c1e3d2a-5b4f-4e8a-9d6c-2f0b1a3e5c71', accessId: 'member' }),
      RuleId.enablementEndUserAssignment,
      {
        enabledRules: ['MultiFactorAuthentication', 'Justification', 'Ticketing'],
      },
    );
    expect(activationEvaluation(p, { window: hours(2), mfaSatisfied: false }).failedRules).toEqual([
      'MfaRule',
      'JustificationRule',
      'TicketingRule',
    ]);
    const approval = p.rules.find((r) => r.id === RuleId.approvalEndUserAssignment)!;
    if (approval['@odata.type'] !== '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule')
      throw new Error('type');
    const approver = {
      '@odata.type': '#microsoft.graph.singleUser',
      userId: 'f1f694cb-93d3-4bbf-8d8b-a9018f1b11cc',
    };
    p = withRule(p, RuleId.approvalEndUserAssignment, {
      setting: {
        ...approval.setting,
        isApprovalRequired: true,
        approvalStages: [{ ...approval.setting.approvalStages[0], primaryApprovers: [approver] }],
      },
    });
    const ok = activationEvaluation(p, {
      window: hours(2),
      mfaSatisfied: true,
      justification: 'INC',
      ticketInfo: { ticketNumber: '42' },
    });
    expect(ok.failedRules).toEqual([]);
    expect(ok.approvalRequired).toBe(true);
    expect(ok.approvalStages?.[0]?.primaryApprovers).toEqual([{ ...approver, description: null }]); // Graph's null when none
    expect(
      activationEvaluation(
        p,
        { window: hours(2), mfaSatisfied: true, justification: 'x', ticketInfo: { ticketNumber: '1' } },
        'extend',
      ).approvalRequired,
    ).toBe(false);
    expect(findRule(p, RuleId.enablementEndUserAssignment, EnablementRule)?.enabledRules).toHaveLength(3);
  });
});

describe('request bodies', () => {
  it('accept Graph enums in any case and normalise ids', () => {
    const body = RoleScheduleRequestInput.parse({
      action: 'AdminAssign',
      principalId: '94EB658C-E0DD-4D98-AE7C-C27DD87B5925',
      roleDefinitionId: BuiltInRoleId.securityReader,
      scheduleInfo: {
        startDateTime: '2030-01-01T10:00:00+02:00',
        expiration: { type: 'AfterDuration', duration: 'PT8H' },
      },
    });
    expect(body).toMatchObject({
      action: 'adminAssign',
      principalId: '94eb658c-e0dd-4d98-ae7c-c27dd87b5925',
      directoryScopeId: '/',
      isValidationOnly: false,
      scheduleInfo: { startDateTime: '2030-01-01T08:00:00.000Z', expiration: { type: 'afterDuration' } },
    });
  });

  it('refuse unknown fields, bad scopes and inconsistent expirations, naming each', () => {
    const r = RoleScheduleRequestInput.safeParse({
      action: 'adminAssign',
      principalId: 'nope',
      roleDefinitionId: BuiltInRoleId.securityReader,
      directoryScopeId: '/a/',
      justfication: 'typo',
      scheduleInfo: { expiration: { type: 'afterDuration' } },
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => [...i.path, ...('keys' in i ? i.keys : [])].join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'principalId',
        'directoryScopeId',
        'justfication',
        'scheduleInfo.expiration.duration',
      ]),
    );
    expect(
      GroupScheduleRequestInput.safeParse({
        action: 'adminAssign',
        principalId: BuiltInRoleId.securityReader,
        groupId: BuiltInRoleId.securityReader,
        accessId: 'Owner',
      }).data?.accessId,
    ).toBe('owner');
  });
});
