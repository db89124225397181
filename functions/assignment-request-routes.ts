// Where assignment schedule requests live, for roles and for privileged groups: the POST and
// per-request endpoints (activation-requests.ts) and the lists (assignment-request-lists.ts).
export const ASSIGNMENT_REQUEST_ROUTES = [
  {
    kind: 'role',
    route: 'v1.0/roleManagement/directory/roleAssignmentScheduleRequests',
    name: 'roleAssignmentScheduleRequests',
  },
  {
    kind: 'group',
    route: 'v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests',
    name: 'groupAssignmentScheduleRequests',
  },
] as const;
