// The audit row of each activation step, in Graph's directoryAudit shape, in the same audit log as
// every other change. The row id is the request id plus the step and its time comes from the
// orchestration (or the one handler call that writes it), so writing a step twice (an activity
// re-run after a crash) leaves one row. The correlation id is the request id: one query shows a
// request's whole story.
import {
  auditEvent,
  type DirectoryAudit,
  type OperationType,
  type TargetResource,
} from '../audit/directory-audit';
import { services } from '../services';
import { categoryOf, principalResource, targetResource } from '../services/audit-events';
import type { Target } from './targets';

// Display names only decorate audit rows and notices, and every step of every request needs the
// same few: they are kept for a minute per process instead of read from storage each time.
const NAME_TTL_MS = 60_000;
const names = new Map<string, { value: Promise<TargetResource>; at: number }>();

function remembered(key: string, load: () => Promise<TargetResource>): Promise<TargetResource> {
  const hit = names.get(key);
  if (hit && performance.now() - hit.at < NAME_TTL_MS) return hit.value;
  if (names.size > 10_000) names.clear();
  const value = load();
  names.set(key, { value, at: performance.now() });
  value.catch(() => names.delete(key));
  return value;
}

const principalOf = (id: string) => remembered(`p|${id}`, () => principalResource(services().stores, id));
const targetOf = (target: Target) =>
  remembered(`t|${JSON.stringify(target)}`, () => targetResource(services().stores, target));

/** The user's display name from the directory (null when unknown). */
export async function displayNameOf(principalId: string | undefined): Promise<string | null> {
  if (!principalId) return null;
  return (await principalOf(principalId)).displayName;
}

/** The role's or group's display name, for notices and audit rows. */
export async function targetDisplayName(target: Target): Promise<string | null> {
  return (await targetOf(target)).displayName;
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
  const initiator = { id: step.initiatedBy, displayName: await displayNameOf(step.initiatedBy) };
  const row: DirectoryAudit = auditEvent({
    id: `${step.requestId}-${step.step}`,
    category: categoryOf(step.target),
    activityDisplayName: step.activity,
    operationType: operationOf(step.step),
    initiatedBy: { user: initiator },
    correlationId: step.requestId,
    targetResources: [
      await targetOf(step.target),
      await principalOf(step.principalId),
      { id: step.requestId, type: 'Request', displayName: null },
    ],
    details: { RequestId: step.requestId, Step: step.step, ...step.details },
    result: step.result,
    resultReason: step.resultReason,
    at: new Date(step.at),
  });
  await services().stores.audit.append([row]);
}

/** The step name of an activation audit row ('Requested', 'Provisioned', ...), if it is one. */
export function stepOf(row: DirectoryAudit): string | undefined {
  return row.additionalDetails.find((d) => d.key === 'Step')?.value;
}
