// Activation, a service like the others: every command reads the principal's partition, checks the
// rules, and commits its change, its audit rows and its signals in ONE transaction there
// (principal-store.ts), so a crash between any two steps loses nothing: what is committed is
// published by the outbox, however late. The orchestration only keeps time (shared/domain/
// activation-contract.ts); the truth is in the rows.
//
//   submit      POST .../assignmentScheduleRequests: selfActivate (grants at once when MFA is proved
//               and no approval is needed; a second one moves the live activation's end, with
//               the policy's approval for extensions), selfDeactivate, adminRemove (a live
//               activation; an admin assignment goes to the directory service); admin actions and
//               Graph's selfExtend/selfRenew (asking an admin about an assignment) are delegated
//   verifyMfa   the MFA step, by a fresh-MFA token or a TOTP code
//   decide      an approver's decision (portal, mail link, chat webhook): approve grants at once
//   cancel      the requester withdraws a pending request
//   timeOut, expire, remind   the orchestration's deadlines

import type { DirectoryAudit } from '../audit/directory-audit';
import type { MarkerReservation } from '../audit/outbox';
import {
  type AccessRecord,
  type GroupRolesCopy,
  groupRolesCopy,
  recentRequest,
  released,
  remembered,
  standingAssignment,
  targetKey,
  withAssignment,
  withGroupRoles,
  withLive,
} from '../domain/access-record';
import {
  type ActivationRequest,
  type ActivationState,
  type ApprovalStageRecord,
  approvalsIn,
  changed,
  closedApproval,
  currentStage,
  decided,
  decisionBy,
  escalated,
  escalationDue,
  isFinal,
  isPending,
  newApproval,
  type StageApprovers,
  stageOf,
  startedStage,
  stateOf,
} from '../domain/activation';
import { fixedDurationMs, formatDurationMs } from '../domain/duration';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  type PolicyHints,
  type PolicyRuleFailure,
  PolicyValidationError,
  TooManyRequestsError,
  ValidationError,
} from '../domain/errors';
import type { ApprovalStage, RoleManagementPolicy } from '../domain/policy';
import { MIN_ACTIVE_DURATION_MS, missingAuthenticationContext } from '../domain/policy-evaluation';
import {
  GroupScheduleRequestInput,
  isAdminAction,
  RoleScheduleRequestInput,
  type ScheduleRequestInput,
  type ScheduleRequestRecord,
  targetOfInput,
} from '../domain/requests';
import type { ScheduleRecord, Target } from '../domain/schedules';
import { hasActiveTotp, verifyTotp } from '../mfa';
import { connectorIdsFor } from '../notify/connectors';
import {
  activatedScheduleEntity,
  type PrincipalWrite,
  requestEntity,
  type StoredAccess,
} from '../storage/principal-store';
import { timeOrderedId } from '../time-ordered-id';
import {
  type ActivationSignal,
  type AuditSubjects,
  activationAudit,
  asOutbox,
  connectorSignals,
  noticeSignal,
  startSignal,
  stateSignal,
} from './activation-events';
import type { ActivationRules } from './activation-rules';
import type { OperationContext } from './context';
import type { ServiceDeps } from './deps';
import type { DisplayNames } from './display-names';
import { requireOtherGroupAdmin, requireOtherRoleHolder } from './last-admin';
import { KeyedQueue, withRetry } from './retry';
import type { ScheduleRequestService } from './schedule-requests';
import type { Stores } from './stores';
import { parseInput } from './validation';

const MFA_TIMEOUT_MS = 15 * 60_000;
const MAX_MFA_FAILURES = 5;

export type Kind = 'role' | 'group';

/** What a command answers: the request as stored (or as it would be, for isValidationOnly). */
export interface Outcome {
  request: ScheduleRequestRecord;
  isValidationOnly: boolean;
}

export interface DecisionInput {
  kind?: Kind;
  approvalId: string;
  /** The stage to decide; without it, the stage now in progress. */
  stageId?: string;
  approverId: string;
  /** Shown as `reviewedBy`; defaults to the directory's name for the approver. */
  approverName?: string | null;
  reviewResult: 'Approve' | 'Deny';
  justification?: string | null;
  channel: 'portal' | 'link' | 'webhook' | 'chat';
  /** E.g. the chat integration's name; recorded in the audit row. */
  via?: string;
}

/** One change of a principal's partition, as a command plans it. */
interface Change {
  access: AccessRecord;
  writes: PrincipalWrite[];
  audits: DirectoryAudit[];
  signals: ActivationSignal[];
}

interface Actor {
  id: string;
  displayName: string | null;
  mfa: boolean;
  acrs: string[];
}

export class ActivationService {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly rules: ActivationRules,
    private readonly names: DisplayNames,
    private readonly directory: ScheduleRequestService,
  ) {}

  // ---- POST .../assignmentScheduleRequests -------------------------------------------------------

  /**
   * Any assignment schedule request. `retryKey` (the caller's client-request-id) makes a retried
   * POST answer with the request the first attempt made instead of making another.
   */
  async submit(ctx: OperationContext, kind: Kind, body: unknown, retryKey?: string): Promise<Outcome> {
    const input = parseInput(kind === 'role' ? RoleScheduleRequestInput : GroupScheduleRequestInput, body);
    if (isAdminAction(input.action) && input.action !== 'adminRemove') return this.delegate(ctx, kind, body);
    const actor = actorOf(ctx);
    const target = targetOfInput(input);
    switch (input.action) {
      case 'selfActivate':
        return this.activate(ctx, actor, input, target, retryKey);
      case 'selfDeactivate':
        return this.end(ctx, actor, input, target, 'selfDeactivate', retryKey);
      case 'adminRemove':
        if (!(await this.deps.access.canManage(actor.id, this.deps.now())))
          throw new ForbiddenError('Only administrators can remove assignments.');
        try {
          return await this.end(ctx, actor, input, target, 'adminRemove', retryKey);
        } catch (err) {
          // No live activation: the admin removes an admin assignment, which the directory keeps.
          if (err instanceof AppError && err.code === 'RoleAssignmentDoesNotExist')
            return this.delegate(ctx, kind, body);
          throw err;
        }
      default:
        // selfExtend, selfRenew: a request for an admin's decision about an assignment.
        return this.delegate(ctx, kind, body);
    }
  }

  private async delegate(ctx: OperationContext, kind: Kind, body: unknown): Promise<Outcome> {
    const request =
      kind === 'role'
        ? await this.directory.submitRoleRequest(ctx, 'assignment', body)
        : await this.directory.submitGroupRequest(ctx, 'assignment', body);
    return { request, isValidationOnly: request.isValidationOnly };
  }

  /** selfActivate: grant now, or wait for MFA or an approver; a live activation is extended instead. */
  private async activate(
    ctx: OperationContext,
    actor: Actor,
    input: ScheduleRequestInput,
    target: Target,
    retryKey: string | undefined,
  ): Promise<Outcome> {
    requireSelf(input, actor);
    const id = timeOrderedId(this.deps.now().getTime());
    return this.retrying(
      actor.id,
      async (reservation) => {
        const now = this.deps.now();
        const facts = await this.rules.facts(actor.id, target, now, { eligibility: true });
        const again = await this.previous(actor.id, facts.access.record, retryKey);
        if (again) return again;
        if (!facts.eligible)
          throw new AppError(
            400,
            'RoleAssignmentDoesNotExist',
            'The caller has no eligible assignment for this role and scope now.',
          );
        const holder = await this.liveHolder(actor.id, facts.access.record, target, now);
        if (holder && isPending(holder.status))
          throw new ValidationError(
            `Request ${holder.id} for this role is still ${holder.status}: finish or cancel it first.`,
            [],
            'PendingRoleAssignmentRequest',
          );
        requireAuthenticationContext(facts.policy, actor);
        if (holder) return this.extendHolder(ctx, actor, input, holder, facts.access, retryKey, reservation);

        const start = requestedStart(input, now);
        const maximumMs = this.rules.maximumMs(facts.policy);
        const durationMs = requestedDuration(input, start, maximumMs);
        const evaluation = this.rules.evaluate(
          facts.policy,
          { start, durationMs, ...input },
          actor.mfa,
          'activate',
        );
        // Without MFA in the token, an enrolled authenticator lets the request wait for a code.
        const waitForMfa = evaluation.mfaRequired && !actor.mfa;
        const canWait = waitForMfa && (await hasActiveTotp(actor.id));
        failOn(
          evaluation.failedRules.filter((r) => r !== 'MfaRule' || !canWait),
          hintsOf(evaluation),
        );
        if (durationMs === null) throw new PolicyValidationError(['ExpirationRule'], hintsOf(evaluation));
        if (standingAssignment(facts.access.record, target, now))
          throw new AppError(400, 'RoleAssignmentExists', 'The principal already holds this role actively.');
        const approvers = evaluation.approvalRequired
          ? await this.approvers(evaluation.approvalStages, actor.id, now)
          : [];

        let request: ActivationRequest = {
          id,
          level: 'assignment',
          action: 'selfActivate',
          target,
          principalId: actor.id,
          status: waitForMfa ? 'PendingMfa' : evaluation.approvalRequired ? 'PendingApproval' : 'Granted',
          justification: input.justification ?? null,
          ticketInfo: input.ticketInfo ?? null,
          scheduleInfo: {
            startDateTime: start.toISOString(),
            expiration: { type: 'afterDuration', duration: formatDurationMs(durationMs), endDateTime: null },
          },
          isValidationOnly: input.isValidationOnly,
          targetScheduleId: id,
          approvalId: evaluation.approvalRequired ? id : null,
          createdDateTime: now.toISOString(),
          completedDateTime: null,
          createdBy: { user: { id: actor.id, displayName: actor.displayName } },
          activation: {
            revision: 0,
            durationMs,
            grantedDateTime: null,
            endDateTime: null,
            holderId: null,
            extensions: [],
            approval:
              evaluation.approvalRequired && evaluation.approvalStages
                ? newApproval(id, evaluation.approvalStages, approvers, now)
                : null,
            connectors: [],
            mfa: waitForMfa
              ? { deadline: new Date(now.getTime() + MFA_TIMEOUT_MS).toISOString(), failures: 0 }
              : null,
            clientRequestId: retryKey ?? null,
          },
        };
        if (input.isValidationOnly) return { request, isValidationOnly: true };

        const subjects = await this.subjects(request);
        let access = withLive(facts.access.record, target, id);
        if (retryKey) access = remembered(access, retryKey, id, now);
        const change: Change = {
          access,
          writes: [],
          audits: [
            activationAudit(ctx, now, 'Requested', request, subjects, {
              Status: request.status,
              Duration: formatDurationMs(request.activation.durationMs),
            }),
          ],
          signals: [],
        };
        if (request.status === 'Granted') {
          request = this.grant(ctx, change, request, subjects, now, {
            groupRoles: facts.groupRoles,
            connectorIds: await connectorIdsFor(target),
          });
        } else {
          change.writes.push({ op: 'put', entity: requestEntity(request) });
          if (request.status === 'PendingApproval')
            change.signals.push(
              noticeSignal('activationRequested', request, subjects.target.displayName ?? '', now),
            );
        }
        change.signals.unshift(startSignal(request));
        // A request that waits for an approver can be found by id as soon as its requester has the answer.
        await Promise.all([
          this.commit(actor.id, facts.access, change, reservation),
          request.approvalId ? this.deps.stores.activations.point(target.kind, id, actor.id) : undefined,
        ]);
        return { request, isValidationOnly: false };
      },
      true,
    );
  }

  /**
   * Grants `request` now: its window starts, the assignment and the access record's entry are
   * written, and whoever needs to know is told. Returns the granted request (written by `change`).
   */
  private grant(
    ctx: OperationContext,
    change: Change,
    request: ActivationRequest,
    subjects: AuditSubjects,
    now: Date,
    extra: { groupRoles?: GroupRolesCopy; connectorIds: string[] },
  ): ActivationRequest {
    // A start in the future: nothing is granted yet; the orchestration grants at the start.
    if (startsLater(request, now)) {
      const scheduled = changed(request, { status: 'ScheduleCreated' });
      change.writes.push({ op: 'put', entity: requestEntity(scheduled) });
      change.audits.push(
        activationAudit(ctx, now, 'Scheduled', scheduled, subjects, {
          StartDateTime: scheduled.scheduleInfo?.startDateTime ?? '',
        }),
      );
      return scheduled;
    }
    const end = new Date(now.getTime() + request.activation.durationMs).toISOString();
    const granted = changed(request, {
      status: 'Provisioned',
      completedDateTime: now.toISOString(),
      activation: {
        grantedDateTime: now.toISOString(),
        endDateTime: end,
        connectors: extra.connectorIds,
      },
    });
    const schedule: ScheduleRecord = {
      id: request.id,
      level: 'assignment',
      target: request.target,
      principalId: request.principalId,
      memberType: 'Direct',
      assignmentType: 'Activated',
      status: 'Provisioned',
      startDateTime: now.toISOString(),
      endDateTime: end,
      createdDateTime: now.toISOString(),
      modifiedDateTime: now.toISOString(),
      createdUsing: request.id,
    };
    let access = withAssignment(change.access, schedule.id, schedule);
    if (extra.groupRoles && request.target.kind === 'group')
      access = withGroupRoles(access, request.target.groupId, extra.groupRoles);
    change.access = access;
    change.writes.push(
      { op: 'put', entity: requestEntity(granted) },
      { op: 'put', entity: activatedScheduleEntity(schedule) },
    );
    change.audits.push(
      activationAudit(ctx, now, 'Granted', granted, subjects, {
        StartDateTime: schedule.startDateTime,
        EndDateTime: end,
      }),
    );
    change.signals.push(
      noticeSignal('activated', granted, subjects.target.displayName ?? '', now),
      ...connectorSignals('grant', granted, now),
    );
    return granted;
  }

  // ---- the end of a live activation: selfDeactivate, adminRemove ------------------------------------

  private async end(
    ctx: OperationContext,
    actor: Actor,
    input: ScheduleRequestInput,
    target: Target,
    action: 'selfDeactivate' | 'adminRemove',
    retryKey: string | undefined,
  ): Promise<Outcome> {
    if (action === 'selfDeactivate') requireSelf(input, actor);
    const principalId = input.principalId;
    const id = timeOrderedId(this.deps.now().getTime());
    return this.retrying(
      principalId,
      async (reservation) => {
        const now = this.deps.now();
        const read = await this.deps.stores.principals.access(principalId);
        const again = await this.previous(principalId, read.record, retryKey);
        if (again) return again;
        const holder = await this.liveHolder(principalId, read.record, target, now);
        if (holder?.status !== 'Provisioned') throw noLiveActivation();
        await requireNotLastAdministrator(this.deps.stores, scheduleOf(holder), now);
        const request = this.followUp(id, action, actor, input, holder, now, 'Revoked', retryKey);
        if (input.isValidationOnly) return { request, isValidationOnly: true };
        const subjects = await this.subjects(holder);
        const change: Change = {
          access: retryKey ? remembered(read.record, retryKey, id, now) : read.record,
          writes: [{ op: 'put', entity: requestEntity(request) }],
          audits: [
            activationAudit(
              ctx,
              now,
              action === 'selfDeactivate' ? 'DeactivationRequested' : 'RemovalRequested',
              request,
              subjects,
              { HolderRequestId: holder.id },
            ),
          ],
          signals: [],
        };
        this.revoke(
          ctx,
          change,
          holder,
          subjects,
          now,
          action === 'selfDeactivate' ? 'Deactivated' : 'Revoked',
          await this.extensionsOf(holder),
        );
        await this.commit(principalId, read, change, reservation);
        return { request, isValidationOnly: false };
      },
      true,
    );
  }

  /** Ends the granted `holder` now (deactivated, revoked or expired), with its extensions. */
  private revoke(
    ctx: OperationContext,
    change: Change,
    holder: ActivationRequest,
    subjects: AuditSubjects,
    now: Date,
    step: 'Deactivated' | 'Revoked' | 'Expired',
    extensions: ActivationRequest[],
  ): void {
    const status = step === 'Expired' ? 'Expired' : 'Revoked';
    const ended = changed(holder, { status, completedDateTime: now.toISOString() });
    change.access = released(withAssignment(change.access, holder.id, undefined), holder.target, holder.id);
    change.writes.push(
      { op: 'put', entity: requestEntity(ended) },
      { op: 'delete', entity: activatedScheduleEntity(scheduleOf(holder)) },
      // An extension ends with what it extended.
      ...extensions
        .filter((x) => !isFinal(x.status))
        .map(
          (x): PrincipalWrite => ({
            op: 'put',
            entity: requestEntity(changed(x, { status, completedDateTime: now.toISOString() })),
          }),
        ),
    );
    change.audits.push(
      activationAudit(ctx, now, step, ended, subjects, {
        EndDateTime: holder.activation.endDateTime,
        // A late revoke is visible: the window had closed before (access ended on time anyway).
        RevokedLate:
          now.getTime() - Date.parse(holder.activation.endDateTime ?? '') > 60_000 ? 'true' : undefined,
      }),
    );
    const reason = step === 'Deactivated' ? 'selfDeactivate' : step === 'Revoked' ? 'adminRemove' : 'expired';
    const by = ctx.actor.kind === 'user' ? ctx.actor.id : undefined;
    change.signals.push(
      stateSignal(ended, now),
      ...connectorSignals('revoke', ended, now, reason),
      noticeSignal(
        step === 'Deactivated' ? 'deactivated' : step === 'Revoked' ? 'revoked' : 'expired',
        ended,
        subjects.target.displayName ?? '',
        now,
        {
          by: step === 'Expired' ? undefined : by,
        },
      ),
    );
  }

  // ---- extension: a second selfActivate --------------------------------------------------------

  /**
   * Moves the end of the live `holder`: at once, or, when the policy wants approval, through a
   * request of its own that waits for it (and then moves the end when approved).
   */
  private async extendHolder(
    ctx: OperationContext,
    actor: Actor,
    input: ScheduleRequestInput,
    holder: ActivationRequest,
    read: StoredAccess,
    retryKey: string | undefined,
    reservation?: MarkerReservation,
  ): Promise<Outcome> {
    const now = this.deps.now();
    const policy = await this.rules.policyOf(holder.target);
    requireAuthenticationContext(policy, actor);
    const durationMs = requestedDuration(input, now, this.rules.maximumMs(policy));
    const evaluation = this.rules.evaluate(policy, { start: now, durationMs, ...input }, true, 'extend');
    failOn(
      evaluation.failedRules.filter((r) => r !== 'MfaRule'),
      hintsOf(evaluation),
    );
    if (durationMs === null) throw new PolicyValidationError(['ExpirationRule'], hintsOf(evaluation));
    const approvers = evaluation.approvalRequired
      ? await this.approvers(evaluation.approvalStages, actor.id, now)
      : [];
    const id = timeOrderedId(now.getTime());
    let request = this.followUp(
      id,
      input.action,
      actor,
      input,
      holder,
      now,
      evaluation.approvalRequired ? 'PendingApproval' : 'Provisioned',
      retryKey,
    );
    request = changed(request, {
      approvalId: evaluation.approvalRequired ? id : null,
      completedDateTime: evaluation.approvalRequired ? null : now.toISOString(),
      activation: {
        durationMs,
        approval:
          evaluation.approvalRequired && evaluation.approvalStages
            ? newApproval(id, evaluation.approvalStages, approvers, now)
            : null,
      },
    });
    if (input.isValidationOnly) return { request, isValidationOnly: true };
    const subjects = await this.subjects(holder);
    const change: Change = {
      access: retryKey ? remembered(read.record, retryKey, id, now) : read.record,
      writes: [],
      audits: [],
      signals: [],
    };
    if (evaluation.approvalRequired) {
      change.writes.push({ op: 'put', entity: requestEntity(request) });
      change.audits.push(
        activationAudit(ctx, now, 'Requested', request, subjects, {
          Status: request.status,
          HolderRequestId: holder.id,
        }),
      );
      change.signals.push(
        noticeSignal('activationRequested', request, subjects.target.displayName ?? '', now),
      );
      change.signals.unshift(startSignal(request));
    } else {
      this.moveEnd(ctx, change, holder, request, subjects, now);
    }
    await Promise.all([
      this.commit(actor.id, read, change, reservation),
      evaluation.approvalRequired
        ? this.deps.stores.activations.point(holder.target.kind, id, actor.id)
        : undefined,
    ]);
    return { request, isValidationOnly: false };
  }

  /** The holder's window ends `extension`'s length from now (never earlier than it did). */
  private moveEnd(
    ctx: OperationContext,
    change: Change,
    holder: ActivationRequest,
    extension: ActivationRequest,
    subjects: AuditSubjects,
    now: Date,
  ): ActivationRequest {
    const end = new Date(
      Math.max(
        Date.parse(holder.activation.endDateTime ?? '0'),
        now.getTime() + extension.activation.durationMs,
      ),
    ).toISOString();
    const moved = changed(holder, {
      activation: { endDateTime: end, extensions: [...holder.activation.extensions, extension.id] },
    });
    const done = changed(extension, {
      status: 'Provisioned',
      completedDateTime: now.toISOString(),
      activation: { endDateTime: end },
    });
    const schedule = { ...scheduleOf(moved), modifiedDateTime: now.toISOString() };
    change.access = withAssignment(change.access, holder.id, schedule);
    change.writes.push(
      { op: 'put', entity: requestEntity(done) },
      { op: 'put', entity: requestEntity(moved) },
      { op: 'put', entity: activatedScheduleEntity(schedule) },
    );
    // The extension's own story (its correlation id); the activation it moved is named in it.
    change.audits.push(
      activationAudit(ctx, now, 'Extended', done, subjects, {
        HolderRequestId: holder.id,
        OldEndDateTime: holder.activation.endDateTime,
        EndDateTime: end,
      }),
    );
    change.signals.push(stateSignal(moved, now), ...connectorSignals('extend', moved, now));
    return done;
  }

  /** A request about the live `holder` (a deactivation, a removal or an extension). */
  private followUp(
    id: string,
    action: ScheduleRequestInput['action'],
    actor: Actor,
    input: ScheduleRequestInput,
    holder: ActivationRequest,
    now: Date,
    status: 'Revoked' | 'Provisioned' | 'PendingApproval',
    retryKey: string | undefined,
  ): ActivationRequest {
    return {
      id,
      level: 'assignment',
      action,
      target: holder.target,
      principalId: holder.principalId,
      status,
      justification: input.justification ?? null,
      ticketInfo: input.ticketInfo ?? null,
      scheduleInfo: {
        startDateTime: now.toISOString(),
        expiration: {
          type: 'afterDuration',
          duration: input.scheduleInfo?.expiration?.duration ?? null,
          endDateTime: null,
        },
      },
      isValidationOnly: input.isValidationOnly,
      targetScheduleId: holder.id,
      approvalId: null,
      createdDateTime: now.toISOString(),
      completedDateTime: status === 'PendingApproval' ? null : now.toISOString(),
      createdBy: { user: { id: actor.id, displayName: actor.displayName } },
      activation: {
        revision: 0,
        durationMs: 0,
        grantedDateTime: null,
        endDateTime: null,
        holderId: holder.id,
        extensions: [],
        approval: null,
        connectors: [],
        mfa: null,
        clientRequestId: retryKey ?? null,
      },
    };
  }

  // ---- verifyMfa ----------------------------------------------------------------------------------

  /** Completes the MFA step with the token's fresh MFA or a TOTP code. */
  async verifyMfa(
    ctx: OperationContext,
    kind: Kind,
    requestId: string,
    otp: string | undefined,
  ): Promise<void> {
    const actor = actorOf(ctx);
    const first = await this.ownRequest(actor.id, kind, requestId);
    // Verified already (a retry of this call): the first answer again, and the orchestration is told again.
    if (first.activation.mfa?.verifiedDateTime) {
      await this.deps.stores.outbox.deliverNow(asOutbox([stateSignal(first, this.deps.now())]));
      return;
    }
    if (first.status !== 'PendingMfa')
      throw new ConflictError(`The request is ${first.status}, not waiting for MFA.`, 'RequestNotPending');
    if ((first.activation.mfa?.failures ?? 0) >= MAX_MFA_FAILURES)
      throw new TooManyRequestsError('Too many wrong codes: this request is locked until it times out.', 900);
    let method = 'token';
    if (!actor.mfa) {
      if (!otp)
        throw new ValidationError(
          'Send {"otp":"123456"} from your authenticator, or sign in again with MFA.',
          [{ target: 'otp', message: 'Required without a fresh MFA token.' }],
          'MfaRequired',
        );
      const result = await verifyTotp(actor.id, otp);
      if (!result.ok) {
        if (result.reason === 'Invalid') await this.countMfaFailure(actor.id, requestId);
        if (result.reason === 'Locked')
          throw new TooManyRequestsError(
            'The authenticator is locked after repeated failures.',
            Math.max(1, Math.ceil((result.lockedUntil.getTime() - this.deps.now().getTime()) / 1000)),
          );
        throw new ValidationError(
          result.reason === 'NoAuthenticator'
            ? 'No TOTP authenticator is enrolled.'
            : 'The code is not valid.',
          [],
          `Totp${result.reason}`,
        );
      }
      method = 'totp';
    }
    await this.retrying(
      actor.id,
      async (reservation) => {
        const now = this.deps.now();
        const [read, current] = await this.readRequest(actor.id, requestId);
        if (current?.status !== 'PendingMfa')
          throw new ConflictError(
            `The request is ${current?.status ?? 'gone'}, not waiting for MFA.`,
            'RequestNotPending',
          );
        const subjects = await this.subjects(current);
        const change: Change = {
          access: read.record,
          writes: [],
          audits: [activationAudit(ctx, now, 'MfaVerified', current, subjects, { Method: method })],
          signals: [],
        };
        const verified = changed(current, {
          activation: {
            mfa: {
              ...(current.activation.mfa ?? { deadline: now.toISOString(), failures: 0 }),
              verifiedDateTime: now.toISOString(),
            },
          },
        });
        let next: ActivationRequest;
        if (verified.activation.approval) {
          // The approval's clock (timeout, escalation) starts now that the request can be decided.
          next = changed(verified, {
            status: 'PendingApproval',
            activation: { approval: startedStage(verified.activation.approval, 0, now) },
          });
          change.writes.push({ op: 'put', entity: requestEntity(next) });
          change.signals.push(
            noticeSignal('activationRequested', next, subjects.target.displayName ?? '', now),
          );
        } else {
          next = this.grant(ctx, change, verified, subjects, now, await this.grantExtras(current.target));
        }
        change.signals.push(stateSignal(next, now));
        await this.commit(actor.id, read, change, reservation);
      },
      true,
    );
  }

  private async countMfaFailure(principalId: string, requestId: string): Promise<void> {
    await this.retrying(principalId, async () => {
      const [read, current] = await this.readRequest(principalId, requestId);
      if (!current?.activation.mfa) return;
      const next = changed(current, {
        activation: { mfa: { ...current.activation.mfa, failures: current.activation.mfa.failures + 1 } },
      });
      await this.commit(principalId, read, {
        access: read.record,
        writes: [{ op: 'put', entity: requestEntity(next) }],
        audits: [],
        signals: [],
      });
    });
  }

  // ---- decide -----------------------------------------------------------------------------------

  /**
   * An approver's decision, from wherever it comes: only the stage's approvers decide (its
   * escalation approvers once it escalated), nobody their own request, a person once per request
   * (the same decision again is a retry and gets the first answer; another one is 409), a decided
   * or expired stage is 409, and a policy that wants the approver's justification gets one. A deny
   * ends the request; an approval counts towards the stage's N, and the N-th starts the next stage,
   * or, in the last, grants at once (or moves the live activation's end, for an extension). Two
   * approvers deciding at once commit one after the other (the partition's ETag), so exactly N count.
   */
  async decide(input: DecisionInput): Promise<{ request: ActivationRequest }> {
    const approverId = input.approverId.toLowerCase();
    const located = await this.locateApproval(input);
    return this.retrying(
      located.principalId,
      async (reservation) => {
        const now = this.deps.now();
        const [read, request] = await Promise.all([
          this.deps.stores.principals.access(located.principalId),
          this.deps.stores.principals.request(located.principalId, located.requestId),
        ]);
        const stage = request?.activation.approval
          ? stageOf(request.activation.approval, input.stageId, approverId)
          : undefined;
        this.checkDecision(input, approverId, request, stage);
        const approval = request!.activation.approval!;
        // The same approver sending the same decision again (a retry) gets the first answer, and
        // the request's orchestration is told again.
        const earlier = decisionBy(approval, approverId);
        if (earlier?.stage.id === stage!.id && earlier.decision.reviewResult === input.reviewResult) {
          await this.deps.stores.outbox.deliverNow(asOutbox([stateSignal(request!, now)]));
          return { request: request! };
        }
        this.checkOpen(request!, stage!, now);
        if (earlier)
          throw new ConflictError(
            'This approver has already decided on this request; a person decides once per request.',
            'ApproverAlreadyDecided',
          );
        if (stage!.isApproverJustificationRequired && !input.justification?.trim())
          throw new ValidationError('A justification is required for this decision.', [
            { target: 'justification', message: 'Required by the policy.' },
          ]);
        const justification = input.justification?.trim() ? input.justification.trim() : null;
        const reviewer = {
          id: approverId,
          displayName: input.approverName ?? (await this.names.nameOf(approverId)) ?? approverId,
        };
        const ctx: OperationContext = {
          actor: { kind: 'user', id: approverId, displayName: reviewer.displayName, mfa: false },
          correlationId: request!.id,
        };
        const subjects = await this.subjects(request!);
        const outcome = decided(approval, stage!.id, {
          reviewResult: input.reviewResult,
          reviewer,
          justification,
          at: now,
        });
        const reviewed = changed(request!, { activation: { approval: outcome.approval } });
        const decidedStage = outcome.approval.stages.find((s) => s.id === stage!.id)!;
        const change: Change = {
          access: read.record,
          writes: [],
          audits: [
            activationAudit(
              ctx,
              now,
              input.reviewResult === 'Approve' ? 'Approved' : 'Denied',
              reviewed,
              subjects,
              {
                ApproverJustification: justification,
                DecisionChannel: input.via ? `${input.channel}:${input.via}` : input.channel,
                ApprovalStage: stage!.id,
                StageApprovals: `${approvalsIn(decidedStage)} of ${decidedStage.approverCountRequired}`,
                StageCompleted: String(outcome.stageCompleted),
              },
            ),
          ],
          signals: [],
        };
        let next: ActivationRequest;
        const targetName = subjects.target.displayName ?? '';
        if (input.reviewResult === 'Deny') {
          next = changed(reviewed, {
            status: 'Denied',
            completedDateTime: now.toISOString(),
            activation: { approval: closedApproval(outcome.approval, 'Canceled') },
          });
          change.access = released(change.access, next.target, next.id);
          change.writes.push({ op: 'put', entity: requestEntity(next) });
          change.signals.push(noticeSignal('denied', next, targetName, now, { by: approverId }));
        } else if (!outcome.stageCompleted || outcome.nextStage !== undefined) {
          // The stage waits for more approvals, or the next stage starts asking its approvers.
          next = reviewed;
          change.writes.push({ op: 'put', entity: requestEntity(next) });
          if (outcome.nextStage !== undefined)
            change.signals.push(
              noticeSignal('activationRequested', next, targetName, now, {
                round: currentStage(next.activation.approval)?.id,
              }),
            );
        } else if (reviewed.activation.holderId) {
          next = await this.approvedExtension(ctx, change, reviewed, subjects, now);
        } else {
          change.signals.push(noticeSignal('approved', reviewed, targetName, now, { by: approverId }));
          next = this.grant(
            ctx,
            change,
            changed(reviewed, { status: 'Granted' }),
            subjects,
            now,
            await this.grantExtras(reviewed.target),
          );
        }
        change.signals.push(stateSignal(next, now));
        await this.commit(located.principalId, read, change, reservation);
        return { request: next };
      },
      true,
    );
  }

  /** An approved extension moves its holder's end, unless the holder has ended meanwhile. */
  private async approvedExtension(
    ctx: OperationContext,
    change: Change,
    extension: ActivationRequest,
    subjects: AuditSubjects,
    now: Date,
  ): Promise<ActivationRequest> {
    const holder = await this.deps.stores.principals.request(
      extension.principalId,
      extension.activation.holderId!,
    );
    const live =
      holder?.status === 'Provisioned' && Date.parse(holder.activation.endDateTime ?? '') > now.getTime();
    if (!holder || !live) {
      const failed = changed(extension, { status: 'Failed', completedDateTime: now.toISOString() });
      change.writes.push({ op: 'put', entity: requestEntity(failed) });
      change.audits.push(
        activationAudit(
          ctx,
          now,
          'Failed',
          failed,
          subjects,
          {},
          'The activation it extends has already ended.',
        ),
      );
      return failed;
    }
    return this.moveEnd(ctx, change, holder, extension, subjects, now);
  }

  private checkDecision(
    input: DecisionInput,
    approverId: string,
    request: ActivationRequest | undefined,
    stage: ReturnType<typeof stageOf>,
  ): void {
    const isApprover = stage?.approverIds.includes(approverId) ?? false;
    const isRequester = request?.principalId === approverId;
    if (!request || !stage) throw new NotFoundError('No such approval stage.');
    // The portal hides approvals from strangers (404); a link or a chat tool names its approver (403).
    if (!isApprover && !isRequester) {
      if (input.channel === 'portal')
        throw new NotFoundError('No such approval stage is visible to the caller.');
      throw new ForbiddenError('This person is not an approver of this stage.');
    }
    if (isRequester) throw new ForbiddenError('Nobody approves their own request.');
  }

  /** Whether a decision could be made now (the link page's question), without making it. */
  async checkDecisionPossible(
    input: Omit<DecisionInput, 'reviewResult'>,
  ): Promise<{ request: ActivationRequest; stage: ApprovalStageRecord }> {
    const located = await this.locateApproval(input);
    const request = await this.deps.stores.principals.request(located.principalId, located.requestId);
    const approverId = input.approverId.toLowerCase();
    const stage = request?.activation.approval
      ? stageOf(request.activation.approval, input.stageId, approverId)
      : undefined;
    this.checkDecision({ ...input, reviewResult: 'Approve' }, approverId, request, stage);
    this.checkOpen(request!, stage!, this.deps.now());
    return { request: request!, stage: stage! };
  }

  /** A stage can be decided while it is in progress and the approval has not expired. */
  private checkOpen(request: ActivationRequest, stage: ApprovalStageRecord, now: Date): void {
    if (stage.status === 'Canceled' || request.status === 'Canceled')
      throw new ConflictError('The request was canceled by its requester.', 'RequestNotPending');
    if (stage.status === 'Expired' || request.status === 'TimedOut')
      throw new ConflictError('This approval has expired.', 'ApprovalExpired');
    if (stage.status === 'NotStarted' && request.status === 'PendingApproval')
      throw new ConflictError(
        'This stage has not started: an earlier stage is still waiting for its approvers.',
        'ApprovalStageNotStarted',
      );
    if (stage.status !== 'InProgress' || request.status !== 'PendingApproval')
      throw new ConflictError('This stage has already been decided.', 'ApprovalStepAlreadyDecided');
    if (now.getTime() >= Date.parse(request.activation.approval?.expiresDateTime ?? ''))
      throw new ConflictError('This approval has expired.', 'ApprovalExpired');
  }

  private async locateApproval(input: {
    kind?: Kind;
    approvalId: string;
  }): Promise<{ principalId: string; requestId: string }> {
    const index = this.deps.stores.activations;
    for (const kind of input.kind ? [input.kind] : (['role', 'group'] as const)) {
      const principalId = await index.locate(kind, input.approvalId);
      if (principalId) return { principalId, requestId: input.approvalId.toLowerCase() };
    }
    throw new NotFoundError('No such approval stage.');
  }

  // ---- cancel -------------------------------------------------------------------------------------

  /** The requester withdraws a request that waits for MFA or an approver. */
  async cancel(ctx: OperationContext, kind: Kind, requestId: string): Promise<void> {
    const actor = actorOf(ctx);
    await this.ownRequest(actor.id, kind, requestId);
    await this.retrying(
      actor.id,
      async (reservation) => {
        const now = this.deps.now();
        const [read, current] = await this.readRequest(actor.id, requestId);
        // Canceled already (a retry of this call): the first answer again, the orchestration told again.
        if (current?.status === 'Canceled') {
          await this.deps.stores.outbox.deliverNow(asOutbox([stateSignal(current, now)]));
          return;
        }
        if (!current || !isPending(current.status))
          throw new ConflictError(
            `The request is ${current?.status ?? 'gone'}; only pending requests can be canceled.`,
            'RequestNotPending',
          );
        const next = changed(current, {
          status: 'Canceled',
          completedDateTime: now.toISOString(),
          activation: { approval: closedApproval(current.activation.approval, 'Canceled') },
        });
        await this.commit(
          actor.id,
          read,
          {
            access: released(read.record, current.target, current.id),
            writes: [{ op: 'put', entity: requestEntity(next) }],
            audits: [activationAudit(ctx, now, 'Canceled', next, await this.subjects(next))],
            signals: [stateSignal(next, now)],
          },
          reservation,
        );
      },
      true,
    );
  }

  // ---- the orchestration's deadlines --------------------------------------------------------------

  /** The pending step's deadline passed: the request times out, unless it moved on meanwhile. */
  timeOut(principalId: string, requestId: string): Promise<ActivationState> {
    return this.retrying(principalId, async () => {
      const now = this.deps.now();
      const [read, current] = await this.readRequest(principalId, requestId);
      if (!current) throw new NotFoundError(`No request ${requestId}.`);
      const state = stateOf(current);
      if (!isPending(current.status) || (state.deadline && Date.parse(state.deadline) > now.getTime()))
        return state;
      const escalation = escalationDue(current.activation.approval);
      if (current.status === 'PendingApproval' && escalation && Date.parse(escalation) <= now.getTime())
        return this.escalate(principalId, read, current, now);
      if (current.status === 'ScheduleCreated') {
        // Its start came: granted now, for its duration from here.
        const change: Change = { access: read.record, writes: [], audits: [], signals: [] };
        const subjects = await this.subjects(current);
        const granted = this.grant(
          systemActor(),
          change,
          current,
          subjects,
          now,
          await this.grantExtras(current.target),
        );
        await this.commit(principalId, read, change);
        return stateOf(granted);
      }
      const next = changed(current, {
        status: 'TimedOut',
        completedDateTime: now.toISOString(),
        activation: { approval: closedApproval(current.activation.approval, 'Expired') },
      });
      const reason =
        current.status === 'PendingMfa'
          ? 'MFA was not completed in time.'
          : 'No approver decided before the approval expired.';
      await this.commit(principalId, read, {
        access: released(read.record, current.target, current.id),
        writes: [{ op: 'put', entity: requestEntity(next) }],
        audits: [
          activationAudit(systemActor(), now, 'TimedOut', next, await this.subjects(next), {}, reason),
        ],
        signals: [],
      });
      return stateOf(next);
    });
  }

  /** The stage in progress waited its escalation time: its escalation approvers are asked too. */
  private async escalate(
    principalId: string,
    read: StoredAccess,
    current: ActivationRequest,
    now: Date,
  ): Promise<ActivationState> {
    const { approval, added } = escalated(current.activation.approval!, now);
    const next = changed(current, { activation: { approval } });
    const stage = currentStage(approval)!;
    const subjects = await this.subjects(next);
    const notice = noticeSignal('activationRequested', next, subjects.target.displayName ?? '', now, {
      round: `${stage.id}/escalation`,
    });
    // Only the people newly asked hear of it; the others were told when the stage started.
    if (notice.kind === 'notice' && notice.notice.request?.approval)
      notice.notice.request.approval.approverIds = added;
    await this.commit(principalId, read, {
      access: read.record,
      writes: [{ op: 'put', entity: requestEntity(next) }],
      audits: [
        activationAudit(systemActor(), now, 'Escalated', next, subjects, {
          ApprovalStage: stage.id,
          EscalationApprovers: added.join(', '),
        }),
      ],
      signals: added.length > 0 ? [notice] : [],
    });
    return stateOf(next);
  }

  /** The window's end came: access is revoked, unless it was extended or has ended already. */
  expire(principalId: string, requestId: string): Promise<ActivationState> {
    return this.retrying(principalId, async () => {
      const now = this.deps.now();
      const [read, current] = await this.readRequest(principalId, requestId);
      if (!current) throw new NotFoundError(`No request ${requestId}.`);
      const end = Date.parse(current.activation.endDateTime ?? '');
      if (current.status !== 'Provisioned' || end > now.getTime()) return stateOf(current);
      const change: Change = { access: read.record, writes: [], audits: [], signals: [] };
      this.revoke(
        systemActor(),
        change,
        current,
        await this.subjects(current),
        now,
        'Expired',
        await this.extensionsOf(current),
      );
      await this.commit(principalId, read, change);
      return stateOf(changed(current, { status: 'Expired', completedDateTime: now.toISOString() }));
    });
  }

  /** The "expiring soon" notice, if the window still ends at `endDateTime`. */
  async remind(principalId: string, requestId: string, endDateTime: string): Promise<void> {
    const current = await this.deps.stores.principals.request(principalId, requestId);
    if (current?.status !== 'Provisioned' || current.activation.endDateTime !== endDateTime) return;
    const name = (await this.names.targetName(current.target)) ?? '';
    await this.deps.stores.outbox.deliverNow(
      asOutbox([noticeSignal('expiringSoon', current, name, this.deps.now())]),
    );
  }

  // ---- helpers ------------------------------------------------------------------------------------

  /** The principal's record (the guard) and one of its requests, in one round trip. */
  private readRequest(principalId: string, requestId: string) {
    const principals = this.deps.stores.principals;
    return Promise.all([principals.access(principalId), principals.request(principalId, requestId)]);
  }

  /**
   * A command of one principal: after the others of this process, retried on a lost race. Each
   * attempt gets an outbox marker reserved ahead (`reserve`: a person's command answers one round
   * trip sooner), released if the attempt commits nothing.
   */
  private retrying<T>(
    principalId: string,
    attempt: (reservation?: MarkerReservation) => Promise<T>,
    reserve = false,
  ): Promise<T> {
    const principals = this.deps.stores.principals;
    return this.queue.run(principalId.toLowerCase(), () =>
      withRetry(async () => {
        const reservation = reserve ? principals.reserve(principalId) : undefined;
        try {
          return await attempt(reservation);
        } finally {
          if (reservation) principals.release(reservation);
        }
      }),
    );
  }

  private async commit(
    principalId: string,
    read: StoredAccess,
    change: Change,
    reservation?: MarkerReservation,
  ): Promise<void> {
    await this.deps.stores.principals.commit(principalId, {
      reservation,
      read,
      access: change.access,
      writes: change.writes,
      audits: change.audits,
      signals: asOutbox(change.signals),
      publication: 'background',
    });
  }

  /** The request a retried command (same client-request-id) made the first time. */
  private async previous(
    principalId: string,
    record: AccessRecord,
    retryKey: string | undefined,
  ): Promise<Outcome | undefined> {
    const id = retryKey ? recentRequest(record, retryKey) : undefined;
    const request = id ? await this.deps.stores.principals.request(principalId, id) : undefined;
    return request ? { request, isValidationOnly: false } : undefined;
  }

  /** The request holding the target's live activation, unless it has ended (its claim is stale then). */
  private async liveHolder(
    principalId: string,
    record: AccessRecord,
    target: Target,
    now: Date,
  ): Promise<ActivationRequest | undefined> {
    const id = record.live[targetKey(target)];
    if (!id) return undefined;
    const holder = await this.deps.stores.principals.request(principalId, id);
    if (!holder || isFinal(holder.status)) return undefined;
    if (holder.status === 'Provisioned' && Date.parse(holder.activation.endDateTime ?? '') <= now.getTime())
      return undefined;
    return holder;
  }

  private async extensionsOf(holder: ActivationRequest): Promise<ActivationRequest[]> {
    const found = await Promise.all(
      holder.activation.extensions.map((id) => this.deps.stores.principals.request(holder.principalId, id)),
    );
    return found.filter((x): x is ActivationRequest => x !== undefined);
  }

  private async ownRequest(principalId: string, kind: Kind, requestId: string): Promise<ActivationRequest> {
    const request = await this.deps.stores.principals.request(principalId, requestId);
    if (!request || request.target.kind !== kind)
      throw new NotFoundError(`No schedule request with id '${requestId}' is visible to the caller.`);
    return request;
  }

  /**
   * Who each stage asks, resolved now (groups as their active members, never the requester). A
   * stage that cannot gather its N approvals even after escalation is refused up front.
   */
  private async approvers(
    stages: readonly ApprovalStage[] | undefined,
    requesterId: string,
    now: Date,
  ): Promise<StageApprovers[]> {
    return Promise.all(
      (stages ?? []).map(async (stage, i) => {
        const primary = await this.rules.approvers(stage.primaryApprovers, requesterId, now);
        const escalation = stage.isEscalationEnabled
          ? (await this.rules.approvers(stage.escalationApprovers, requesterId, now)).filter(
              (id) => !primary.includes(id),
            )
          : [];
        const needed = stage.approverCountRequired ?? 1;
        if (primary.length === 0 && escalation.length === 0)
          throw new AppError(
            400,
            'RoleAssignmentRequestPolicyValidationFailed',
            'Approval is required but no approver other than the requester is configured.',
          );
        if (primary.length + escalation.length < needed)
          throw new AppError(
            400,
            'RoleAssignmentRequestPolicyValidationFailed',
            `Approval stage ${i + 1} needs ${needed} approvers other than the requester; the policy names ${primary.length + escalation.length}.`,
          );
        return { primary, escalation };
      }),
    );
  }

  /** What a grant needs besides the request: the group's roles (a membership) and the connectors. */
  private async grantExtras(
    target: Target,
  ): Promise<{ groupRoles?: GroupRolesCopy; connectorIds: string[] }> {
    const [groupRoles, connectorIds] = await Promise.all([
      target.kind === 'group' && target.accessId === 'member'
        ? this.deps.stores.principals.access(target.groupId).then((g) => groupRolesCopy(g.record))
        : Promise.resolve(undefined),
      connectorIdsFor(target),
    ]);
    return { groupRoles, connectorIds };
  }

  private async subjects(r: ActivationRequest): Promise<AuditSubjects> {
    const known = r.createdBy.user.id === r.principalId ? r.createdBy.user.displayName : null;
    const [target, principal] = await Promise.all([
      this.names.target(r.target),
      known
        ? Promise.resolve({ id: r.principalId, type: 'User', displayName: known })
        : this.names.principal(r.principalId),
    ]);
    return { target, principal };
  }
}

function requireSelf(input: ScheduleRequestInput, actor: Actor): void {
  if (input.principalId !== actor.id)
    throw new ForbiddenError('A self-service request must name the caller as principalId.');
}

function noLiveActivation(): AppError {
  return new AppError(
    400,
    'RoleAssignmentDoesNotExist',
    'There is no active activation of this role to change.',
  );
}

function actorOf(ctx: OperationContext): Actor {
  if (ctx.actor.kind !== 'user') throw new ForbiddenError('Activation is for signed-in people.');
  return {
    id: ctx.actor.id,
    displayName: ctx.actor.displayName,
    mfa: ctx.actor.mfa,
    acrs: ctx.actor.acrs ?? [],
  };
}

function systemActor(): OperationContext {
  return { actor: { kind: 'system', name: 'PIM' }, correlationId: '' };
}

function scheduleOf(r: ActivationRequest): ScheduleRecord {
  return {
    id: r.id,
    level: 'assignment',
    target: r.target,
    principalId: r.principalId,
    memberType: 'Direct',
    assignmentType: 'Activated',
    status: 'Provisioned',
    startDateTime: r.activation.grantedDateTime ?? r.createdDateTime,
    endDateTime: r.activation.endDateTime,
    createdDateTime: r.activation.grantedDateTime ?? r.createdDateTime,
    modifiedDateTime: r.activation.grantedDateTime ?? r.createdDateTime,
    createdUsing: r.id,
  };
}

/** Whether the request asked for a start still ahead (a second's slack for clocks and round trips). */
function startsLater(r: ActivationRequest, now: Date): boolean {
  const start = Date.parse(r.scheduleInfo?.startDateTime ?? '');
  return Number.isFinite(start) && start > now.getTime() + 1000;
}

function requestedStart(input: ScheduleRequestInput, now: Date): Date {
  return input.scheduleInfo?.startDateTime ? new Date(input.scheduleInfo.startDateTime) : now;
}

/**
 * The requested window length: a duration, an end, or (neither) the policy's maximum; null for
 * "no expiration", which the policy's ExpirationRule refuses.
 */
function requestedDuration(input: ScheduleRequestInput, start: Date, maximumMs: number): number | null {
  const expiration = input.scheduleInfo?.expiration;
  const type = (expiration?.type ?? 'afterDuration').toLowerCase();
  if (type === 'noexpiration' || type === 'notspecified') return null;
  let ms: number | undefined;
  if (type === 'afterdatetime') {
    const end = Date.parse(expiration?.endDateTime ?? '');
    ms = Number.isNaN(end) ? undefined : end - start.getTime();
  } else ms = expiration?.duration ? fixedDurationMs(expiration.duration) : maximumMs;
  if (ms === undefined)
    throw new ValidationError('scheduleInfo.expiration is not valid.', [
      { target: 'scheduleInfo.expiration', message: 'Give a duration such as PT4H or an endDateTime.' },
    ]);
  if (ms <= maximumMs && ms < MIN_ACTIVE_DURATION_MS)
    throw new AppError(400, 'ActiveDurationTooShort', 'The activation must last at least 5 minutes.');
  return ms;
}

/** Ending a live activation follows the last-administrator rule as removing an assignment does. */
async function requireNotLastAdministrator(
  stores: Stores,
  schedule: ScheduleRecord,
  now: Date,
): Promise<void> {
  const t = schedule.target;
  if (t.kind === 'role') await requireOtherRoleHolder(stores, schedule, now);
  else await requireOtherGroupAdmin(stores, t.groupId, [schedule], now);
}

/** The policy's authentication context (Conditional Access) must be in the sign-in's `acrs`. */
function requireAuthenticationContext(policy: RoleManagementPolicy, actor: Actor): void {
  const missing = missingAuthenticationContext(policy, actor.acrs);
  if (!missing) return;
  throw new AppError(
    400,
    'RoleAssignmentRequestAcrsValidationFailed',
    `The following policy rules failed: ["AuthenticationContextRule"]. The role's policy requires the authentication context '${missing}': sign in again satisfying it (the token's acrs claim must include '${missing}').`,
    [{ target: 'AuthenticationContextRule', message: `acrs must include '${missing}'` }],
  );
}

function failOn(failed: readonly PolicyRuleFailure[], hints: PolicyHints): void {
  if (failed.length > 0) throw new PolicyValidationError(failed, hints);
}

/** An activation is always time-bound, at most the policy's maximum (or the default's). */
function hintsOf(evaluation: { maximumMs: number }): PolicyHints {
  return { maximumDuration: formatDurationMs(evaluation.maximumMs), expirationRequired: true };
}
