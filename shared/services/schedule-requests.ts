// Admin schedule requests for directory roles (roleEligibilityScheduleRequests,
// roleAssignmentScheduleRequests) and privileged groups (eligibilityScheduleRequests,
// assignmentScheduleRequests): adminAssign creates a schedule, adminUpdate changes it, adminRemove
// removes it, adminExtend moves a running schedule's end later, adminRenew restarts an ended one.
// Each request: validate -> authorize -> check the policy and the directory rules -> write the
// schedule, the request row and the audit row in one transaction (retrying on a lost race).
// The principal's own selfExtend and selfRenew (shared/domain/renewal.ts) wait here for an admin:
// adminExtend or adminRenew of the schedule grants them, adminRemove or an admin's cancel denies them.
import { randomUUID } from 'node:crypto';
import type { OutboxSignal } from '../audit/outbox';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  LastAdministratorError,
  PolicyValidationError,
  ValidationError,
} from '../domain/errors';
import { defaultPolicy, type PolicyTarget, type RoleManagementPolicy } from '../domain/policy';
import { adminRequestFailures, adminRequestHints, isTooShort } from '../domain/policy-evaluation';
import {
  EXTEND_WINDOW_DAYS,
  isRenewalAction,
  type RenewalAction,
  type RenewalCandidate,
  renewalCandidate,
} from '../domain/renewal';
import {
  GroupScheduleRequestInput,
  isAdminAction,
  RoleScheduleRequestInput,
  type ScheduleRequestInput,
  type ScheduleRequestRecord,
  targetOfInput,
} from '../domain/requests';
import { builtInRole } from '../domain/roles';
import { expirationTypeOf, resolveWindow, type ScheduleInfo, type Window } from '../domain/schedule-info';
import {
  isCurrentOrFuture,
  type ScheduleLevel,
  type ScheduleRecord,
  sameTarget,
  type Target,
} from '../domain/schedules';
import { connectorIdsFor } from '../notify/connectors';
import { requestEntity, type Stored, scheduleEntity } from '../storage/role-management-entities';
import { resourceOfTarget } from '../storage/role-management-keys';
import type { Head, Write } from '../storage/role-management-repository';
import type { ConnectorSignal } from './activation-events';
import {
  categoryOf,
  event,
  principalResource,
  requestDetails,
  scheduleActivity,
  targetResource,
} from './audit-events';
import { actorHasMfa, createdByOf, type OperationContext } from './context';
import type { ServiceDeps } from './deps';
import { requireOtherGroupAdmin, requireOtherRoleHolder } from './last-admin';
import { withRetry } from './retry';
import { parseInput } from './validation';

const doesNotExist = () =>
  new AppError(400, 'RoleAssignmentDoesNotExist', 'The role assignment does not exist.', [
    { target: 'principalId', message: 'no matching schedule for this principal and target' },
  ]);
const exists = () => new ConflictError('The role assignment already exists.', 'RoleAssignmentExists');

export interface SubmitOptions {
  /** The request's id: a replayed admin change proposal uses its own id, so a replay finds its request. */
  requestId?: string;
}

interface Plan {
  write: Write;
  schedule: ScheduleRecord;
  window: Window | null;
  requested?: ScheduleInfo | null;
}

/**
 * An admin's active assignment reaches the role's or group's grant connectors as an activation
 * does: a grant at its start, a new end when it is updated or extended, a revoke when it is
 * removed or ends (the connector sync keeps the end). The sync is named by the request that made
 * the assignment (`createdUsing`), under which its calls are audited.
 */
async function assignmentConnectorSignals(action: string, plan: Plan, now: Date): Promise<OutboxSignal[]> {
  const s = plan.schedule;
  const connectorIds = await connectorIdsFor(s.target);
  if (connectorIds.length === 0) return [];
  const kind =
    action === 'adminAssign' || action === 'adminRenew'
      ? 'grant'
      : action === 'adminRemove'
        ? 'revoke'
        : 'extend';
  const call: ConnectorSignal = {
    action: kind,
    requestId: s.createdUsing ?? s.id,
    principalId: s.principalId,
    target: s.target,
    connectorIds,
    startDateTime: s.startDateTime ?? undefined,
    endDateTime: kind === 'extend' ? (s.endDateTime ?? '') : (s.endDateTime ?? undefined),
    ...(kind === 'revoke' ? { reason: 'adminRemove' } : {}),
    at: now.toISOString(),
    follow: 'assignment',
    scheduleId: s.id,
  };
  return [{ kind: 'connectors', call } as unknown as OutboxSignal];
}

export class ScheduleRequestService {
  constructor(
    private readonly deps: ServiceDeps,
    /** Provisions a built-in role's partition on first use (RoleDefinitionService.ensureBuiltIn). */
    private readonly ensureBuiltIn: (roleId: string) => Promise<void>,
  ) {}

  /** POST roleEligibilityScheduleRequests / roleAssignmentScheduleRequests (admin actions). */
  submitRoleRequest(
    ctx: OperationContext,
    level: ScheduleLevel,
    body: unknown,
    options: SubmitOptions = {},
  ): Promise<ScheduleRequestRecord> {
    return this.submit(ctx, level, parseInput(RoleScheduleRequestInput, body), options);
  }

  /** POST privilegedAccess/group eligibilityScheduleRequests / assignmentScheduleRequests (admin actions). */
  submitGroupRequest(
    ctx: OperationContext,
    level: ScheduleLevel,
    body: unknown,
    options: SubmitOptions = {},
  ): Promise<ScheduleRequestRecord> {
    return this.submit(ctx, level, parseInput(GroupScheduleRequestInput, body), options);
  }

  /**
   * An access review's removal of a denied assignment, as an admin's adminRemove under the review's
   * name. Its request id is the decision item's, so a re-run after a crash can tell its own removal
   * (the request row exists) from an assignment someone else removed.
   */
  removeForReview(
    ctx: OperationContext,
    level: ScheduleLevel,
    target: Target,
    principalId: string,
    requestId: string,
    justification: string,
  ): Promise<ScheduleRequestRecord> {
    const input =
      target.kind === 'role'
        ? parseInput(RoleScheduleRequestInput, {
            action: 'adminRemove',
            principalId,
            roleDefinitionId: target.roleDefinitionId,
            directoryScopeId: target.directoryScopeId,
            justification,
          })
        : parseInput(GroupScheduleRequestInput, {
            action: 'adminRemove',
            principalId,
            groupId: target.groupId,
            accessId: target.accessId,
            justification,
          });
    return this.submit(ctx, level, input, { requestId });
  }

  private async submit(
    ctx: OperationContext,
    level: ScheduleLevel,
    input: ScheduleRequestInput,
    options: SubmitOptions = {},
  ): Promise<ScheduleRequestRecord> {
    if (isRenewalAction(input.action)) return this.requestRenewal(ctx, level, input, input.action);
    if (!isAdminAction(input.action)) {
      throw new ValidationError(
        `Action '${input.action}' is a self-service action, handled by activation, not here.`,
        [
          {
            target: 'action',
            message:
              'expected adminAssign, adminUpdate, adminRemove, adminExtend, adminRenew, selfExtend or selfRenew',
          },
        ],
        'UnsupportedAction',
      );
    }
    await this.deps.access.requireManage(ctx, this.deps.now());
    const target = targetOfInput(input);
    const resource = resourceOfTarget(target);
    await this.checkPrincipal(input.principalId, target);
    return withRetry(async () => {
      const now = this.deps.now();
      const head = await this.loadResource(target);
      const policyTarget: PolicyTarget =
        target.kind === 'role' ? { kind: 'role', roleDefinitionId: target.roleDefinitionId } : target;
      const policy =
        (await this.deps.stores.roleManagement.policy(policyTarget))?.value ?? defaultPolicy(policyTarget);
      const mine = (
        await this.deps.stores.roleManagement.schedules(resource, level, { principalId: input.principalId })
      ).filter((s) => sameTarget(s.value.target, target));
      const requestId = options.requestId ?? randomUUID();
      const plan = await this.plan(ctx, level, input, target, mine, policy, requestId, now);
      const record = this.record(ctx, level, input, target, plan.schedule, plan.window, requestId, now);
      if (input.isValidationOnly) return record;
      const activity = scheduleActivity(
        input.action,
        level,
        target,
        plan.window ? plan.window.end === null : undefined,
      );
      const answered = await this.answerRenewals(resource, level, input, plan.schedule, now);
      await this.deps.stores.roleManagement.commit(resource, {
        guard: head,
        writes: [plan.write, { op: 'insert', entity: requestEntity(record) }, ...answered],
        signals: level === 'assignment' ? await assignmentConnectorSignals(input.action, plan, now) : [],
        audits: [
          event(ctx, now, {
            category: categoryOf(target),
            activityDisplayName: activity.name,
            operationType: activity.operation,
            targets: await this.auditTargets(target, input.principalId, requestId),
            details: requestDetails(record),
          }),
        ],
      });
      return record;
    });
  }

  /**
   * selfExtend / selfRenew: the principal asks for more time on an assignment of their own. Nothing
   * changes but the request, which waits as PendingAdminDecision; the admins are told (through the
   * audit row, as eligibility changes are: shared/notify/eligibility-feed.ts).
   */
  private async requestRenewal(
    ctx: OperationContext,
    level: ScheduleLevel,
    input: ScheduleRequestInput,
    action: RenewalAction,
  ): Promise<ScheduleRequestRecord> {
    if (ctx.actor.kind !== 'user' || ctx.actor.id !== input.principalId.toLowerCase())
      throw new ForbiddenError(
        `${action} is for the principal's own assignments: principalId must be the caller's id.`,
      );
    if (!input.justification?.trim())
      throw new ValidationError(`Say why you still need it: ${action} requires a justification.`, [
        { target: 'justification', message: 'required' },
      ]);
    const target = targetOfInput(input);
    const resource = resourceOfTarget(target);
    return withRetry(async () => {
      const now = this.deps.now();
      const head = await this.loadResource(target);
      const repo = this.deps.stores.roleManagement;
      const mine = (await repo.schedules(resource, level, { principalId: input.principalId }))
        .map((s) => s.value)
        .filter((s) => sameTarget(s.target, target) && s.memberType === 'Direct');
      const found = renewalCandidate(action, mine, now, input.targetScheduleId);
      if (!found.ok) throw renewalRefusal(action, level, found);
      const pending = await this.pendingRenewals(resource, level, input.principalId, found.schedule.id);
      if (pending.length > 0)
        throw new ConflictError(
          `Request ${pending[0].id} already asks the admins about this assignment; wait for it or cancel it.`,
          'PendingRoleAssignmentRequest',
        );
      const requestId = randomUUID();
      const requested = input.scheduleInfo ? resolveWindow(input.scheduleInfo, now) : null;
      const record: ScheduleRequestRecord = {
        ...this.record(ctx, level, input, target, found.schedule, requested, requestId, now),
        status: 'PendingAdminDecision',
        completedDateTime: null,
      };
      if (input.isValidationOnly) return record;
      const activity = scheduleActivity(action, level, target, undefined);
      await repo.commit(resource, {
        guard: head,
        writes: [{ op: 'insert', entity: requestEntity(record) }],
        signals: [],
        audits: [
          event(ctx, now, {
            category: categoryOf(target),
            activityDisplayName: activity.name,
            operationType: activity.operation,
            targets: await this.auditTargets(target, input.principalId, requestId),
            details: {
              ...requestDetails(record),
              CurrentEndDateTime: found.schedule.endDateTime ?? 'permanent',
            },
          }),
        ],
      });
      return record;
    });
  }

  /** The principal's selfExtend/selfRenew requests about `scheduleId` that wait for an admin. */
  private async pendingRenewals(
    resource: ReturnType<typeof resourceOfTarget>,
    level: ScheduleLevel,
    principalId: string,
    scheduleId: string,
  ): Promise<ScheduleRequestRecord[]> {
    const out: ScheduleRequestRecord[] = [];
    let token: string | undefined;
    do {
      const page = await this.deps.stores.roleManagement.listRequests(
        resource,
        level,
        { top: 500, continuationToken: token },
        { principalId },
      );
      out.push(
        ...page.items.filter((r) => r.status === 'PendingAdminDecision' && r.targetScheduleId === scheduleId),
      );
      token = page.continuationToken;
    } while (token);
    return out;
  }

  /** An admin's adminExtend/adminRenew grants the waiting self requests about the schedule; adminRemove denies them. */
  private async answerRenewals(
    resource: ReturnType<typeof resourceOfTarget>,
    level: ScheduleLevel,
    input: ScheduleRequestInput,
    schedule: ScheduleRecord,
    now: Date,
  ): Promise<Write[]> {
    const status =
      input.action === 'adminExtend' || input.action === 'adminRenew'
        ? 'Granted'
        : input.action === 'adminRemove'
          ? 'Denied'
          : undefined;
    if (!status) return [];
    const waiting = await this.pendingRenewals(resource, level, schedule.principalId, schedule.id);
    return waiting.map((r) => ({
      op: 'upsert',
      entity: requestEntity({ ...r, status, completedDateTime: now.toISOString() }),
    }));
  }

  /**
   * POST .../{id}/cancel of a request waiting for an admin: the principal withdraws it (Canceled), or
   * an admin turns it down (Denied). Other requests here completed when they were made (409).
   */
  async cancelRequest(ctx: OperationContext, request: ScheduleRequestRecord): Promise<void> {
    const own = ctx.actor.kind === 'user' && ctx.actor.id === request.principalId;
    const admin =
      ctx.actor.kind === 'user' && (await this.deps.access.canManage(ctx.actor.id, this.deps.now()));
    if (!own && !admin)
      throw new ForbiddenError('Only the principal or an administrator may cancel a request.');
    const target = request.target;
    const resource = resourceOfTarget(target);
    await withRetry(async () => {
      const now = this.deps.now();
      const head = await this.loadResource(target);
      const current = await this.deps.stores.roleManagement.request(resource, request.level, request.id);
      if (current?.status !== 'PendingAdminDecision')
        throw new ConflictError(
          `The request is ${current?.status ?? 'gone'}; only pending requests can be canceled.`,
          'RequestNotPending',
        );
      const status = own ? 'Canceled' : 'Denied';
      const next: ScheduleRequestRecord = { ...current, status, completedDateTime: now.toISOString() };
      await this.deps.stores.roleManagement.commit(resource, {
        guard: head,
        writes: [{ op: 'upsert', entity: requestEntity(next) }],
        signals: [],
        audits: [
          event(ctx, now, {
            category: categoryOf(target),
            activityDisplayName: `${scheduleActivity(current.action, current.level, target, undefined).name.replace(' completed', '')} ${status.toLowerCase()}`,
            operationType: 'Update',
            targets: await this.auditTargets(target, current.principalId, current.id),
            details: requestDetails(next),
          }),
        ],
      });
    });
  }

  private async plan(
    ctx: OperationContext,
    level: ScheduleLevel,
    input: ScheduleRequestInput,
    target: Target,
    mine: Stored<ScheduleRecord>[],
    policy: RoleManagementPolicy,
    requestId: string,
    now: Date,
  ): Promise<Plan> {
    const pick = (keep: (s: ScheduleRecord) => boolean) =>
      mine.find((s) => keep(s.value) && (!input.targetScheduleId || s.value.id === input.targetScheduleId));
    const checkPolicy = async (window: Window) => {
      this.checkWindow(level, window, now);
      const failed = adminRequestFailures(policy, level, {
        window,
        justification: input.justification,
        ticketInfo: input.ticketInfo,
        mfaSatisfied: actorHasMfa(ctx),
      });
      if (failed.length > 0) {
        const error = new PolicyValidationError(failed, adminRequestHints(policy, level));
        await this.auditFailure(ctx, level, input, target, now, window, error.message);
        throw error;
      }
    };
    const changed = (s: Stored<ScheduleRecord>, window: Window): Plan => {
      const schedule: ScheduleRecord = {
        ...s.value,
        startDateTime: window.start.toISOString(),
        endDateTime: window.end?.toISOString() ?? null,
        modifiedDateTime: now.toISOString(),
      };
      return { write: { op: 'replace', entity: scheduleEntity(schedule), etag: s.etag }, schedule, window };
    };

    switch (input.action) {
      case 'adminAssign': {
        if (mine.some((s) => isCurrentOrFuture(s.value, now))) throw exists();
        const window = resolveWindow(input.scheduleInfo, now);
        await checkPolicy(window);
        const schedule: ScheduleRecord = {
          id: randomUUID(),
          level,
          target,
          principalId: input.principalId,
          memberType: 'Direct',
          assignmentType: level === 'assignment' ? 'Assigned' : null,
          status: 'Provisioned',
          startDateTime: window.start.toISOString(),
          endDateTime: window.end?.toISOString() ?? null,
          createdDateTime: now.toISOString(),
          modifiedDateTime: now.toISOString(),
          createdUsing: requestId,
        };
        return { write: { op: 'insert', entity: scheduleEntity(schedule) }, schedule, window };
      }
      case 'adminUpdate': {
        const current = pick((s) => isCurrentOrFuture(s, now));
        if (!current) throw doesNotExist();
        const window = resolveWindow(
          {
            startDateTime: input.scheduleInfo?.startDateTime ?? current.value.startDateTime,
            expiration: input.scheduleInfo?.expiration ?? expirationOf(current.value),
          },
          now,
        );
        await checkPolicy(window);
        // Moving an active assignment's start into the future ends it for now.
        const stillActive = window.start.getTime() <= now.getTime();
        if (!stillActive) await this.checkNotLastAdministrator(ctx, level, input, target, current.value, now);
        return changed(current, window);
      }
      case 'adminExtend': {
        const current = pick((s) => isCurrentOrFuture(s, now) && s.endDateTime !== null);
        if (!current) throw doesNotExist();
        const window = resolveWindow(
          { startDateTime: current.value.startDateTime, expiration: input.scheduleInfo?.expiration },
          now,
        );
        if (window.end !== null && window.end.getTime() <= Date.parse(current.value.endDateTime!)) {
          throw new ValidationError('An extension must end later than the current schedule.', [
            { target: 'scheduleInfo.expiration', message: 'not after the current end' },
          ]);
        }
        // The policy's maximum counts from now: an extension grants the time from here on.
        await checkPolicy({
          start: new Date(Math.max(now.getTime(), window.start.getTime())),
          end: window.end,
        });
        return changed(current, window);
      }
      case 'adminRenew': {
        if (mine.some((s) => isCurrentOrFuture(s.value, now))) throw exists();
        const ended = mine
          .filter((s) => !isCurrentOrFuture(s.value, now))
          .filter((s) => !input.targetScheduleId || s.value.id === input.targetScheduleId)
          .sort((a, b) => Date.parse(b.value.endDateTime!) - Date.parse(a.value.endDateTime!))[0];
        if (!ended) throw doesNotExist();
        const window = resolveWindow(input.scheduleInfo, now);
        await checkPolicy(window);
        // A renewal starts the assignment's life again: its grant connectors hear of it as new.
        return changed({ ...ended, value: { ...ended.value, createdUsing: requestId } }, window);
      }
      case 'adminRemove': {
        const current = pick((s) => isCurrentOrFuture(s, now));
        if (!current) throw doesNotExist();
        await this.checkNotLastAdministrator(ctx, level, input, target, current.value, now);
        return {
          write: { op: 'delete', entity: scheduleEntity(current.value) },
          schedule: current.value,
          window: null,
        };
      }
      default:
        throw new ValidationError(`Unsupported action '${input.action}'.`);
    }
  }

  // Without an active Global Administrator or Privileged Role Administrator nobody could administer
  // PIM again (last-admin.ts). The holders are read after the head, so a concurrent removal in the
  // same partition makes one commit fail and its retry sees the other's result.
  private async checkNotLastAdministrator(
    ctx: OperationContext,
    level: ScheduleLevel,
    input: ScheduleRequestInput,
    target: Target,
    ending: ScheduleRecord,
    now: Date,
  ): Promise<void> {
    if (level !== 'assignment') return;
    try {
      if (target.kind === 'role') await requireOtherRoleHolder(this.deps.stores, ending, now);
      else await requireOtherGroupAdmin(this.deps.stores, target.groupId, [ending], now);
    } catch (err) {
      if (err instanceof LastAdministratorError)
        await this.auditFailure(ctx, level, input, target, now, null, err.message);
      throw err;
    }
  }

  private checkWindow(level: ScheduleLevel, window: Window, now: Date): void {
    if (window.end !== null && window.end.getTime() <= now.getTime()) {
      throw new ValidationError('The schedule would already have ended.', [
        { target: 'scheduleInfo.expiration', message: 'ends in the past' },
      ]);
    }
    if (level === 'assignment' && isTooShort(window)) {
      throw new AppError(
        400,
        'ActiveDurationTooShort',
        'An active assignment must last at least five minutes.',
      );
    }
  }

  private record(
    ctx: OperationContext,
    level: ScheduleLevel,
    input: ScheduleRequestInput,
    target: Target,
    schedule: ScheduleRecord,
    w: Window | null,
    requestId: string,
    now: Date,
  ): ScheduleRequestRecord {
    const requestedType = expirationTypeOf(input.scheduleInfo?.expiration);
    return {
      id: requestId,
      level,
      action: input.action,
      target,
      principalId: input.principalId,
      status: input.action === 'adminRemove' ? 'Revoked' : 'Provisioned',
      justification: input.justification ?? null,
      ticketInfo: input.ticketInfo ?? null,
      scheduleInfo:
        w === null
          ? null
          : {
              startDateTime: w.start.toISOString(),
              expiration: {
                type:
                  w.end === null
                    ? 'noExpiration'
                    : requestedType === 'afterDuration'
                      ? 'afterDuration'
                      : 'afterDateTime',
                duration:
                  w.end !== null && requestedType === 'afterDuration'
                    ? (input.scheduleInfo?.expiration?.duration ?? null)
                    : null,
                endDateTime: w.end?.toISOString() ?? null,
              },
            },
      isValidationOnly: input.isValidationOnly,
      targetScheduleId: schedule.id,
      approvalId: null,
      createdDateTime: now.toISOString(),
      completedDateTime: now.toISOString(),
      createdBy: createdByOf(ctx),
    };
  }

  /** The role (enabled, not deleted) or group must exist; returns its head for the commit guard. */
  private async loadResource(target: Target): Promise<Head> {
    const repo = this.deps.stores.roleManagement;
    if (target.kind === 'role') {
      let head = await repo.head({ kind: 'role', id: target.roleDefinitionId });
      if (!head && builtInRole(target.roleDefinitionId)) {
        await this.ensureBuiltIn(target.roleDefinitionId);
        head = await repo.head({ kind: 'role', id: target.roleDefinitionId });
      }
      const def = head && !head.deleted ? await repo.roleDefinition(target.roleDefinitionId) : undefined;
      if (!head || !def) {
        throw new AppError(
          400,
          'RoleDefinitionNotFound',
          `Role definition '${target.roleDefinitionId}' does not exist.`,
          [{ target: 'roleDefinitionId', message: 'no such role' }],
        );
      }
      if (!def.value.isEnabled) {
        throw new ValidationError(`Role '${def.value.displayName}' is disabled.`, [
          { target: 'roleDefinitionId', message: 'role is disabled' },
        ]);
      }
      return head;
    }
    const head = await repo.head({ kind: 'group', id: target.groupId });
    if (!head || head.deleted || !(await repo.group(target.groupId))) {
      throw new AppError(400, 'GroupNotFound', `Group '${target.groupId}' does not exist.`, [
        { target: 'groupId', message: 'no such group' },
      ]);
    }
    return head;
  }

  /** A group may hold roles only if role-assignable, and may not be a member or owner of a group. */
  private async checkPrincipal(principalId: string, target: Target): Promise<void> {
    const group = await this.deps.stores.roleManagement.group(principalId);
    if (!group) return;
    if (target.kind === 'group') {
      throw new ValidationError('A group cannot be a member or owner of a privileged group.', [
        { target: 'principalId', message: 'is a group' },
      ]);
    }
    if (!group.value.isAssignableToRole) {
      throw new ValidationError(`Group '${group.value.displayName}' is not role-assignable.`, [
        { target: 'principalId', message: 'group has isAssignableToRole false' },
      ]);
    }
  }

  private async auditTargets(target: Target, principalId: string, requestId: string) {
    const stores = this.deps.stores;
    return [
      await targetResource(stores, target),
      await principalResource(stores, principalId),
      { id: requestId, type: 'Request', displayName: null },
    ];
  }

  // Refusals on rules are audited too (they are security signals); nothing changed, so the row is
  // written directly rather than through the outbox.
  private async auditFailure(
    ctx: OperationContext,
    level: ScheduleLevel,
    input: ScheduleRequestInput,
    target: Target,
    now: Date,
    window: Window | null,
    reason: string,
  ): Promise<void> {
    const activity = scheduleActivity(input.action, level, target, window ? window.end === null : undefined);
    await this.deps.stores.audit.append([
      event(ctx, now, {
        category: categoryOf(target),
        activityDisplayName: activity.name.replace(' completed', ' failed'),
        operationType: activity.operation,
        targets: [
          await targetResource(this.deps.stores, target),
          await principalResource(this.deps.stores, input.principalId),
        ],
        details: {
          Action: input.action,
          Justification: input.justification,
          TicketNumber: input.ticketInfo?.ticketNumber,
          TicketSystem: input.ticketInfo?.ticketSystem,
        },
        result: 'failure',
        resultReason: reason,
      }),
    ]);
  }
}

function expirationOf(s: ScheduleRecord): ScheduleInfo['expiration'] {
  return s.endDateTime === null
    ? { type: 'noExpiration' }
    : { type: 'afterDateTime', endDateTime: s.endDateTime };
}

function renewalRefusal(
  action: RenewalAction,
  level: ScheduleLevel,
  found: Extract<RenewalCandidate, { ok: false }>,
): AppError {
  const what = level === 'eligibility' ? 'eligible assignment' : 'active assignment';
  switch (found.reason) {
    case 'notEndingSoon':
      return new ValidationError(
        `Your ${what} ends at ${found.schedule?.endDateTime ?? 'no end'}: ask for an extension within ${EXTEND_WINDOW_DAYS} days of its end.`,
        [
          {
            target: 'action',
            message: `selfExtend is for assignments ending within ${EXTEND_WINDOW_DAYS} days`,
          },
        ],
        'ExtendNotAllowed',
      );
    case 'stillRunning':
      return new ValidationError(
        `Your ${what} has not ended: ask for selfExtend instead of selfRenew.`,
        [{ target: 'action', message: 'selfRenew is for assignments that have ended' }],
        'RenewNotAllowed',
      );
    default:
      return new AppError(
        400,
        'RoleAssignmentDoesNotExist',
        action === 'selfExtend'
          ? `You have no time-bound ${what} here to extend. To lengthen a live activation, selfActivate again.`
          : `You have no ended ${what} here to renew.`,
        [{ target: 'principalId', message: 'no matching schedule for this principal and target' }],
      );
  }
}
