// What activation needs from the directory, read from the same store the admin endpoints write
// (shared/services): is the principal eligible now, do they already hold the target, what does the
// target's policy demand of an activation, and who may approve it.

import { fixedDurationMs } from '../domain/duration';
import { ApprovalRule, EnablementRule, ExpirationRule, findRule, RuleId } from '../domain/policy';
import { isActiveAt, type ScheduleRecord, sameTarget, type Target } from '../domain/schedules';
import { services } from '../services';
import { resourceOfTarget } from '../storage/role-management-keys';

/** A principal's schedules of one level for exactly this target, in force at `now`. */
async function inForce(
  principalId: string,
  target: Target,
  level: 'eligibility' | 'assignment',
  now: Date,
): Promise<ScheduleRecord[]> {
  const rows = await services().stores.roleManagement.schedules(resourceOfTarget(target), level, {
    principalId: principalId.toLowerCase(),
    notEndedAt: now,
  });
  return rows.map((r) => r.value).filter((s) => sameTarget(s.target, target) && isActiveAt(s, now));
}

export async function isEligibleNow(principalId: string, target: Target, now: Date): Promise<boolean> {
  return (await inForce(principalId, target, 'eligibility', now)).length > 0;
}

/** A standing (admin-assigned) assignment in force: activating on top of it makes no sense. */
export async function standingAssignment(
  principalId: string,
  target: Target,
  now: Date,
): Promise<ScheduleRecord | undefined> {
  return (await inForce(principalId, target, 'assignment', now)).find((s) => s.assignmentType === 'Assigned');
}

/** The live activation of this target; its schedule id is the id of the request that holds it. */
export async function liveActivation(
  principalId: string,
  target: Target,
  now: Date,
): Promise<ScheduleRecord | undefined> {
  return (await inForce(principalId, target, 'assignment', now)).find(
    (s) => s.assignmentType === 'Activated',
  );
}

/** Whether the grant of request `requestId` is still stored (not yet revoked). */
export async function grantExists(target: Target, requestId: string): Promise<boolean> {
  return (
    (await services().stores.roleManagement.schedule(resourceOfTarget(target), 'assignment', requestId)) !==
    undefined
  );
}

export interface ActivationRules {
  maximumMs: number;
  requiresMfa: boolean;
  requiresJustification: boolean;
  requiresTicket: boolean;
  /** Present when activations or extensions need approval. */
  approval?: {
    requiredForActivation: boolean;
    requiredForExtension: boolean;
    /** Users and members of approver groups, resolved when the request is made. */
    approverIds: string[];
    timeoutMs: number;
    isApproverJustificationRequired: boolean;
  };
}

const DEFAULT_MAXIMUM_MS = 8 * 3600_000;

/** The end-user rules of the target's policy (Graph's *_EndUser_Assignment rules). */
export async function activationRules(target: Target): Promise<ActivationRules> {
  const policy = (
    await services().policies.forTarget(
      target.kind === 'role'
        ? { kind: 'role', roleDefinitionId: target.roleDefinitionId }
        : { kind: 'group', groupId: target.groupId, accessId: target.accessId },
    )
  ).value;
  const expiration = findRule(policy, RuleId.expirationEndUserAssignment, ExpirationRule);
  const enablement = new Set<string>(
    findRule(policy, RuleId.enablementEndUserAssignment, EnablementRule)?.enabledRules ?? [],
  );
  const approval = findRule(policy, RuleId.approvalEndUserAssignment, ApprovalRule)?.setting;
  const stage = approval?.approvalStages[0];
  return {
    maximumMs: fixedDurationMs(expiration?.maximumDuration ?? 'PT8H') ?? DEFAULT_MAXIMUM_MS,
    requiresMfa: enablement.has('MultiFactorAuthentication'),
    requiresJustification:
      enablement.has('Justification') || approval?.isRequestorJustificationRequired === true,
    requiresTicket: enablement.has('Ticketing'),
    approval:
      (approval?.isApprovalRequired || approval?.isApprovalRequiredForExtension) && stage
        ? {
            approverIds: await approversOf(stage.primaryApprovers),
            timeoutMs: stage.approvalStageTimeOutInDays * 86_400_000,
            isApproverJustificationRequired: stage.isApproverJustificationRequired,
            requiredForActivation: approval.isApprovalRequired,
            requiredForExtension: approval.isApprovalRequiredForExtension,
          }
        : undefined,
  };
}

/** singleUser approvers as they are; groupMembers expanded to the group's active members now. */
async function approversOf(
  subjects: readonly ({ userId: string } | { groupId: string })[],
): Promise<string[]> {
  const s = services();
  const now = s.now();
  const ids = new Set<string>();
  for (const subject of subjects) {
    if ('userId' in subject) {
      ids.add(subject.userId.toLowerCase());
      continue;
    }
    const members = await s.stores.roleManagement.schedules(
      { kind: 'group', id: subject.groupId },
      'assignment',
      {
        notEndedAt: s.now(),
      },
    );
    for (const m of members) {
      if (m.value.target.kind === 'group' && m.value.target.accessId === 'member' && isActiveAt(m.value, now))
        ids.add(m.value.principalId);
    }
  }
  return [...ids];
}
