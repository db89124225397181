// The activation orchestration's I/O steps. Each is idempotent, keyed by request id and step,
// because the host may run an activity twice after a crash.
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { auditStep, displayNameOf, targetDisplayName } from '../shared/activation/audit-steps';
import { releaseActivation } from '../shared/activation/claims';
import { type RequestRecord, recordRequest } from '../shared/activation/record-request';
import { getRequest, updateRequest } from '../shared/activation/requests-repo';
import type { Notice } from '../shared/notify/notifier';
import { services, userContext } from '../shared/services';
import {
  ActivationEvent,
  Activity,
  type GrantInput,
  type HandOverExtension,
  type LifecycleNotice,
  type RevokeInput,
  type StatusUpdate,
} from './activation-contract';
import { extendConnectorRuns, revokeConnectorRuns, startConnectorRuns } from './connectors';
import { notStarted, revokesNotSignalled } from './not-started';
import { startNotices } from './notifications';

const FINAL = new Set(['Denied', 'Canceled', 'TimedOut', 'Revoked', 'Expired', 'Failed']);

// Entra's wording; `role` becomes `group` for a group membership or ownership.
const STATUS_ACTIVITY: Record<string, string> = {
  PendingMfa: 'Add member to role request waiting for MFA (PIM activation)',
  PendingApproval: 'Add member to role request waiting for approval (PIM activation)',
  Granted: 'Add member to role request approved (PIM activation)',
  Denied: 'Add member to role request denied (PIM activation)',
  Canceled: 'Add member to role request canceled (PIM activation)',
  TimedOut: 'Add member to role request timed out (PIM activation)',
  Provisioned: 'Add member to role request provisioned (PIM activation)',
  Expired: 'Remove member from role request ended (PIM activation expired)',
  Revoked: 'Remove member from role request ended (PIM deactivate or revoke)',
};

df.app.activity(Activity.record, { handler: (record: RequestRecord) => recordRequest(record) });

df.app.activity(Activity.setStatus, {
  handler: async (update: StatusUpdate) => {
    const request = await getRequest(update.requestId);
    if (!request) return;
    await updateRequest(update.requestId, {
      status: update.status,
      completedDateTime:
        FINAL.has(update.status) || update.status === 'Provisioned' ? update.at : request.completedDateTime,
    });
    // A request that ended frees its principal and target for the next activation.
    if (FINAL.has(update.status))
      await releaseActivation(request.principalId, request.target, update.requestId);
    await auditStep({
      requestId: update.requestId,
      step: update.status,
      at: update.at,
      activity: (STATUS_ACTIVITY[update.status] ?? update.status).replace(' role', ` ${request.target.kind}`),
      target: request.target,
      principalId: request.principalId,
      initiatedBy: update.by ?? request.principalId,
      result: update.status === 'Denied' || update.status === 'TimedOut' ? 'failure' : 'success',
      resultReason: update.detail,
      details: {
        Justification: request.justification,
        TicketNumber: request.ticketInfo?.ticketNumber ?? undefined,
      },
    });
  },
});

// Grants, extensions and revokes are rows of the directory's own store (what the access check and
// the admin lists read), each committed with its audit row; the correlation id is the request id.
async function actingAs(userId: string, requestId: string) {
  return userContext({ id: userId, displayName: await displayNameOf(userId) }, requestId);
}

df.app.activity(Activity.grant, {
  handler: async (grant: GrantInput) => {
    const grants = services().activationGrants;
    const ctx = await actingAs(grant.principalId, grant.requestId);
    const held = await grants.grant(ctx, {
      requestId: grant.requestId,
      principalId: grant.principalId,
      target: grant.target,
      startDateTime: grant.startDateTime,
      endDateTime: grant.endDateTime,
      justification: grant.justification,
      ticket: grant.ticket,
    });
    // A later grant of the same request is an extension: move the end of the window.
    if (held.endDateTime !== grant.endDateTime)
      await grants.extend(ctx, grant.requestId, grant.target, grant.endDateTime);
  },
});

df.app.activity(Activity.revoke, {
  handler: async (revoke: RevokeInput) => {
    await services().activationGrants.revoke(
      await actingAs(revoke.by ?? revoke.principalId, revoke.requestId),
      revoke.requestId,
      revoke.target,
      revoke.reason,
    );
    // From here a new activation of the same target must start afresh, not extend this one.
    await releaseActivation(revoke.principalId, revoke.target, revoke.requestId);
  },
});

// An approved extension hands its new end to the orchestration holding the grant. False when that
// activation has ended meanwhile (nothing left to extend). Raising twice is harmless: the holder
// ignores an extension it has seen.
df.app.activity(Activity.handOverExtension, {
  extraInputs: [df.input.durableClient()],
  handler: async (handOver: HandOverExtension, context: InvocationContext) => {
    const client = df.getClient(context);
    const holder = await client.getStatus(handOver.holderRequestId).catch((err: unknown) => {
      if (err instanceof Error && /HTTP 404/.test(err.message)) return undefined;
      throw err;
    });
    const live = [df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending];
    if (!holder || !live.includes(holder.runtimeStatus)) return false;
    await client.raiseEvent(handOver.holderRequestId, ActivationEvent.Extend, handOver.extension);
    return true;
  },
});

// Notices and connectors run in their own orchestrations (./notifications, ./connectors): these
// steps only start or signal them, and never fail, so a broken channel or target system can neither
// hold up nor break a grant or a revoke. What they could not start is logged and audited.
df.app.activity(Activity.notify, {
  extraInputs: [df.input.durableClient()],
  handler: async (notice: LifecycleNotice, context: InvocationContext) => {
    const sent: Notice = {
      event: notice.event,
      subjectId: notice.requestId,
      principalId: notice.principalId,
      targetDisplayName: (await targetDisplayName(notice.target)) ?? 'unknown',
      target: notice.target,
      at: notice.at,
      endDateTime: notice.endDateTime,
      by: notice.by,
    };
    await startNotices(df.getClient(context), sent).catch((err: unknown) =>
      notStarted(notice.requestId, `notice ${notice.event}`, err),
    );
  },
});

df.app.activity(Activity.connectorsGrant, {
  extraInputs: [df.input.durableClient()],
  handler: async (grant: GrantInput, context: InvocationContext) => {
    await startConnectorRuns(df.getClient(context), grant).catch((err: unknown) =>
      notStarted(grant.requestId, 'grant connectors', err),
    );
  },
});

df.app.activity(Activity.connectorsExtend, {
  extraInputs: [df.input.durableClient()],
  handler: async (extension: GrantInput & { at: string }, context: InvocationContext) => {
    await extendConnectorRuns(df.getClient(context), extension).catch((err: unknown) =>
      notStarted(extension.requestId, 'grant connectors (extension)', err),
    );
  },
});

df.app.activity(Activity.connectorsRevoke, {
  extraInputs: [df.input.durableClient()],
  handler: async (revoke: RevokeInput, context: InvocationContext) => {
    await revokeConnectorRuns(df.getClient(context), revoke).catch((err: unknown) =>
      revokesNotSignalled(revoke, err),
    );
  },
});
