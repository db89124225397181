// Who is mailed about a notice, as the role's (or group's) policy says in its Notification_* rules:
//   Notification_{Admin|Requestor|Approver}_{EndUser|Admin}_{Assignment|Eligibility}
//     isDefaultRecipientsEnabled  the default audience (the person, the approvers, the admins) is mailed
//     notificationRecipients      extra addresses, mailed as that audience
//     notificationLevel           All; Critical (only what needs someone to act or know at once); None
// Activation notices follow the EndUser_Assignment rules, an admin's eligibility and active
// assignment changes the Admin_Eligibility and Admin_Assignment ones. A connector that gave up is the
// service's own alert and always goes to the admins.
import { findRule, NotificationRule, type PolicyTarget, type RoleManagementPolicy } from '../domain/policy';
import type { Target } from '../domain/schedules';
import type { NoticeEvent } from './notifier';
import type { Audience } from './templates';

export interface AudienceRule {
  /** Mail the audience's default recipients. */
  defaults: boolean;
  /** Extra addresses for this audience. */
  extra: string[];
}

const RECIPIENT: Record<Audience, NotificationRule['recipientType']> = {
  requester: 'Requestor',
  approver: 'Approver',
  admins: 'Admin',
};

/** Notices someone must act on, or know of at once: what "Critical" keeps. */
const CRITICAL: ReadonlySet<NoticeEvent> = new Set([
  'activationRequested',
  'approved',
  'denied',
  'activated',
  'assignmentAssigned',
  'renewalRequested',
  'connectorFailed',
  'adminChangeProposed',
  'adminChangeBypassed',
  'alertRaised',
]);

function ruleSuffix(event: NoticeEvent): string | undefined {
  if (event === 'eligibilityAssigned' || event === 'eligibilityRemoved') return 'Admin_Eligibility';
  if (event === 'assignmentAssigned' || event === 'assignmentRemoved') return 'Admin_Assignment';
  if (
    event === 'connectorFailed' ||
    event === 'renewalRequested' ||
    event === 'adminChangeProposed' ||
    event === 'adminChangeBypassed' ||
    event === 'alertRaised'
  )
    return undefined;
  return 'EndUser_Assignment';
}

/** What the policy says for `audience` of `event` (no rule: the defaults, nothing extra). */
export function audienceRule(
  policy: RoleManagementPolicy | undefined,
  event: NoticeEvent,
  audience: Audience,
): AudienceRule {
  const suffix = ruleSuffix(event);
  if (!policy || !suffix) return { defaults: true, extra: [] };
  const rule = findRule(policy, `Notification_${RECIPIENT[audience]}_${suffix}`, NotificationRule);
  if (!rule) return { defaults: true, extra: [] };
  const level = rule.notificationLevel;
  if (level === 'None' || (level === 'Critical' && !CRITICAL.has(event)))
    return { defaults: false, extra: [] };
  return { defaults: rule.isDefaultRecipientsEnabled, extra: rule.notificationRecipients };
}

/** The policy a notice's target answers to. */
export function policyTargetOf(target: Target): PolicyTarget {
  return target.kind === 'role' ? { kind: 'role', roleDefinitionId: target.roleDefinitionId } : target;
}
