// The audit row of each activation step, in Graph's directoryAudit shape. Ids are the request id
// plus the step, so writing a step twice (an activity re-run after a crash) leaves one row.

import { roleDefinition } from '../access/catalog';
import { DEMO_USERS } from '../auth/demo-users';
import { type DirectoryAudit, writeAudit } from './audit-repo';
import { DEMO_GROUPS } from './demo-groups';
import type { Target } from './targets';

export function displayNameOf(principalId: string | undefined): string | null {
  if (!principalId) return null;
  return Object.values(DEMO_USERS).find((u) => u.id === principalId)?.displayName ?? null;
}

export function targetResource(target: Target): DirectoryAudit['targetResources'][number] {
  if (target.kind === 'role') {
    return {
      id: target.roleDefinitionId,
      type: 'Role',
      displayName: roleDefinition(target.roleDefinitionId)?.displayName ?? null,
    };
  }
  const group = DEMO_GROUPS.find((g) => g.id === target.groupId);
  return { id: target.groupId, type: 'Group', displayName: group?.displayName ?? null };
}

export async function auditStep(step: {
  requestId: string;
  step: string;
  at: string;
  activity: string;
  target: Target;
  principalId: string;
  initiatedBy: string;
  result?: 'success' | 'failure';
  resultReason?: string;
  details?: Record<string, string | null | undefined>;
}): Promise<void> {
  await writeAudit({
    id: `${step.requestId}-${step.step}`,
    category: step.target.kind === 'role' ? 'RoleManagement' : 'GroupManagement',
    activityDisplayName: step.activity,
    activityDateTime: step.at,
    loggedByService: 'PIM',
    operationType: step.step,
    result: step.result ?? 'success',
    resultReason: step.resultReason ?? '',
    correlationId: step.requestId,
    initiatedBy: { user: { id: step.initiatedBy, displayName: displayNameOf(step.initiatedBy) } },
    targetResources: [
      targetResource(step.target),
      { id: step.principalId, type: 'User', displayName: displayNameOf(step.principalId) },
    ],
    additionalDetails: Object.entries({ RequestId: step.requestId, ...step.details })
      .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
      .map(([key, value]) => ({ key, value })),
  });
}
