// When a notice or connector orchestration could not even be started (storage down, say): a log
// line and, if storage lets us, an audit row, instead of an error that would fail the activation.
import { targetDisplayName } from '../shared/activation/audit-steps';
import { now } from '../shared/clock';
import type { Target } from '../shared/domain/schedules';
import { raiseAlert } from '../shared/notify/alerts';
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

/**
 * The connectors of a request could not be told about its revoke: their target systems may still
 * grant access, so besides the audit row an admin gets an alert row to act on.
 */
export async function revokesNotSignalled(
  revoke: { requestId: string; principalId: string; target: Target },
  err: unknown,
): Promise<void> {
  await notStarted(revoke.requestId, 'connector revokes', err);
  await raiseAlert({
    id: `${revoke.requestId}|*|revoke`,
    alertType: 'ConnectorRevokeFailed',
    createdDateTime: now().toISOString(),
    requestId: revoke.requestId,
    principalId: revoke.principalId,
    connectorId: '*',
    connectorDisplayName: 'every connector of the request',
    targetDisplayName: (await targetDisplayName(revoke.target).catch(() => null)) ?? 'unknown',
    error: safeMessage(err),
  }).catch(() => undefined);
}
