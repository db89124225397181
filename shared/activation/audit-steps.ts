// The audit row of each activation step, in Graph's directoryAudit shape, in the same audit log as
// every other change. The row id is the request id plus the step and its time comes from the
// orchestration (or the one handler call that writes it), so writing a step twice (an activity
// re-run after a crash) leaves one row. The correlation id is the request id: one query shows a
// request's whole story.
import { auditEvent, type DirectoryAudit, type OperationType } from '../audit/directory-audit';
import { services } from '../services';
import { categoryOf, principalResource, targetResource } from '../services/audit-events';
import type { Target } from './targets';

/** The user's display name from the directory (null when unknown). */
export async function displayNameOf(principalId: string | undefined): Promise<string | null> {
  if (!principalId) return null;
  return (await services().stores.users.get(principalId))?.value.displayName ?? null;
}

/** The role's or group's display name, for notices and audit rows. */
export async function targetDisplayName(target: Target): Promise<string | null> {
  return (await targetResource(services().stores, target)).displayName;
}

function operationOf(step: string): OperationType {
  if (step === 'Requested') return 'Add';
  if (/^(Extend|selfExtend|selfRenew)/.test(step)) return 'Update';
  if (/^(selfDeactivate|adminRemove)/.test(step)) return 'Unassign';
  return 'Other';
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
  const { stores } = services();
  const initiator = { id: step.initiatedBy, displayName: await displayNameOf(step.initiatedBy) };
  const row: DirectoryAudit = auditEvent({
    id: `${step.requestId}-${step.step}`,
    category: categoryOf(step.target),
    activityDisplayName: step.activity,
    operationType: operationOf(step.step),
    initiatedBy: { user: initiator },
    correlationId: step.requestId,
    targetResources: [
      await targetResource(stores, step.target),
      await principalResource(stores, step.principalId),
      { id: step.requestId, type: 'Request', displayName: null },
    ],
    details: { RequestId: step.requestId, Step: step.step, ...step.details },
    result: step.result,
    resultReason: step.resultReason,
    at: new Date(step.at),
  });
  await stores.audit.append([row]);
}

/** The step name of an activation audit row ('Requested', 'Provisioned', ...), if it is one. */
export function stepOf(row: DirectoryAudit): string | undefined {
  return row.additionalDetails.find((d) => d.key === 'Step')?.value;
}
