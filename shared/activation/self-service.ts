// Self-service schedule requests: selfActivate checks eligibility and the policy's end-user rules up
// front (Graph's error codes), writes the request and starts its orchestration; a second activation
// of a live one extends it instead; selfDeactivate, selfExtend and an admin's removal signal the
// orchestration that holds the grant.
import { randomUUID } from 'node:crypto';
import type { Caller } from '../auth/caller';
import { fixedDurationMs, formatDurationMs } from '../domain/duration';
import { badRequest, forbidden, type HttpError } from '../http/errors';
import { hasActiveTotp } from '../mfa';
import { auditStep } from './audit-steps';
import { claimActivation } from './claims';
import {
  type ActivationRules,
  activationRules,
  grantExists,
  isEligibleNow,
  liveActivation,
  standingAssignment,
} from './directory';
import { type RequestRecord, recordRequest } from './record-request';
import { type ActivationRequestRow, createRequest, getRequest } from './requests-repo';
import type { Target } from './targets';

const MIN_ACTIVE_MS = 5 * 60_000;
const MFA_TIMEOUT_MS = 15 * 60_000;
const REMINDER_BEFORE_END_MS = 15 * 60_000;
const LIVE = new Set(['PendingMfa', 'PendingApproval', 'Granted', 'Provisioned']);

export interface SelfServiceRequest {
  action: string;
  principalId: string;
  target: Target;
  justification?: string | null;
  ticketInfo?: { ticketNumber?: string | null; ticketSystem?: string | null } | null;
  scheduleInfo?: {
    startDateTime?: string | null;
    expiration?: { type?: string; duration?: string | null; endDateTime?: string | null } | null;
  } | null;
  isValidationOnly?: boolean;
}

/** What the HTTP layer gives the service to reach the durable orchestrations. */
export interface Orchestrations {
  start(requestId: string, input: unknown): Promise<void>;
  raise(requestId: string, event: string, data: unknown): Promise<void>;
  /** Whether the request's orchestration exists and has not finished. */
  isRunning(requestId: string): Promise<boolean>;
}

export interface RequestOutcome {
  request: ActivationRequestRow;
  isValidationOnly: boolean;
}

function policyFailure(rules: string[]): HttpError {
  return badRequest(
    `The following policy rules failed: ${JSON.stringify(rules)}`,
    rules.map((r) => ({ target: r, message: `${r} is not satisfied.` })),
    'RoleAssignmentRequestPolicyValidationFailed',
  );
}

function requestedDurationMs(
  req: SelfServiceRequest,
  start: Date,
  maximumMs: number,
): number | 'unbounded' | undefined {
  const expiration = req.scheduleInfo?.expiration;
  const type = (expiration?.type ?? 'afterDuration').toLowerCase();
  if (type === 'noexpiration') return 'unbounded';
  if (type === 'afterdatetime') {
    const end = Date.parse(expiration?.endDateTime ?? '');
    return Number.isNaN(end) ? undefined : end - start.getTime();
  }
  if (!expiration?.duration) return maximumMs; // the policy's maximum, as Entra's portal offers
  return fixedDurationMs(expiration.duration);
}

function noApproverFailure(): HttpError {
  return badRequest(
    'Approval is required but no approver other than the requester is configured.',
    [],
    'RoleAssignmentRequestPolicyValidationFailed',
  );
}

/** The approval of request `id`: one stage, its approvers, expiring after the policy's timeout. */
function approvalOf(
  id: string,
  requesterId: string,
  approverIds: string[],
  rules: ActivationRules,
  now: Date,
): NonNullable<RequestRecord['approval']> {
  return {
    id,
    requestId: id,
    requesterId,
    expiresDateTime: new Date(now.getTime() + (rules.approval?.timeoutMs ?? 86_400_000)).toISOString(),
    steps: [
      {
        id: `${id}-1`,
        status: 'InProgress',
        reviewResult: 'NotReviewed',
        reviewedBy: null,
        reviewedDateTime: null,
        justification: null,
        approverIds,
        isApproverJustificationRequired: rules.approval?.isApproverJustificationRequired ?? true,
      },
    ],
  };
}

/**
 * Moves the end of the live activation `holder` (whose orchestration holds the grant): at once, or,
 * when `approvers` are given, through an orchestration of its own that waits for their decision and
 * then hands the new end over. Returns the extension request as stored.
 */
async function extendLive(args: {
  caller: Caller;
  row: ActivationRequestRow;
  holder: string;
  durationMs: number;
  rules: ActivationRules;
  approvers: string[] | undefined;
  now: Date;
  orchestrations: Orchestrations;
}): Promise<ActivationRequestRow> {
  const { caller, row, holder, durationMs, rules, approvers, now, orchestrations } = args;
  if (approvers) {
    const pending = { ...row, status: 'PendingApproval', approvalId: row.id, completedDateTime: null };
    const record: RequestRecord = {
      request: pending,
      approval: approvalOf(row.id, caller.id, approvers, rules, now),
    };
    await orchestrations.start(row.id, {
      requestId: row.id,
      principalId: row.principalId,
      target: row.target,
      durationMs,
      justification: row.justification ?? undefined,
      ticket: row.ticketInfo ?? undefined,
      mfaSatisfied: true,
      mfaTimeoutMs: MFA_TIMEOUT_MS,
      approval: { approvalId: row.id, timeoutMs: rules.approval?.timeoutMs ?? 86_400_000 },
      reminderBeforeEndMs: REMINDER_BEFORE_END_MS,
      record,
      extendsRequestId: holder,
    });
    await recordRequest(record);
    return pending;
  }
  const extension = { ...row, status: 'Provisioned', approvalId: null, completedDateTime: now.toISOString() };
  await createRequest(extension);
  await auditStep({
    requestId: row.id,
    step: 'Extend',
    at: now.toISOString(),
    activity: `Extend ${row.target.kind} activation (PIM)`,
    target: row.target,
    principalId: row.principalId,
    initiatedBy: caller.id,
    details: { ExtendedRequestId: holder, Justification: row.justification },
  });
  await orchestrations.raise(holder, 'Extend', { requestId: row.id, durationMs });
  return extension;
}

const CLAIM_SETTLE_MS = 2_000;

/**
 * Whether the request holding a claim is live. A claim is taken just before its orchestration
 * starts and its request row is written, so a holder without a row is most likely being started
 * right now by a concurrent call: wait a moment for the row. If none comes, the orchestration
 * decides: it exists (a crash stopped the call after starting it; it will write the row itself),
 * or it does not (the call died before starting anything: a stale claim).
 */
async function holderIsLive(
  requestId: string,
  target: Target,
  orchestrations: Orchestrations,
): Promise<boolean> {
  const deadline = performance.now() + CLAIM_SETTLE_MS;
  for (;;) {
    const row = await getRequest(requestId);
    if (row) {
      if (row.status !== 'Provisioned') return LIVE.has(row.status);
      // Provisioned but already revoked (its final status not yet written) is not live.
      return grantExists(target, requestId);
    }
    if (performance.now() >= deadline) return orchestrations.isRunning(requestId);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function selfActivate(
  caller: Caller,
  req: SelfServiceRequest,
  now: Date,
  orchestrations: Orchestrations,
): Promise<RequestOutcome> {
  if (req.principalId !== caller.id)
    throw forbidden('A self-service request must name the caller as principalId.');
  const start = req.scheduleInfo?.startDateTime ? new Date(req.scheduleInfo.startDateTime) : now;
  if (Number.isNaN(start.getTime()))
    throw badRequest('scheduleInfo.startDateTime is not a date.', [
      { target: 'scheduleInfo.startDateTime', message: 'Not an ISO 8601 date.' },
    ]);

  if (!(await isEligibleNow(caller.id, req.target, now)))
    throw badRequest(
      'The caller has no eligible assignment for this role and scope now.',
      [],
      'RoleAssignmentDoesNotExist',
    );

  const rules = await activationRules(req.target);
  const maximumMs = rules.maximumMs;
  const failed: string[] = [];
  const duration = requestedDurationMs(req, start, maximumMs);
  if (duration === undefined) {
    throw badRequest('scheduleInfo.expiration is not valid.', [
      { target: 'scheduleInfo.expiration', message: 'Give a duration such as PT4H or an endDateTime.' },
    ]);
  }
  if (duration === 'unbounded' || duration > maximumMs) failed.push('ExpirationRule');
  else if (duration < MIN_ACTIVE_MS)
    throw badRequest('The activation must last at least 5 minutes.', [], 'ActiveDurationTooShort');
  if (rules.requiresJustification && !req.justification?.trim()) failed.push('JustificationRule');
  if (rules.requiresTicket && !req.ticketInfo?.ticketNumber?.trim()) failed.push('TicketingRule');
  const freshMfa = caller.hasFreshMfa(now);
  const mfaRequired = rules.requiresMfa;
  if (mfaRequired && !freshMfa && !(await hasActiveTotp(caller.id))) failed.push('MfaRule');
  if (failed.length > 0) throw policyFailure(failed);

  if (await standingAssignment(caller.id, req.target, now)) {
    throw badRequest('The principal already holds this role actively.', [], 'RoleAssignmentExists');
  }

  // Nobody approves their own request, not even an approver of the role.
  const approvalRequired = rules.approval?.requiredForActivation === true;
  const approvers = approvalRequired
    ? (rules.approval?.approverIds ?? []).filter((id) => id !== caller.id.toLowerCase())
    : [];
  if (approvalRequired && approvers.length === 0) throw noApproverFailure();

  const id = randomUUID();
  const row: ActivationRequestRow = {
    id,
    action: 'selfActivate',
    principalId: caller.id,
    target: req.target,
    justification: req.justification ?? null,
    ticketInfo: req.ticketInfo ?? null,
    scheduleInfo: {
      startDateTime: start.toISOString(),
      expiration: {
        type: 'afterDuration',
        duration: formatDurationMs(duration as number),
        endDateTime: null,
      },
    },
    status: mfaRequired && !freshMfa ? 'PendingMfa' : approvers.length > 0 ? 'PendingApproval' : 'Granted',
    approvalId: approvers.length > 0 ? id : null,
    createdDateTime: now.toISOString(),
    completedDateTime: null,
    createdBy: caller.id,
    mfaFailures: 0,
  };
  if (req.isValidationOnly) return { request: row, isValidationOnly: true };

  // A live activation of the same target is extended instead of granted twice.
  const holder = await claimActivation(caller.id, req.target, id, (other) =>
    holderIsLive(other, req.target, orchestrations),
  );
  if (holder !== id) {
    const holderStatus = (await getRequest(holder))?.status;
    if (holderStatus === 'PendingMfa' || holderStatus === 'PendingApproval') {
      throw badRequest(
        `Request ${holder} for this role is still ${holderStatus}: finish or cancel it first.`,
        [],
        'PendingRoleAssignmentRequest',
      );
    }
    // A second activation is an activation: it needs the same approval as the first.
    const extension = await extendLive({
      caller,
      row,
      holder,
      durationMs: duration as number,
      rules,
      approvers: approvalRequired ? approvers : undefined,
      now,
      orchestrations,
    });
    return { request: extension, isValidationOnly: false };
  }

  const record: RequestRecord = {
    request: row,
    approval: approvers.length > 0 ? approvalOf(id, caller.id, approvers, rules, now) : undefined,
  };
  // The orchestration first: it records the request itself as its first step (see record-request.ts).
  await orchestrations.start(id, {
    requestId: id,
    principalId: caller.id,
    target: req.target,
    durationMs: duration,
    justification: row.justification ?? undefined,
    ticket: row.ticketInfo ?? undefined,
    mfaSatisfied: !mfaRequired || freshMfa,
    mfaTimeoutMs: MFA_TIMEOUT_MS,
    approval: record.approval
      ? { approvalId: id, timeoutMs: rules.approval?.timeoutMs ?? 86_400_000 }
      : undefined,
    reminderBeforeEndMs: REMINDER_BEFORE_END_MS,
    record,
  });
  await recordRequest(record);
  return { request: row, isValidationOnly: false };
}

/** selfDeactivate / selfExtend / adminRemove: signal the orchestration holding the live grant. */
export async function signalHolder(
  caller: Caller,
  req: SelfServiceRequest,
  now: Date,
  orchestrations: Orchestrations,
  isAdmin: boolean,
): Promise<RequestOutcome> {
  const action = req.action;
  if (action !== 'adminRemove' && req.principalId !== caller.id)
    throw forbidden('A self-service request must name the caller as principalId.');
  if (action === 'adminRemove' && !isAdmin) throw forbidden('Only administrators can remove assignments.');
  // The live activation's schedule id is the id of the request (and orchestration) holding it.
  const holder = (await liveActivation(req.principalId, req.target, now))?.id;
  if (!holder)
    throw badRequest(
      'There is no active activation of this role to change.',
      [],
      'RoleAssignmentDoesNotExist',
    );
  const id = randomUUID();
  const row: ActivationRequestRow = {
    id,
    action,
    principalId: req.principalId,
    target: req.target,
    justification: req.justification ?? null,
    ticketInfo: req.ticketInfo ?? null,
    scheduleInfo: {
      startDateTime: now.toISOString(),
      expiration: {
        type: req.scheduleInfo?.expiration?.type ?? 'afterDuration',
        duration: req.scheduleInfo?.expiration?.duration ?? null,
        endDateTime: null,
      },
    },
    status: action === 'selfExtend' || action === 'selfRenew' ? 'Provisioned' : 'Revoked',
    approvalId: null,
    createdDateTime: now.toISOString(),
    completedDateTime: now.toISOString(),
    createdBy: caller.id,
    mfaFailures: 0,
  };
  if (req.isValidationOnly) return { request: row, isValidationOnly: true };
  if (action === 'selfExtend' || action === 'selfRenew') {
    const rules = await activationRules(req.target);
    const duration = requestedDurationMs(req, now, rules.maximumMs);
    if (duration === undefined || duration === 'unbounded' || duration > rules.maximumMs)
      throw policyFailure(['ExpirationRule']);
    const approvers = rules.approval?.requiredForExtension
      ? rules.approval.approverIds.filter((a) => a !== caller.id)
      : undefined;
    if (approvers?.length === 0) throw noApproverFailure();
    const extension = await extendLive({
      caller,
      row,
      holder,
      durationMs: duration,
      rules,
      approvers,
      now,
      orchestrations,
    });
    return { request: extension, isValidationOnly: false };
  } else {
    await createRequest(row);
    if (action === 'selfDeactivate') await orchestrations.raise(holder, 'Deactivate', { by: caller.id });
    else await orchestrations.raise(holder, 'Revoke', { by: caller.id, reason: 'adminRemove' });
  }
  await auditStep({
    requestId: id,
    step: action,
    at: now.toISOString(),
    activity:
      action === 'selfDeactivate'
        ? `Deactivate ${req.target.kind} activation requested (PIM)`
        : `Remove ${req.target.kind} activation requested by an administrator (PIM)`,
    target: req.target,
    principalId: req.principalId,
    initiatedBy: caller.id,
    details: { HeldByRequestId: holder, Justification: row.justification },
  });
  return { request: row, isValidationOnly: false };
}
