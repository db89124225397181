// Audit rows of deliveries: each notice sent (mail or webhook), each failed attempt, each connector
// call and each alert. They name the channel, event, recipients (mail addresses) or the
// subscription/connector id, never a URL, secret, signature or approval link. The correlation id
// is the request's, so a request's whole story (including who was told) is one query.
import { auditEvent, type TargetResource } from '../audit/directory-audit';
import { now } from '../clock';
import type { Target } from '../domain/schedules';
import { services } from '../services';
import { categoryOf, principalResource, targetResource } from '../services/audit-events';

export interface DeliveryAudit {
  /** A fixed id makes a success row idempotent; failures get a fresh row each. */
  id?: string;
  activity: string;
  requestId: string;
  principalId?: string;
  target?: Target;
  result: 'success' | 'failure';
  reason?: string;
  details: Record<string, string | null | undefined>;
}

export async function auditDelivery(a: DeliveryAudit): Promise<void> {
  const { stores } = services();
  const targets: TargetResource[] = [];
  if (a.target) targets.push(await targetResource(stores, a.target));
  if (a.principalId) targets.push(await principalResource(stores, a.principalId));
  targets.push({ id: a.requestId, type: 'Request', displayName: null });
  await stores.audit.append([
    auditEvent({
      id: a.id,
      category: a.target ? categoryOf(a.target) : 'Other',
      activityDisplayName: a.activity,
      operationType: 'Other',
      initiatedBy: { app: 'PIM notifications' },
      correlationId: a.requestId,
      targetResources: targets,
      details: a.details,
      result: a.result,
      resultReason: a.reason,
      at: now(),
    }),
  ]);
}
