// When a notice or connector orchestration could not even be started (storage down, say): a log
// line and, if storage lets us, an audit row, instead of an error that would fail the activation.
import { auditDelivery } from '../shared/notify/audit';
import { safeMessage } from '../shared/notify/http-post';

export async function notStarted(requestId: string, what: string, err: unknown): Promise<void> {
  const reason = safeMessage(err);
  console.error(`[notify] request ${requestId}: could not start ${what}: ${reason}`);
  await auditDelivery({
    activity: `Could not start ${what}`,
    requestId,
    result: 'failure',
    reason,
    details: { Stage: what },
  }).catch(() => undefined);
}
