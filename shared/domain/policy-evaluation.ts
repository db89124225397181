// Evaluates requests against a policy. Pure: the caller passes the facts (window, justification,
// ticket, whether the caller proved MFA) and gets Graph's failed rule names back.
//   Admin requests:   Expiration_Admin_{Eligibility,Assignment}, Enablement_Admin_{Eligibility,Assignment}
//   End-user (activation): Expiration_EndUser_Assignment, Enablement_EndUser_Assignment,
//                     Approval_EndUser_Assignment (requestor justification; whether approval is needed)
import { addDuration } from './duration';
import type { PolicyHints, PolicyRuleFailure } from './errors';
import {
  ApprovalRule,
  type ApprovalStage,
  AuthenticationContextRule,
  EnablementRule,
  ExpirationRule,
  findRule,
  type RoleManagementPolicy,
  RuleId,
} from './policy';
import type { TicketInfo, Window } from './schedule-info';
import type { ScheduleLevel } from './schedules';

/** Graph refuses activations shorter than five minutes (`ActiveDurationTooShort`). */
export const MIN_ACTIVE_DURATION_MS = 5 * 60_000;

export interface RequestFacts {
  window: Window;
  justification?: string | null;
  ticketInfo?: TicketInfo | null;
  /** Whether the caller's sign-in proved a fresh MFA. */
  mfaSatisfied: boolean;
}

const ORDER: readonly PolicyRuleFailure[] = [
  'ExpirationRule',
  'MfaRule',
  'JustificationRule',
  'TicketingRule',
];

function sorted(failures: Set<PolicyRuleFailure>): PolicyRuleFailure[] {
  return ORDER.filter((f) => failures.has(f));
}

function present(text: string | null | undefined): boolean {
  return typeof text === 'string' && text.trim() !== '';
}

/** An end is required and missing, or (when required) the window is longer than the maximum. */
function expirationFails(rule: ExpirationRule | undefined, window: Window): boolean {
  if (!rule?.isExpirationRequired) return false;
  if (window.end === null) return true;
  return window.end.getTime() > addDuration(window.start, rule.maximumDuration).getTime();
}

function enablementFailures(rule: EnablementRule | undefined, facts: RequestFacts): PolicyRuleFailure[] {
  const out: PolicyRuleFailure[] = [];
  for (const name of rule?.enabledRules ?? []) {
    if (name === 'Justification' && !present(facts.justification)) out.push('JustificationRule');
    if (name === 'Ticketing' && !present(facts.ticketInfo?.ticketNumber)) out.push('TicketingRule');
    if (name === 'MultiFactorAuthentication' && !facts.mfaSatisfied) out.push('MfaRule');
  }
  return out;
}

/** Failed rules of an admin request (adminAssign, adminUpdate, adminExtend, adminRenew). */
export function adminRequestFailures(
  policy: RoleManagementPolicy,
  level: ScheduleLevel,
  facts: RequestFacts,
): PolicyRuleFailure[] {
  const eligibility = level === 'eligibility';
  const expiration = findRule(
    policy,
    eligibility ? RuleId.expirationAdminEligibility : RuleId.expirationAdminAssignment,
    ExpirationRule,
  );
  const enablement = findRule(
    policy,
    eligibility ? RuleId.enablementAdminEligibility : RuleId.enablementAdminAssignment,
    EnablementRule,
  );
  const failures = new Set<PolicyRuleFailure>(enablementFailures(enablement, facts));
  if (expirationFails(expiration, facts.window)) failures.add('ExpirationRule');
  return sorted(failures);
}

/** What an admin request's expiration rule would accept, for the refusal's message. */
export function adminRequestHints(policy: RoleManagementPolicy, level: ScheduleLevel): PolicyHints {
  const rule = findRule(
    policy,
    level === 'eligibility' ? RuleId.expirationAdminEligibility : RuleId.expirationAdminAssignment,
    ExpirationRule,
  );
  return rule ? { maximumDuration: rule.maximumDuration, expirationRequired: rule.isExpirationRequired } : {};
}

export interface ActivationEvaluation {
  /** Rules the request breaks. MfaRule here means "MFA still to be proved", which activation may wait for. */
  failedRules: PolicyRuleFailure[];
  mfaRequired: boolean;
  approvalRequired: boolean;
  /** The approval stages when approval is required (approvers, timeout, justification needs), in order. */
  approvalStages?: ApprovalStage[];
  /** The policy's activation maximum, e.g. PT8H. */
  maximumDuration?: string;
}

/**
 * Evaluates an end-user activation (selfActivate) or extension (selfExtend/selfRenew) against the
 * EndUser rules. Graph names the failures ExpirationRule, JustificationRule, TicketingRule, MfaRule.
 */
export function activationEvaluation(
  policy: RoleManagementPolicy,
  facts: RequestFacts,
  kind: 'activate' | 'extend' = 'activate',
): ActivationEvaluation {
  const expiration = findRule(policy, RuleId.expirationEndUserAssignment, ExpirationRule);
  const enablement = findRule(policy, RuleId.enablementEndUserAssignment, EnablementRule);
  const approval = findRule(policy, RuleId.approvalEndUserAssignment, ApprovalRule);
  const failures = new Set<PolicyRuleFailure>(enablementFailures(enablement, facts));
  // Activation is always time-bound, whatever the stored flag says: an end-user never self-grants
  // permanent access.
  if (facts.window.end === null) failures.add('ExpirationRule');
  else if (expirationFails(expiration && { ...expiration, isExpirationRequired: true }, facts.window)) {
    failures.add('ExpirationRule');
  }
  const setting = approval?.setting;
  if (setting?.isRequestorJustificationRequired && !present(facts.justification)) {
    failures.add('JustificationRule');
  }
  const approvalRequired =
    setting !== undefined &&
    (kind === 'activate' ? setting.isApprovalRequired : setting.isApprovalRequiredForExtension);
  return {
    failedRules: sorted(failures),
    mfaRequired: enablement?.enabledRules.includes('MultiFactorAuthentication') ?? false,
    approvalRequired,
    ...(approvalRequired && setting ? { approvalStages: setting.approvalStages } : {}),
    ...(expiration ? { maximumDuration: expiration.maximumDuration } : {}),
  };
}

/**
 * The authentication context the policy requires for activation that the sign-in did not satisfy
 * (AuthenticationContext_EndUser_Assignment: enabled, with a claim value the token's `acrs` lacks).
 */
export function missingAuthenticationContext(
  policy: RoleManagementPolicy,
  acrs: readonly string[],
): string | undefined {
  const rule = findRule(policy, RuleId.authenticationContextEndUserAssignment, AuthenticationContextRule);
  if (!rule?.isEnabled || !rule.claimValue) return undefined;
  return acrs.includes(rule.claimValue) ? undefined : rule.claimValue;
}

/** True when a time-bound window is shorter than Graph's minimum. */
export function isTooShort(window: Window): boolean {
  return window.end !== null && window.end.getTime() - window.start.getTime() < MIN_ACTIVE_DURATION_MS;
}
