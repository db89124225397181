// The audit rows of each kind of change: activity names in Entra's PIM wording, the objects
// involved, and the details an auditor asks for (justification, ticket, request id, window).
import {
  type AuditCategory,
  auditEvent,
  type DirectoryAudit,
  type TargetResource,
} from '../audit/directory-audit';
import type { ScheduleRequestRecord } from '../domain/requests';
import { builtInRole } from '../domain/roles';
import type { ScheduleLevel, Target } from '../domain/schedules';
import { initiatorOf, type OperationContext } from './context';
import type { Stores } from './stores';

export interface EventInput {
  category: AuditCategory;
  activityDisplayName: string;
  operationType: DirectoryAudit['operationType'];
  targets: TargetResource[];
  details?: Record<string, string | null | undefined>;
  result?: 'success' | 'failure';
  resultReason?: string;
  id?: string;
}

export function event(ctx: OperationContext, at: Date, input: EventInput): DirectoryAudit {
  return auditEvent({
    category: input.category,
    activityDisplayName: input.activityDisplayName,
    operationType: input.operationType,
    initiatedBy: initiatorOf(ctx),
    correlationId: ctx.correlationId,
    targetResources: input.targets,
    details: ctx.adminChange ? { ...input.details, ...adminChangeDetails(ctx.adminChange) } : input.details,
    result: input.result,
    resultReason: input.resultReason,
    at,
    id: input.id,
  });
}

/** A replayed proposal's or a bypass's audit details: who approved, or why the rule was bypassed. */
function adminChangeDetails(
  c: NonNullable<OperationContext['adminChange']>,
): Record<string, string | null | undefined> {
  return {
    ProposalId: c.proposalId,
    ApprovedById: c.approvedBy?.id,
    ApprovedBy: c.approvedBy ? (c.approvedBy.displayName ?? c.approvedBy.id) : undefined,
    BreakGlassJustification: c.breakGlassJustification,
  };
}

/** A user or group as an audit target, with its display name when the directory knows it. */
export async function principalResource(stores: Stores, principalId: string): Promise<TargetResource> {
  const user = await stores.users.get(principalId);
  if (user) return { id: principalId, type: 'User', displayName: user.value.displayName };
  const group = await stores.roleManagement.group(principalId);
  if (group) return { id: principalId, type: 'Group', displayName: group.value.displayName };
  return { id: principalId, type: 'User', displayName: null };
}

export async function targetResource(stores: Stores, target: Target): Promise<TargetResource> {
  if (target.kind === 'role') {
    // Built-in roles are named by code: no read.
    const def =
      builtInRole(target.roleDefinitionId) ??
      (await stores.roleManagement.roleDefinition(target.roleDefinitionId))?.value;
    return { id: target.roleDefinitionId, type: 'Role', displayName: def?.displayName ?? null };
  }
  const group = await stores.roleManagement.group(target.groupId);
  return { id: target.groupId, type: 'Group', displayName: group?.value.displayName ?? null };
}

const VERB: Record<
  string,
  { verb: string; preposition: string; operation: DirectoryAudit['operationType'] }
> = {
  adminAssign: { verb: 'Add', preposition: 'to', operation: 'Assign' },
  adminUpdate: { verb: 'Update', preposition: 'in', operation: 'Update' },
  adminRemove: { verb: 'Remove', preposition: 'from', operation: 'Unassign' },
  adminExtend: { verb: 'Extend', preposition: 'in', operation: 'Update' },
  adminRenew: { verb: 'Renew', preposition: 'in', operation: 'Update' },
  // The principal's own requests for an admin's decision (shared/domain/renewal.ts).
  selfExtend: { verb: 'Request extension of', preposition: 'in', operation: 'Update' },
  selfRenew: { verb: 'Request renewal of', preposition: 'in', operation: 'Update' },
};

/** E.g. "Add eligible member to role in PIM completed (permanent)", "Remove owner from group in PIM completed". */
export function scheduleActivity(
  action: string,
  level: ScheduleLevel,
  target: Target,
  permanent: boolean | undefined,
): { name: string; operation: DirectoryAudit['operationType'] } {
  const v = VERB[action] ?? { verb: action, preposition: 'in', operation: 'Other' as const };
  const who = target.kind === 'group' ? target.accessId : 'member';
  const noun = level === 'eligibility' ? `eligible ${who}` : who;
  const suffix = permanent === undefined ? '' : permanent ? ' (permanent)' : ' (timebound)';
  return {
    name: `${v.verb} ${noun} ${v.preposition} ${target.kind} in PIM completed${suffix}`,
    operation: v.operation,
  };
}

/** Details of a schedule request, as Entra's PIM audit rows carry them. */
export function requestDetails(r: ScheduleRequestRecord): Record<string, string | null | undefined> {
  return {
    RequestId: r.id,
    Action: r.action,
    ScheduleId: r.targetScheduleId,
    Justification: r.justification,
    TicketNumber: r.ticketInfo?.ticketNumber,
    TicketSystem: r.ticketInfo?.ticketSystem,
    DirectoryScopeId: r.target.kind === 'role' ? r.target.directoryScopeId : undefined,
    AccessId: r.target.kind === 'group' ? r.target.accessId : undefined,
    StartDateTime: r.scheduleInfo?.startDateTime,
    EndDateTime: r.scheduleInfo ? (r.scheduleInfo.expiration.endDateTime ?? 'permanent') : undefined,
  };
}

export function categoryOf(target: Target): AuditCategory {
  return target.kind === 'role' ? 'RoleManagement' : 'GroupManagement';
}
