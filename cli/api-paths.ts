// The Graph-shaped paths the CLI calls, for directory roles and for PIM groups, in one place.
import { API } from './http-client';

export type TargetKind = 'role' | 'group';
/** What a PIM group activation grants: membership or ownership. */
export type GroupAccess = 'member' | 'owner';

const ROLES = `${API}/roleManagement/directory`;
const GROUPS = `${API}/identityGovernance/privilegedAccess/group`;
const MINE = "filterByCurrentUser(on='principal')";

export const paths = {
  me: `${API}/me`,
  roleDefinitions: `${ROLES}/roleDefinitions`,
  groups: `${API}/groups`,
  user: (id: string) => `${API}/users/${encodeURIComponent(id)}`,
  group: (id: string) => `${API}/groups/${encodeURIComponent(id)}`,
  accessCheck: `${API}/access/check`,
  audits: `${API}/auditLogs/directoryAudits`,
  auditExport: `${API}/auditLogs/directoryAudits/export`,
  myAudits: `${API}/auditLogs/directoryAudits/filterByCurrentUser(on='initiator')`,
  requests: (kind: TargetKind) =>
    kind === 'role' ? `${ROLES}/roleAssignmentScheduleRequests` : `${GROUPS}/assignmentScheduleRequests`,
  request: (kind: TargetKind, id: string) => `${paths.requests(kind)}/${encodeURIComponent(id)}`,
  myRequests: (kind: TargetKind) => `${paths.requests(kind)}/${MINE}`,
  myEligibilities: (kind: TargetKind) =>
    kind === 'role'
      ? `${ROLES}/roleEligibilityScheduleInstances/${MINE}`
      : `${GROUPS}/eligibilityScheduleInstances/${MINE}`,
  myAssignments: (kind: TargetKind) =>
    kind === 'role'
      ? `${ROLES}/roleAssignmentScheduleInstances/${MINE}`
      : `${GROUPS}/assignmentScheduleInstances/${MINE}`,
  approvals: (kind: TargetKind) =>
    kind === 'role' ? `${ROLES}/roleAssignmentApprovals` : `${GROUPS}/assignmentApprovals`,
  approvalInbox: (kind: TargetKind) => `${paths.approvals(kind)}/filterByCurrentUser(on='approver')`,
  /** The requests waiting for the caller's decision, with the person and the role or group expanded. */
  awaitingMe: (kind: TargetKind) =>
    `${paths.requests(kind)}/filterByCurrentUser(on='approver')?$expand=principal,${kind === 'role' ? 'roleDefinition' : 'group'}`,
  /** The activation policy: a role's, or a group's for its members or owners. */
  policy: (kind: TargetKind, id: string, access: GroupAccess = 'member') =>
    `${API}/policies/roleManagementPolicies/${kind === 'role' ? `DirectoryRole_${id}` : `Group_${id}_${access}`}`,
};

export const KINDS: readonly TargetKind[] = ['role', 'group'];
