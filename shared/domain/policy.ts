// Role management policies (unifiedRoleManagementPolicy) with Graph's rule types and rule ids: one
// policy per directory role and one per privileged group and accessId, with Entra's defaults.
// Policy ids are derived from what they govern, so a policy needs no lookup table:
//   DirectoryRole_{roleDefinitionId}      Group_{groupId}_{member|owner}
// and a policy assignment's id is `{policyId}_{roleDefinitionId or accessId}` as in Graph.
import { z } from 'zod';
import { DurationString } from './duration';
import { ciEnum } from './enums';
import { type AccessId, AccessId as AccessIdSchema } from './groups';

const T = {
  expiration: '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
  enablement: '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule',
  approval: '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule',
  authContext: '#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule',
  notification: '#microsoft.graph.unifiedRoleManagementPolicyNotificationRule',
} as const;
export const RuleODataType = T;

export const RuleTarget = z.object({
  caller: z.enum(['Admin', 'EndUser']),
  // Graph's unifiedRoleManagementPolicyRuleTargetOperations, in Graph's (lower) case whatever is sent.
  operations: z.array(
    ciEnum([
      'all',
      'activate',
      'deactivate',
      'assign',
      'update',
      'remove',
      'extend',
      'renew',
      'unknownFutureValue',
    ]),
  ),
  level: z.enum(['Eligibility', 'Assignment']),
  inheritableSettings: z.array(z.string()),
  enforcedSettings: z.array(z.string()),
});
export type RuleTarget = z.infer<typeof RuleTarget>;

export const ENABLEMENT_RULES = ['MultiFactorAuthentication', 'Justification', 'Ticketing'] as const;
export type EnablementRuleName = (typeof ENABLEMENT_RULES)[number];

export const ExpirationRule = z.object({
  '@odata.type': z.literal(T.expiration),
  id: z.string(),
  isExpirationRequired: z.boolean(),
  maximumDuration: DurationString,
  target: RuleTarget,
});
export type ExpirationRule = z.infer<typeof ExpirationRule>;

export const EnablementRule = z.object({
  '@odata.type': z.literal(T.enablement),
  id: z.string(),
  enabledRules: z.array(ciEnum(ENABLEMENT_RULES)).max(3),
  target: RuleTarget,
});
export type EnablementRule = z.infer<typeof EnablementRule>;

export const SubjectSet = z.discriminatedUnion('@odata.type', [
  z.object({
    '@odata.type': z.literal('#microsoft.graph.singleUser'),
    userId: z.guid().transform((id) => id.toLowerCase()),
    description: z
      .string()
      .max(256)
      .nullish()
      .transform((d) => d ?? null), // Graph answers null when none
  }),
  z.object({
    '@odata.type': z.literal('#microsoft.graph.groupMembers'),
    groupId: z.guid().transform((id) => id.toLowerCase()),
    description: z
      .string()
      .max(256)
      .nullish()
      .transform((d) => d ?? null),
  }),
]);
export type SubjectSet = z.infer<typeof SubjectSet>;

export const ApprovalStage = z.object({
  approvalStageTimeOutInDays: z.number().int().min(1).max(7),
  isApproverJustificationRequired: z.boolean(),
  escalationTimeInMinutes: z.number().int().min(0).max(10_080),
  isEscalationEnabled: z.boolean().default(false),
  primaryApprovers: z.array(SubjectSet).max(50),
  escalationApprovers: z.array(SubjectSet).max(50).default([]),
  /**
   * The service's extension beside Graph's fields: how many of the stage's approvers must approve
   * (N of M). Absent means 1, Graph's behaviour; one person fills one slot only.
   */
  approverCountRequired: z.number().int().min(1).max(10).optional(),
});
export type ApprovalStage = z.infer<typeof ApprovalStage>;

export const ApprovalSettings = z
  .object({
    isApprovalRequired: z.boolean(),
    isApprovalRequiredForExtension: z.boolean(),
    isRequestorJustificationRequired: z.boolean(),
    approvalMode: ciEnum(['SingleStage', 'Serial', 'Parallel', 'NoApproval']),
    approvalStages: z.array(ApprovalStage).min(1).max(3, 'At most 3 approval stages are supported.'),
  })
  .superRefine((s, ctx) => {
    if (!s.isApprovalRequired) return;
    // Every stage must be able to ask someone: its approvers, or its escalation approvers.
    for (const [i, st] of s.approvalStages.entries()) {
      const escalation = st.isEscalationEnabled ? st.escalationApprovers.length : 0;
      if (st.primaryApprovers.length + escalation === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['approvalStages', i, 'primaryApprovers'],
          message: 'At least one approver is required in every stage when approval is required.',
        });
      // Named users only (no group to grow): the stage must name at least N different people.
      const subjects = [...st.primaryApprovers, ...(st.isEscalationEnabled ? st.escalationApprovers : [])];
      const users = new Set(subjects.map((a) => ('userId' in a ? a.userId : undefined)));
      if (
        subjects.length > 0 &&
        subjects.every((a) => 'userId' in a) &&
        users.size < (st.approverCountRequired ?? 1)
      )
        ctx.addIssue({
          code: 'custom',
          path: ['approvalStages', i, 'approverCountRequired'],
          message: `The stage needs ${st.approverCountRequired} approvals but names ${users.size} approvers.`,
        });
    }
  });
export type ApprovalSettings = z.infer<typeof ApprovalSettings>;

export const ApprovalRule = z.object({
  '@odata.type': z.literal(T.approval),
  id: z.string(),
  setting: ApprovalSettings,
  target: RuleTarget,
});
export type ApprovalRule = z.infer<typeof ApprovalRule>;

export const AuthenticationContextRule = z.object({
  '@odata.type': z.literal(T.authContext),
  id: z.string(),
  isEnabled: z.boolean(),
  claimValue: z.string().max(64).nullable(),
  target: RuleTarget,
});

export const NotificationRule = z.object({
  '@odata.type': z.literal(T.notification),
  id: z.string(),
  notificationType: z.literal('Email'),
  recipientType: z.enum(['Requestor', 'Approver', 'Admin']),
  notificationLevel: ciEnum(['None', 'Critical', 'All']),
  isDefaultRecipientsEnabled: z.boolean(),
  notificationRecipients: z.array(z.email()).max(50),
  target: RuleTarget,
});
export type NotificationRule = z.infer<typeof NotificationRule>;

export const PolicyRule = z.discriminatedUnion('@odata.type', [
  ExpirationRule,
  EnablementRule,
  ApprovalRule,
  AuthenticationContextRule,
  NotificationRule,
]);
export type PolicyRule = z.infer<typeof PolicyRule>;

export const RuleId = {
  expirationAdminEligibility: 'Expiration_Admin_Eligibility',
  enablementAdminEligibility: 'Enablement_Admin_Eligibility',
  expirationAdminAssignment: 'Expiration_Admin_Assignment',
  enablementAdminAssignment: 'Enablement_Admin_Assignment',
  expirationEndUserAssignment: 'Expiration_EndUser_Assignment',
  enablementEndUserAssignment: 'Enablement_EndUser_Assignment',
  approvalEndUserAssignment: 'Approval_EndUser_Assignment',
  authenticationContextEndUserAssignment: 'AuthenticationContext_EndUser_Assignment',
} as const;

export const RoleManagementPolicy = z.object({
  id: z.string(),
  displayName: z.string(),
  description: z.string(),
  isOrganizationDefault: z.boolean(),
  scopeId: z.string(),
  scopeType: z.enum(['Directory', 'DirectoryRole', 'Group']),
  lastModifiedDateTime: z.string().nullable(),
  lastModifiedBy: z.object({ id: z.string().nullable(), displayName: z.string().nullable() }).nullable(),
  rules: z.array(PolicyRule),
});
export type RoleManagementPolicy = z.infer<typeof RoleManagementPolicy>;

/** What a policy governs. */
export type PolicyTarget =
  | { kind: 'role'; roleDefinitionId: string }
  | { kind: 'group'; groupId: string; accessId: AccessId };

export function policyIdFor(target: PolicyTarget): string {
  return target.kind === 'role'
    ? `DirectoryRole_${target.roleDefinitionId}`
    : `Group_${target.groupId}_${target.accessId}`;
}

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const ROLE_POLICY_ID = new RegExp(`^DirectoryRole_(${GUID})$`);
const GROUP_POLICY_ID = new RegExp(`^Group_(${GUID})_(member|owner)$`);

/** The target a policy id names, or undefined for an id this service never issues. */
export function parsePolicyId(id: string): PolicyTarget | undefined {
  const role = ROLE_POLICY_ID.exec(id);
  if (role) return { kind: 'role', roleDefinitionId: role[1]!.toLowerCase() };
  const group = GROUP_POLICY_ID.exec(id);
  if (group) {
    return { kind: 'group', groupId: group[1]!.toLowerCase(), accessId: AccessIdSchema.parse(group[2]) };
  }
  return undefined;
}

/** unifiedRoleManagementPolicyAssignment: links a policy to the role (or group + accessId) it governs. */
export interface PolicyAssignment {
  id: string;
  policyId: string;
  scopeId: string;
  scopeType: 'DirectoryRole' | 'Group';
  roleDefinitionId: string;
}

export function policyAssignmentFor(target: PolicyTarget): PolicyAssignment {
  const policyId = policyIdFor(target);
  return target.kind === 'role'
    ? {
        id: `${policyId}_${target.roleDefinitionId}`,
        policyId,
        scopeId: '/',
        scopeType: 'DirectoryRole',
        roleDefinitionId: target.roleDefinitionId,
      }
    : {
        id: `${policyId}_${target.accessId}`,
        policyId,
        scopeId: target.groupId,
        scopeType: 'Group',
        roleDefinitionId: target.accessId,
      };
}

function target(caller: RuleTarget['caller'], level: RuleTarget['level']): RuleTarget {
  return { caller, operations: ['all'], level, inheritableSettings: [], enforcedSettings: [] };
}

function notifications(caller: RuleTarget['caller'], level: RuleTarget['level']): NotificationRule[] {
  const suffix = `${caller}_${level}`;
  return (['Admin', 'Requestor', 'Approver'] as const).map((recipientType) => ({
    '@odata.type': T.notification,
    id: `Notification_${recipientType}_${suffix}`,
    notificationType: 'Email',
    recipientType,
    notificationLevel: 'All',
    isDefaultRecipientsEnabled: true,
    notificationRecipients: [],
    target: target(caller, level),
  }));
}

/**
 * Entra's default rules: permanent eligibility allowed (max P365D when an end is required), active
 * assignments allowed permanent (max P180D when required) with a justification, activation for at
 * most 8 hours with MFA and a justification, no approval.
 */
export function defaultRules(): PolicyRule[] {
  return [
    {
      '@odata.type': T.expiration,
      id: RuleId.expirationAdminEligibility,
      isExpirationRequired: false,
      maximumDuration: 'P365D',
      target: target('Admin', 'Eligibility'),
    },
    {
      '@odata.type': T.enablement,
      id: RuleId.enablementAdminEligibility,
      enabledRules: [],
      target: target('Admin', 'Eligibility'),
    },
    ...notifications('Admin', 'Eligibility'),
    {
      '@odata.type': T.expiration,
      id: RuleId.expirationAdminAssignment,
      isExpirationRequired: false,
      maximumDuration: 'P180D',
      target: target('Admin', 'Assignment'),
    },
    {
      '@odata.type': T.enablement,
      id: RuleId.enablementAdminAssignment,
      enabledRules: ['Justification'],
      target: target('Admin', 'Assignment'),
    },
    ...notifications('Admin', 'Assignment'),
    {
      '@odata.type': T.approval,
      id: RuleId.approvalEndUserAssignment,
      setting: {
        isApprovalRequired: false,
        isApprovalRequiredForExtension: false,
        isRequestorJustificationRequired: true,
        approvalMode: 'SingleStage',
        approvalStages: [
          {
            approvalStageTimeOutInDays: 1,
            isApproverJustificationRequired: true,
            escalationTimeInMinutes: 0,
            isEscalationEnabled: false,
            primaryApprovers: [],
            escalationApprovers: [],
          },
        ],
      },
      target: target('EndUser', 'Assignment'),
    },
    {
      '@odata.type': T.authContext,
      id: RuleId.authenticationContextEndUserAssignment,
      isEnabled: false,
      claimValue: null,
      target: target('EndUser', 'Assignment'),
    },
    {
      '@odata.type': T.enablement,
      id: RuleId.enablementEndUserAssignment,
      enabledRules: ['MultiFactorAuthentication', 'Justification'],
      target: target('EndUser', 'Assignment'),
    },
    {
      '@odata.type': T.expiration,
      id: RuleId.expirationEndUserAssignment,
      isExpirationRequired: true,
      maximumDuration: 'PT8H',
      target: target('EndUser', 'Assignment'),
    },
    ...notifications('EndUser', 'Assignment'),
  ];
}

export function defaultPolicy(policyTarget: PolicyTarget): RoleManagementPolicy {
  const isRole = policyTarget.kind === 'role';
  return {
    id: policyIdFor(policyTarget),
    displayName: isRole ? 'DirectoryRole' : 'Group',
    description: isRole ? 'DirectoryRole' : 'Group',
    isOrganizationDefault: false,
    scopeId: isRole ? '/' : policyTarget.groupId,
    scopeType: isRole ? 'DirectoryRole' : 'Group',
    lastModifiedDateTime: null,
    lastModifiedBy: null,
    rules: defaultRules(),
  };
}

/** Role policies say `DirectoryRole`, as their policy assignments do (rows written before said `Directory`). */
export function withAgreedScopeType(p: RoleManagementPolicy): RoleManagementPolicy {
  return p.scopeType === 'Directory' ? { ...p, scopeType: 'DirectoryRole' } : p;
}

/** The rule with this id and type, or undefined. */
export function findRule<S extends z.ZodType<PolicyRule>>(
  policy: RoleManagementPolicy,
  id: string,
  schema: S,
): z.output<S> | undefined {
  const rule = policy.rules.find((r) => r.id === id);
  if (!rule) return undefined;
  const parsed = schema.safeParse(rule);
  return parsed.success ? parsed.data : undefined;
}

/** The schema a rule id must satisfy (by Graph's naming: the prefix before `_` is the rule type). */
export function ruleSchemaFor(ruleId: string) {
  const prefix = ruleId.split('_')[0];
  switch (prefix) {
    case 'Expiration':
      return ExpirationRule;
    case 'Enablement':
      return EnablementRule;
    case 'Approval':
      return ApprovalRule;
    case 'AuthenticationContext':
      return AuthenticationContextRule;
    case 'Notification':
      return NotificationRule;
    default:
      return undefined;
  }
}

/**
 * Applies a rule PATCH body to the current rule: given properties replace the current ones; `id`,
 * `target` and `@odata.type` cannot change (naming another type or id is an error). Returns the
 * validated rule, or the zod error listing every bad field.
 */
export function applyRulePatch(
  current: PolicyRule,
  body: unknown,
): { success: true; rule: PolicyRule } | { success: false; error: z.ZodError } {
  const schema = ruleSchemaFor(current.id);
  const shape = z.looseObject({
    '@odata.type': z.literal(current['@odata.type']).optional(),
    id: z.literal(current.id).optional(),
  });
  const head = shape.safeParse(body);
  if (!head.success) return { success: false, error: head.error };
  const merged = { ...current, ...(body as object), id: current.id, target: current.target };
  merged['@odata.type'] = current['@odata.type'];
  // Unknown properties are refused so a typo does not silently do nothing.
  const strict = (schema as z.ZodObject<z.ZodRawShape> | undefined)?.strict();
  const parsed = (strict ?? PolicyRule).safeParse(merged);
  return parsed.success
    ? { success: true, rule: parsed.data as PolicyRule }
    : { success: false, error: parsed.error };
}
