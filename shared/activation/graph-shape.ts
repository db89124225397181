// An activation request in Graph's shape: unifiedRoleAssignmentScheduleRequest for roles,
// privilegedAccessGroupAssignmentScheduleRequest for groups.
import type { ActivationRequestRow } from './requests-repo';

export function graphShape(r: ActivationRequestRow, isValidationOnly: boolean) {
  const common = {
    id: r.id,
    status: r.status,
    action: r.action,
    principalId: r.principalId,
    justification: r.justification,
    ticketInfo: r.ticketInfo ?? { ticketNumber: null, ticketSystem: null },
    scheduleInfo: r.scheduleInfo,
    isValidationOnly,
    approvalId: r.approvalId,
    createdDateTime: r.createdDateTime,
    completedDateTime: r.completedDateTime,
    targetScheduleId: r.id,
    createdBy: { user: { id: r.createdBy } },
  };
  return r.target.kind === 'role'
    ? {
        ...common,
        roleDefinitionId: r.target.roleDefinitionId,
        directoryScopeId: r.target.directoryScopeId,
        appScopeId: null,
      }
    : { ...common, groupId: r.target.groupId, accessId: r.target.accessId };
}
