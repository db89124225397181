// What a grant and a revoke change in Azure RBAC, through Azure Resource Manager's REST API:
//   PUT    {scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01
//   DELETE the same
// The assignment's name (a GUID) is derived from the connector and the principal, so a retried
// grant is the same PUT and the revoke deletes exactly what the grants made. ARM answers a PUT of
// an assignment that exists (under this name or another) with 409 RoleAssignmentExists: the
// principal holds the role, which is done; one made outside this service is never deleted here.
// A DELETE of a missing assignment is a 204 (or a 404 from some scopes): done too.
import { createHash } from 'node:crypto';
import { ARM_ROLE_ASSIGNMENTS_API, type CloudOutcome, cloudRequest, outcomeOf } from './cloud-request';

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const SEGMENT = '[A-Za-z0-9._()-]{1,90}';

/** A subscription, resource group or resource, or a management group. */
export const ARM_SCOPE = new RegExp(
  `^(/subscriptions/${GUID}(/resourceGroups/${SEGMENT}(/providers/${SEGMENT}(/${SEGMENT}){2,8})?)?` +
    `|/providers/Microsoft\\.Management/managementGroups/${SEGMENT})$`,
);

/** A role definition's ARM id, at a subscription or tenant-wide (built-in roles). */
export const ARM_ROLE_DEFINITION = new RegExp(
  `^(/subscriptions/${GUID})?/providers/Microsoft\\.Authorization/roleDefinitions/${GUID}$`,
);

/** A stable GUID for (connector, principal): name-based, as RFC 4122 version 5 lays one out. */
export function assignmentName(connectorId: string, principalId: string): string {
  const h = createHash('sha1')
    .update(`jit-access|${connectorId.toLowerCase()}|${principalId.toLowerCase()}`)
    .digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const pathOf = (scope: string, name: string) =>
  `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=${ARM_ROLE_ASSIGNMENTS_API}`;

export async function putRoleAssignment(
  scope: string,
  name: string,
  roleDefinitionId: string,
  principalId: string,
  principalType: 'User' | 'Group',
): Promise<CloudOutcome> {
  const answer = await cloudRequest('arm', 'PUT', pathOf(scope, name), {
    properties: { roleDefinitionId, principalId, principalType },
  });
  if (answer.kind === 'error' && answer.status === 409 && answer.code === 'RoleAssignmentExists') {
    return { kind: 'done', note: 'already assigned' };
  }
  return outcomeOf(answer);
}

export async function deleteRoleAssignment(scope: string, name: string): Promise<CloudOutcome> {
  const answer = await cloudRequest('arm', 'DELETE', pathOf(scope, name));
  if (answer.kind === 'ok' && answer.status === 204) return { kind: 'done', note: 'not assigned' };
  if (answer.kind === 'error' && answer.status === 404) return { kind: 'done', note: 'not assigned' };
  return outcomeOf(answer);
}
