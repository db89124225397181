// The PIM resources the portal reads and writes, in Graph's shapes (docs/API.md).
import { api, FOR_APPROVER, GROUPS, MINE, ROLES, V1 } from './client';

export type Kind = 'role' | 'group';

/** What one activates: a directory role at a scope, or a group's membership or ownership. */
export type Target =
  | { kind: 'role'; roleDefinitionId: string; directoryScopeId: string }
  | { kind: 'group'; groupId: string; accessId: 'member' | 'owner' };

export interface Instance {
  id: string;
  principalId: string;
  roleDefinitionId?: string;
  directoryScopeId?: string;
  groupId?: string;
  accessId?: 'member' | 'owner';
  memberType: string;
  assignmentType?: string;
  startDateTime: string | null;
  endDateTime: string | null;
}

export interface ScheduleRequest {
  id: string;
  action: string;
  principalId: string;
  status: string;
  roleDefinitionId?: string;
  directoryScopeId?: string;
  groupId?: string;
  accessId?: string;
  justification: string | null;
  ticketInfo: { ticketNumber?: string | null; ticketSystem?: string | null } | null;
  scheduleInfo: {
    startDateTime: string | null;
    expiration: { type: string; duration: string | null; endDateTime: string | null } | null;
  } | null;
  approvalId: string | null;
  createdDateTime: string;
  completedDateTime: string | null;
  createdBy?: { user?: { id: string; displayName: string | null } | null } | null;
}

export interface ApprovalStage {
  id: string;
  status: 'InProgress' | 'Completed' | string;
  reviewResult: string;
  reviewedBy: { id: string; displayName: string | null } | null;
  reviewedDateTime: string | null;
  justification: string | null;
  assignedToMe: boolean;
}

/** A request as filterByCurrentUser(on='approver') gives it, with $expand. */
export type AwaitingRequest = ScheduleRequest & {
  principal?: { displayName?: string | null } | null;
  roleDefinition?: { displayName?: string | null } | null;
  group?: { displayName?: string | null } | null;
};

export interface Approval {
  id: string;
  stages: ApprovalStage[];
}

export interface RoleDefinition {
  id: string;
  displayName: string;
  description?: string | null;
  isBuiltIn?: boolean;
}

export interface Group {
  id: string;
  displayName: string;
  description?: string | null;
  isAssignableToRole?: boolean;
}

export interface User {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

interface List<T> {
  value: T[];
}

export const targetOf = (i: Instance | ScheduleRequest): Target =>
  i.groupId
    ? { kind: 'group', groupId: i.groupId, accessId: (i.accessId as 'member' | 'owner') ?? 'member' }
    : {
        kind: 'role',
        roleDefinitionId: i.roleDefinitionId ?? '',
        directoryScopeId: i.directoryScopeId ?? '/',
      };

export const targetKey = (t: Target) =>
  t.kind === 'role' ? `role:${t.roleDefinitionId}:${t.directoryScopeId}` : `group:${t.groupId}:${t.accessId}`;

export const policyIdOf = (t: Target) =>
  t.kind === 'role' ? `DirectoryRole_${t.roleDefinitionId}` : `Group_${t.groupId}_${t.accessId}`;

/** The target's fields in a request body. */
export const targetBody = (t: Target) =>
  t.kind === 'role'
    ? { roleDefinitionId: t.roleDefinitionId, directoryScopeId: t.directoryScopeId }
    : { groupId: t.groupId, accessId: t.accessId };

export const requestsUrl = (kind: Kind) =>
  kind === 'role' ? `${ROLES}/roleAssignmentScheduleRequests` : `${GROUPS}/assignmentScheduleRequests`;

export const approvalsUrl = (kind: Kind) =>
  kind === 'role' ? `${ROLES}/roleAssignmentApprovals` : `${GROUPS}/assignmentApprovals`;

const list = async <T>(url: string) => (await api<List<T>>(url)).value;

export const pim = {
  roleDefinitions: () => list<RoleDefinition>(`${ROLES}/roleDefinitions`),
  groups: () => list<Group>(`${V1}/groups`),
  users: () => list<User>(`${V1}/users?$top=999`),
  myEligible: async (): Promise<Instance[]> => [
    ...(await list<Instance>(`${ROLES}/roleEligibilityScheduleInstances/${MINE}`)),
    ...(await list<Instance>(`${GROUPS}/eligibilityScheduleInstances/${MINE}`)),
  ],
  myActive: async (): Promise<Instance[]> => [
    ...(await list<Instance>(`${ROLES}/roleAssignmentScheduleInstances/${MINE}`)),
    ...(await list<Instance>(`${GROUPS}/assignmentScheduleInstances/${MINE}`)),
  ],
  myRequests: async (): Promise<ScheduleRequest[]> => [
    ...(await list<ScheduleRequest>(`${requestsUrl('role')}/${MINE}`)),
    ...(await list<ScheduleRequest>(`${requestsUrl('group')}/${MINE}`)),
  ],
  request: (kind: Kind, id: string) => api<ScheduleRequest>(`${requestsUrl(kind)}/${id}`),
  submit: (kind: Kind, body: Record<string, unknown>) =>
    api<ScheduleRequest>(requestsUrl(kind), { method: 'POST', body }),
  verifyMfa: (kind: Kind, id: string, otp: string) =>
    api<void>(`${requestsUrl(kind)}/${id}/verifyMfa`, { method: 'POST', body: { otp } }),
  cancel: (kind: Kind, id: string) => api<void>(`${requestsUrl(kind)}/${id}/cancel`, { method: 'POST' }),
  inbox: async (): Promise<(Approval & { kind: Kind })[]> => [
    ...(await list<Approval>(`${approvalsUrl('role')}/${FOR_APPROVER}`)).map((a) => ({
      ...a,
      kind: 'role' as const,
    })),
    ...(await list<Approval>(`${approvalsUrl('group')}/${FOR_APPROVER}`)).map((a) => ({
      ...a,
      kind: 'group' as const,
    })),
  ],
  /** The requests waiting for my decision, with the person and the role or group expanded. */
  awaitingMe: async (): Promise<(AwaitingRequest & { kind: Kind })[]> => [
    ...(
      await list<AwaitingRequest>(`${requestsUrl('role')}/${FOR_APPROVER}?$expand=principal,roleDefinition`)
    ).map((r) => ({ ...r, kind: 'role' as const })),
    ...(await list<AwaitingRequest>(`${requestsUrl('group')}/${FOR_APPROVER}?$expand=principal,group`)).map(
      (r) => ({
        ...r,
        kind: 'group' as const,
      }),
    ),
  ],
  decide: (
    kind: Kind,
    approvalId: string,
    stageId: string,
    reviewResult: 'Approve' | 'Deny',
    justification: string,
  ) =>
    api<void>(`${approvalsUrl(kind)}/${approvalId}/stages/${stageId}`, {
      method: 'PATCH',
      body: { reviewResult, justification },
    }),
};
