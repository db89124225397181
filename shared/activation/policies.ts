// Role management policies in Graph's shape (one per role, and per group + access id), with the
// end-user activation rules the activation flow enforces. Stored rules override the defaults.
import { z } from 'zod';
import { statusCode, table } from './tables';
import { policyId, policyKey, type Target } from './targets';

const RuleTarget = z
  .object({ caller: z.string(), operations: z.array(z.string()), level: z.string() })
  .partial();

export const ExpirationRule = z.object({
  '@odata.type': z.literal('#microsoft.graph.unifiedRoleManagementPolicyExpirationRule'),
  id: z.string(),
  isExpirationRequired: z.boolean(),
  maximumDuration: z.string(),
  target: RuleTarget.optional(),
});
export const EnablementRule = z.object({
  '@odata.type': z.literal('#microsoft.graph.unifiedRoleManagementPolicyEnablementRule'),
  id: z.string(),
  enabledRules: z.array(z.enum(['MultiFactorAuthentication', 'Justification', 'Ticketing'])),
  target: RuleTarget.optional(),
});
const Approver = z.union([
  z.object({
    '@odata.type': z.literal('#microsoft.graph.singleUser'),
    userId: z.string(),
    description: z.string().optional(),
  }),
  z.object({
    '@odata.type': z.literal('#microsoft.graph.groupMembers'),
    groupId: z.string(),
    description: z.string().optional(),
  }),
]);
export const ApprovalRule = z.object({
  '@odata.type': z.literal('#microsoft.graph.unifiedRoleManagementPolicyApprovalRule'),
  id: z.string(),
  setting: z.object({
    isApprovalRequired: z.boolean(),
    isApprovalRequiredForExtension: z.boolean().default(false),
    isRequestorJustificationRequired: z.boolean().default(true),
    approvalMode: z.string().default('SingleStage'),
    approvalStages: z
      .array(
        z.object({
          approvalStageTimeOutInDays: z.number().int().min(1).max(7).default(1),
          isApproverJustificationRequired: z.boolean().default(true),
          escalationTimeInMinutes: z.number().int().default(0),
          isEscalationEnabled: z.boolean().default(false),
          primaryApprovers: z.array(Approver).default([]),
          escalationApprovers: z.array(Approver).default([]),
        }),
      )
      .default([]),
  }),
  target: RuleTarget.optional(),
});
export const PolicyRule = z.union([ExpirationRule, EnablementRule, ApprovalRule]);
export type PolicyRule = z.infer<typeof PolicyRule>;

export interface RoleManagementPolicy {
  id: string;
  displayName: string;
  scopeId: string;
  scopeType: 'DirectoryRole' | 'Group';
  isOrganizationDefault: boolean;
  lastModifiedDateTime: string | null;
  rules: PolicyRule[];
  etag?: string;
}

const endUser = { caller: 'EndUser', operations: ['All'], level: 'Assignment' };

export function defaultRules(): PolicyRule[] {
  return [
    {
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
      id: 'Expiration_EndUser_Assignment',
      isExpirationRequired: true,
      maximumDuration: 'PT8H',
      target: endUser,
    },
    {
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule',
      id: 'Enablement_EndUser_Assignment',
      enabledRules: ['MultiFactorAuthentication', 'Justification'],
      target: endUser,
    },
    {
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule',
      id: 'Approval_EndUser_Assignment',
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
      target: endUser,
    },
  ];
}

export async function getPolicy(target: Target): Promise<RoleManagementPolicy> {
  const t = await table('policies');
  const base: RoleManagementPolicy = {
    id: policyId(target),
    displayName: target.kind === 'role' ? 'DirectoryRole' : `Group ${target.accessId}`,
    scopeId: target.kind === 'role' ? '/' : target.groupId,
    scopeType: target.kind === 'role' ? 'DirectoryRole' : 'Group',
    isOrganizationDefault: false,
    lastModifiedDateTime: null,
    rules: defaultRules(),
  };
  try {
    const e = await t.getEntity<{ rules: string; lastModifiedDateTime: string }>(policyKey(target), 'policy');
    return {
      ...base,
      rules: JSON.parse(e.rules),
      lastModifiedDateTime: e.lastModifiedDateTime,
      etag: e.etag,
    };
  } catch (err) {
    if (statusCode(err) === 404) return base;
    throw err;
  }
}

export class PolicyConflictError extends Error {}

/** Replaces one rule; with an ETag (If-Match) a concurrent edit fails instead of being overwritten. */
export async function putRule(
  target: Target,
  rule: PolicyRule,
  at: string,
  ifMatch?: string,
): Promise<RoleManagementPolicy> {
  const t = await table('policies');
  const current = await getPolicy(target);
  if (ifMatch && ifMatch !== '*' && ifMatch !== current.etag)
    throw new PolicyConflictError('The policy changed since it was read.');
  const rules = current.rules.map((r) => (r.id === rule.id ? rule : r));
  const entity = {
    partitionKey: policyKey(target),
    rowKey: 'policy',
    rules: JSON.stringify(rules),
    lastModifiedDateTime: at,
  };
  try {
    if (current.etag) await t.updateEntity(entity, 'Replace', { etag: current.etag });
    else await t.createEntity(entity);
  } catch (err) {
    if (statusCode(err) === 412 || statusCode(err) === 409)
      throw new PolicyConflictError('The policy changed since it was read.');
    throw err;
  }
  return getPolicy(target);
}

export function rule<T extends PolicyRule['@odata.type']>(policy: RoleManagementPolicy, id: string, type: T) {
  return policy.rules.find((r) => r.id === id && r['@odata.type'] === type) as
    | Extract<PolicyRule, { '@odata.type': T }>
    | undefined;
}
