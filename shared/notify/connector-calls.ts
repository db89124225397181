// What a grant connector's target system receives for each grant, extension and revoke.
//   webhook      a signed JSON POST per step (an extension is the same grant with its new end), with
//                an Idempotency-Key of request id and step, so a retried call is one change there
//   Entra, Azure the membership or role assignment is added on grant and removed on revoke
//                (shared/cloud); an extension changes nothing there. A revoke leaves it in place
//                while the principal still holds the role or group here by another request or a
//                standing assignment (the later revoke removes it).
// The target's answer never decides access here: the service's own store does, and the access
// check reads only that.

import { now } from '../clock';
import { assignmentName, deleteRoleAssignment, putRoleAssignment } from '../cloud/arm-targets';
import type { CloudOutcome } from '../cloud/cloud-request';
import {
  addToGroup,
  assignDirectoryRole,
  removeDirectoryRole,
  removeFromGroup,
} from '../cloud/graph-targets';
import { standingAssignment, targetKey } from '../domain/access-record';
import { faultPoint } from '../fault';
import { services } from '../services';
import type { ConnectorSignal } from '../services/activation-events';
import { raiseAlert } from './alerts';
import { auditDelivery } from './audit';
import { type Connector, getConnector } from './connectors';
import { person } from './facts';
import { postSigned, safeMessage } from './http-post';
import type { Notice } from './notifier';

/** One connector's part of a ConnectorSignal (the same fields, for one connector id). */
export type ConnectorCall = Omit<ConnectorSignal, 'connectorIds'> & { connectorId: string };

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

/** What one attempt came to; the orchestration retries `retry` (after Retry-After, when given). */
export type CallOutcome = { kind: 'done' } | { kind: 'skipped' } | Exclude<CloudOutcome, { kind: 'done' }>;

/** One attempt at one step. */
export async function callConnector(c: ConnectorCall): Promise<CallOutcome> {
  const connector = await getConnector(c.connectorId);
  if (!connector) {
    await auditDelivery({
      ...auditBase(c),
      id: `${c.requestId}-connector-${c.connectorId}-${stepOf(c)}`,
      activity: `Grant connector ${c.action} skipped (connector deleted)`,
      result: 'failure',
      reason: 'The connector was deleted.',
    });
    return { kind: 'skipped' };
  }
  if (connector.kind !== 'webhook') {
    if (c.action === 'extend') return { kind: 'done' }; // the membership or assignment has no end there
    if (c.action === 'revoke') {
      const holder = await stillHeldBy(c);
      if (holder) {
        await auditDelivery({
          ...auditBase(c),
          id: `${c.requestId}-connector-${c.connectorId}-${stepOf(c)}`,
          activity: 'Grant connector revoke skipped (still held)',
          result: 'success',
          reason: `Still held by ${holder}; its own end removes it.`,
        });
        return { kind: 'done' };
      }
    }
  }
  const outcome = await deliver(connector, c);
  faultPoint('connector:afterTargetCall'); // the target changed; its audit row and the step's end not yet
  if (outcome.kind !== 'done') {
    await auditDelivery({
      ...auditBase(c),
      activity: `Grant connector ${c.action} attempt failed`,
      result: 'failure',
      reason: outcome.reason,
    });
    return outcome;
  }
  await auditDelivery({
    ...auditBase(c),
    id: `${c.requestId}-connector-${c.connectorId}-${stepOf(c)}`,
    activity: `Grant connector ${c.action} delivered`,
    result: 'success',
    ...(outcome.note ? { reason: outcome.note } : {}),
  });
  return { kind: 'done' };
}

/** Another live activation of the same target, or a standing assignment of it, at this moment. */
async function stillHeldBy(c: ConnectorCall): Promise<string | undefined> {
  const { record } = await services().stores.principals.access(c.principalId);
  const live = record.live[targetKey(c.target)];
  if (live && live !== c.requestId) return `request ${live}`;
  const standing = standingAssignment(record, c.target, now());
  // The assignment being revoked may still be in the record (it follows a moment later): not "another".
  return standing && standing.id !== c.scheduleId ? `assignment ${standing.id}` : undefined;
}

async function deliver(connector: Connector, c: ConnectorCall): Promise<CloudOutcome> {
  const grant = c.action !== 'revoke';
  switch (connector.kind) {
    case 'webhook':
      return postToWebhook(connector, c);
    case 'microsoftGraphGroup': {
      const relation = c.target.kind === 'group' && c.target.accessId === 'owner' ? 'owners' : 'members';
      const groupId = connector.entraGroupId ?? '';
      return grant
        ? addToGroup(groupId, c.principalId, relation)
        : removeFromGroup(groupId, c.principalId, relation);
    }
    case 'microsoftGraphDirectoryRole': {
      if (c.target.kind !== 'role')
        return { kind: 'failed', reason: 'A directory role connector follows a role.' };
      const roleId = connector.entraRoleDefinitionId ?? c.target.roleDefinitionId;
      return grant
        ? assignDirectoryRole(c.principalId, roleId, c.target.directoryScopeId)
        : removeDirectoryRole(c.principalId, roleId, c.target.directoryScopeId);
    }
    case 'azureRoleAssignment': {
      const scope = connector.scope ?? '';
      const name = assignmentName(connector.id, c.principalId);
      if (!grant) return deleteRoleAssignment(scope, name);
      // A role-assignable group holding the role is assigned as the group it is.
      const isGroup = (await services().stores.roleManagement.group(c.principalId)) !== undefined;
      return putRoleAssignment(
        scope,
        name,
        connector.azureRoleDefinitionId ?? '',
        c.principalId,
        isGroup ? 'Group' : 'User',
      );
    }
  }
}

async function postToWebhook(connector: Connector, c: ConnectorCall): Promise<CloudOutcome> {
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
    await postSigned(connector.url ?? '', connector.secret ?? null, payload, now(), {
      'idempotency-key': idempotencyKey(c),
      'x-jit-event': `connector.${c.action}`,
    });
    return { kind: 'done' };
  } catch (err) {
    return { kind: 'retry', reason: safeMessage(err) };
  }
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
