// What a grant connector's target system receives: a signed JSON POST per grant, per extension
// (the same grant with its new end) and per revoke, with an Idempotency-Key of request id and step, so a retried call (after a timeout, say) is one
// change on the target. The target's answer never decides access here: the service's own store
// does, and the access check reads only that.
import { now } from '../clock';
import type { Target } from '../domain/schedules';
import { services } from '../services';
import { raiseAlert } from './alerts';
import { auditDelivery } from './audit';
import { getConnector } from './connectors';
import { person } from './facts';
import { DeliveryError, postSigned, safeMessage } from './http-post';
import type { Notice } from './notifier';

export interface ConnectorCall {
  requestId: string;
  connectorId: string;
  action: 'grant' | 'extend' | 'revoke';
  principalId: string;
  target: Target;
  startDateTime?: string;
  endDateTime?: string;
  /** Revokes: expired, selfDeactivate or adminRemove. */
  reason?: string;
  /** The orchestration's time of the step. */
  at: string;
}

/** The call's step: an extension is one step per new end. */
const stepOf = (c: Pick<ConnectorCall, 'action' | 'endDateTime'>) =>
  c.action === 'extend' ? `extend-${Date.parse(c.endDateTime ?? '')}` : c.action;

export const idempotencyKey = (c: Pick<ConnectorCall, 'requestId' | 'action' | 'endDateTime'>) =>
  `${c.requestId}:${stepOf(c)}`;

const auditBase = (c: ConnectorCall) => ({
  requestId: c.requestId,
  principalId: c.principalId,
  target: c.target,
  details: { ConnectorId: c.connectorId, ConnectorAction: c.action, IdempotencyKey: idempotencyKey(c) },
});

/** One attempt; throws on failure so the durable retry tries again. */
export async function callConnector(c: ConnectorCall): Promise<'sent' | 'skipped'> {
  const connector = await getConnector(c.connectorId);
  if (!connector) {
    await auditDelivery({
      ...auditBase(c),
      id: `${c.requestId}-connector-${c.connectorId}-${stepOf(c)}`,
      activity: `Grant connector ${c.action} skipped (connector deleted)`,
      result: 'failure',
      reason: 'The connector was deleted.',
    });
    return 'skipped';
  }
  const principal = await person(c.principalId);
  const payload = {
    action: c.action,
    idempotencyKey: idempotencyKey(c),
    requestId: c.requestId,
    occurredDateTime: c.at,
    principal: { id: principal.id, displayName: principal.displayName, userPrincipalName: principal.email },
    target: { ...c.target, displayName: await services().names.targetName(c.target) },
    startDateTime: c.startDateTime ?? null,
    endDateTime: c.endDateTime ?? null,
    reason: c.reason ?? null,
  };
  try {
    await postSigned(connector.url, connector.secret, payload, now(), {
      'idempotency-key': idempotencyKey(c),
      'x-jit-event': `connector.${c.action}`,
    });
  } catch (err) {
    const reason = safeMessage(err);
    await auditDelivery({
      ...auditBase(c),
      activity: `Grant connector ${c.action} attempt failed`,
      result: 'failure',
      reason,
    });
    throw new DeliveryError(reason);
  }
  await auditDelivery({
    ...auditBase(c),
    id: `${c.requestId}-connector-${c.connectorId}-${stepOf(c)}`,
    activity: `Grant connector ${c.action} delivered`,
    result: 'success',
  });
  return 'sent';
}

/** After the last retry: an alert row, an audit row, and the notice for the admins (returned). */
export async function connectorGaveUp(c: ConnectorCall, error: string): Promise<Notice> {
  const connector = await getConnector(c.connectorId);
  const name = connector?.displayName ?? c.connectorId;
  const role = (await services().names.targetName(c.target)) ?? 'unknown role';
  const message = safeMessage(error);
  await raiseAlert({
    id: `${c.requestId}|${c.connectorId}|${stepOf(c)}`,
    alertType: c.action === 'revoke' ? 'ConnectorRevokeFailed' : 'ConnectorGrantFailed',
    createdDateTime: now().toISOString(),
    requestId: c.requestId,
    principalId: c.principalId,
    connectorId: c.connectorId,
    connectorDisplayName: name,
    targetDisplayName: role,
    error: message,
  });
  await auditDelivery({
    ...auditBase(c),
    id: `${c.requestId}-connector-${c.connectorId}-${stepOf(c)}-alert`,
    activity: `Grant connector ${c.action} failed: alert raised`,
    result: 'failure',
    reason: message,
  });
  return {
    event: 'connectorFailed',
    subjectId: c.requestId,
    principalId: c.principalId,
    targetDisplayName: role,
    target: c.target,
    at: now().toISOString(),
    connector: { id: c.connectorId, displayName: name, action: c.action, error: message },
  };
}
