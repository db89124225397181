// The grant and revoke steps of activation (the orchestration's activities), on the same schedules
// admins write, so rolesOf, the access check and the last-administrator rule see activations too.
// Trusted callers only: the orchestration has already checked eligibility, policy, MFA and approval.
// Idempotent, as activities run at least once: the schedule's id IS the activation request's id,
// so a repeated grant finds its row, and a repeated revoke finds none; neither writes a second audit row.
import { ConflictError } from '../domain/errors';
import { isActiveAt, type ScheduleRecord, type Target } from '../domain/schedules';
import { scheduleEntity } from '../storage/role-management-entities';
import { resourceOfTarget } from '../storage/role-management-keys';
import { categoryOf, event, principalResource, targetResource } from './audit-events';
import type { OperationContext } from './context';
import type { ServiceDeps } from './deps';
import { withRetry } from './retry';

export interface ActivationGrant {
  requestId: string;
  principalId: string;
  target: Target;
  startDateTime: string;
  endDateTime: string;
  justification?: string | null;
  ticket?: { ticketNumber?: string | null; ticketSystem?: string | null } | null;
}

export type RevokeReason = 'expired' | 'selfDeactivate' | 'adminRemove';

const REVOKE_SUFFIX: Record<RevokeReason, string> = {
  expired: 'PIM activation expired',
  selfDeactivate: 'PIM deactivate',
  adminRemove: 'PIM activation revoked',
};

function who(target: Target): string {
  return target.kind === 'group' ? target.accessId : 'member';
}

export class ActivationGrantService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Writes the Activated assignment (id = request id) with its audit row; returns it (existing on a retry). */
  async grant(ctx: OperationContext, g: ActivationGrant): Promise<ScheduleRecord> {
    const repo = this.deps.stores.roleManagement;
    const resource = resourceOfTarget(g.target);
    const principalId = g.principalId.toLowerCase();
    return withRetry(async () => {
      const existing = await repo.schedule(resource, 'assignment', g.requestId);
      if (existing) return existing.value;
      const head = await repo.head(resource);
      if (!head || head.deleted)
        throw new ConflictError(`The ${g.target.kind} no longer exists.`, 'ActivationTargetGone');
      const now = this.deps.now().toISOString();
      const schedule: ScheduleRecord = {
        id: g.requestId,
        level: 'assignment',
        target: g.target,
        principalId,
        memberType: 'Direct',
        assignmentType: 'Activated',
        status: 'Provisioned',
        startDateTime: g.startDateTime,
        endDateTime: g.endDateTime,
        createdDateTime: now,
        modifiedDateTime: now,
        createdUsing: g.requestId,
      };
      try {
        await repo.commit(resource, {
          guard: head,
          writes: [{ op: 'insert', entity: scheduleEntity(schedule) }],
          audits: [
            event(ctx, new Date(g.startDateTime), {
              category: categoryOf(g.target),
              activityDisplayName: `Add ${who(g.target)} to ${g.target.kind} completed (PIM activation)`,
              operationType: 'Assign',
              targets: await this.targets(g.target, principalId, g.requestId),
              details: {
                RequestId: g.requestId,
                Justification: g.justification,
                TicketNumber: g.ticket?.ticketNumber,
                TicketSystem: g.ticket?.ticketSystem,
                StartDateTime: g.startDateTime,
                EndDateTime: g.endDateTime,
              },
            }),
          ],
        });
      } catch (err) {
        // The first run of this activity wrote it after our read: same outcome.
        if (err instanceof ConflictError && (await repo.schedule(resource, 'assignment', g.requestId)))
          return schedule;
        throw err;
      }
      return schedule;
    });
  }

  /** Moves the end of an activation (selfExtend after approval). Idempotent. */
  async extend(
    ctx: OperationContext,
    requestId: string,
    target: Target,
    endDateTime: string,
  ): Promise<boolean> {
    const repo = this.deps.stores.roleManagement;
    const resource = resourceOfTarget(target);
    return withRetry(async () => {
      const current = await repo.schedule(resource, 'assignment', requestId);
      if (!current) return false;
      if (current.value.endDateTime === endDateTime) return true;
      const head = (await repo.head(resource))!;
      const next = { ...current.value, endDateTime, modifiedDateTime: this.deps.now().toISOString() };
      await repo.commit(resource, {
        guard: head,
        writes: [{ op: 'replace', entity: scheduleEntity(next), etag: current.etag }],
        audits: [
          event(ctx, this.deps.now(), {
            category: categoryOf(target),
            activityDisplayName: `Extend ${who(target)} in ${target.kind} completed (PIM activation)`,
            operationType: 'Update',
            targets: await this.targets(target, current.value.principalId, requestId),
            details: {
              RequestId: requestId,
              OldEndDateTime: current.value.endDateTime,
              EndDateTime: endDateTime,
            },
          }),
        ],
      });
      return true;
    });
  }

  /** Removes the activation's assignment if it is still there. Returns whether this call removed it. */
  async revoke(
    ctx: OperationContext,
    requestId: string,
    target: Target,
    reason: RevokeReason,
  ): Promise<boolean> {
    const repo = this.deps.stores.roleManagement;
    const resource = resourceOfTarget(target);
    return withRetry(async () => {
      const current = await repo.schedule(resource, 'assignment', requestId);
      if (!current) return false;
      const head = (await repo.head(resource))!;
      const at = this.deps.now();
      await repo.commit(resource, {
        guard: head,
        writes: [{ op: 'delete', entity: scheduleEntity(current.value) }],
        audits: [
          event(ctx, at, {
            category: categoryOf(target),
            activityDisplayName: `Remove ${who(target)} from ${target.kind} completed (${REVOKE_SUFFIX[reason]})`,
            operationType: 'Unassign',
            targets: await this.targets(target, current.value.principalId, requestId),
            details: {
              RequestId: requestId,
              Reason: reason,
              // A late revoke is visible: the window had already closed (access ended on time anyway).
              EndedBeforeRevoke: isActiveAt(current.value, at) ? undefined : 'true',
            },
          }),
        ],
      });
      return true;
    });
  }

  private async targets(target: Target, principalId: string, requestId: string) {
    const stores = this.deps.stores;
    return [
      await targetResource(stores, target),
      await principalResource(stores, principalId),
      { id: requestId, type: 'Request', displayName: null },
    ];
  }
}
