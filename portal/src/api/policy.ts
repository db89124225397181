// A role's (or group's) management policy, read as what an activation form needs.
import { api, V1 } from './client';
import { isoToMinutes } from './duration';

export interface PolicyRule {
  '@odata.type': string;
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: each rule type has its own fields (Graph's rule types)
  [field: string]: any;
}

export interface Policy {
  id: string;
  displayName: string;
  rules: PolicyRule[];
}

export interface ActivationRules {
  maxMinutes: number;
  mfa: boolean;
  justification: boolean;
  ticket: boolean;
  approval: boolean;
  approverIds: string[];
}

export const getPolicy = (policyId: string) =>
  api<Policy>(`${V1}/policies/roleManagementPolicies/${encodeURIComponent(policyId)}`);

export const patchRule = (policyId: string, rule: PolicyRule) =>
  api<PolicyRule>(
    `${V1}/policies/roleManagementPolicies/${encodeURIComponent(policyId)}/rules/${encodeURIComponent(rule.id)}`,
    { method: 'PATCH', body: rule },
  );

export const ruleOf = (policy: Policy, id: string) => policy.rules.find((r) => r.id === id);

/** What an end user's activation must bring, from the policy's EndUser rules. */
export function activationRules(policy: Policy): ActivationRules {
  const expiration = ruleOf(policy, 'Expiration_EndUser_Assignment');
  const enabled: string[] = ruleOf(policy, 'Enablement_EndUser_Assignment')?.enabledRules ?? [];
  const approval = ruleOf(policy, 'Approval_EndUser_Assignment')?.setting;
  const approvers: { userId?: string; groupId?: string }[] =
    approval?.approvalStages?.[0]?.primaryApprovers ?? [];
  return {
    maxMinutes: isoToMinutes(expiration?.maximumDuration) ?? 8 * 60,
    mfa: enabled.includes('MultiFactorAuthentication'),
    justification: enabled.includes('Justification'),
    ticket: enabled.includes('Ticketing'),
    approval: approval?.isApprovalRequired === true,
    approverIds: approvers.map((a) => a.userId ?? a.groupId ?? '').filter((x) => x !== ''),
  };
}
