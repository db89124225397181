// What a grant and a revoke change in Entra ID, through Microsoft Graph v1.0:
//   group member (or owner)   POST /groups/{id}/members/$ref {"@odata.id": .../directoryObjects/{p}}
//                             DELETE /groups/{id}/members/{p}/$ref
//   directory role            POST /roleManagement/directory/roleAssignments {principalId,
//                             roleDefinitionId, directoryScopeId}; the revoke finds the principal's
//                             assignments of the role (GET ...?$filter) and DELETEs those at the scope
// Each is idempotent as Graph answers it: adding a member or an assignment that exists already is
// a 400 Request_BadRequest Graph words as "already exist" / "conflicting object"; removing one that
// is gone is a 404. Both count as done, so a retry after a crash is harmless.
import { type CloudOutcome, cloudRequest, cloudUrl, outcomeOf } from './cloud-request';

export type GroupRelation = 'members' | 'owners';

const ALREADY_THERE = /already exist|conflicting object/i;

export async function addToGroup(
  groupId: string,
  principalId: string,
  relation: GroupRelation,
): Promise<CloudOutcome> {
  const answer = await cloudRequest('graph', 'POST', `/groups/${groupId}/${relation}/$ref`, {
    '@odata.id': cloudUrl('graph', `/directoryObjects/${principalId}`),
  });
  if (answer.kind === 'error' && answer.status === 400 && ALREADY_THERE.test(answer.message)) {
    return { kind: 'done', note: 'already a member' };
  }
  return outcomeOf(answer);
}

export async function removeFromGroup(
  groupId: string,
  principalId: string,
  relation: GroupRelation,
): Promise<CloudOutcome> {
  const answer = await cloudRequest('graph', 'DELETE', `/groups/${groupId}/${relation}/${principalId}/$ref`);
  if (answer.kind === 'error' && answer.status === 404) return { kind: 'done', note: 'not a member' };
  return outcomeOf(answer);
}

export async function assignDirectoryRole(
  principalId: string,
  roleDefinitionId: string,
  directoryScopeId: string,
): Promise<CloudOutcome> {
  const answer = await cloudRequest('graph', 'POST', '/roleManagement/directory/roleAssignments', {
    '@odata.type': '#microsoft.graph.unifiedRoleAssignment',
    principalId,
    roleDefinitionId,
    directoryScopeId,
  });
  if (answer.kind === 'error' && answer.status === 400 && ALREADY_THERE.test(answer.message)) {
    return { kind: 'done', note: 'already assigned' };
  }
  return outcomeOf(answer);
}

export async function removeDirectoryRole(
  principalId: string,
  roleDefinitionId: string,
  directoryScopeId: string,
): Promise<CloudOutcome> {
  // Ids are GUIDs (checked when the connector and the principal were created): safe in the filter.
  const filter = `principalId eq '${principalId}' and roleDefinitionId eq '${roleDefinitionId}'`;
  const found = await cloudRequest(
    'graph',
    'GET',
    `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(filter)}`,
  );
  if (found.kind !== 'ok') return outcomeOf(found);
  const assignments = ((found.body as { value?: unknown[] } | undefined)?.value ?? []) as Array<{
    id?: string;
    directoryScopeId?: string;
  }>;
  const atScope = assignments.filter(
    (a) =>
      typeof a.id === 'string' &&
      (a.directoryScopeId ?? '/').toLowerCase() === directoryScopeId.toLowerCase(),
  );
  if (atScope.length === 0) return { kind: 'done', note: 'not assigned' };
  for (const a of atScope) {
    const answer = await cloudRequest(
      'graph',
      'DELETE',
      `/roleManagement/directory/roleAssignments/${encodeURIComponent(String(a.id))}`,
    );
    if (answer.kind === 'error' && answer.status === 404) continue;
    const outcome = outcomeOf(answer);
    if (outcome.kind !== 'done') return outcome;
  }
  return { kind: 'done' };
}
