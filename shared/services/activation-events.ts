// What activation commands owe the rest of the system besides their rows: audit rows (in Entra's
// PIM wording, correlation id = the request whose story they tell) and signals (the orchestration,
// notices, grant connectors). Both are committed with the change in its outbox row.
import {
  auditEvent,
  type DirectoryAudit,
  type OperationType,
  type TargetResource,
} from '../audit/directory-audit';
import type { OutboxSignal } from '../audit/outbox';
import { type ActivationRequest, type ActivationState, stateOf } from '../domain/activation';
import type { ActivationInput } from '../domain/activation-contract';
import type { Target } from '../domain/schedules';
import type { Notice, NoticeEvent } from '../notify/notifier';
import { categoryOf } from './audit-events';
import { initiatorOf, type OperationContext } from './context';

/** How long before the end the "expiring soon" notice goes out. */
export const REMINDER_BEFORE_END_MS = 15 * 60_000;

// ---- signals ----------------------------------------------------------------------------------

export type ActivationSignal =
  | { kind: 'startActivation'; input: ActivationInput }
  | { kind: 'stateChanged'; principalId: string; state: ActivationState; at: string }
  | { kind: 'notice'; notice: Notice }
  | { kind: 'connectors'; call: ConnectorSignal };

/** What a grant, an extension or a revoke tells the grant connectors the grant went to. */
export interface ConnectorSignal {
  action: 'grant' | 'extend' | 'revoke';
  requestId: string;
  principalId: string;
  target: Target;
  connectorIds: string[];
  startDateTime?: string;
  endDateTime?: string;
  reason?: string;
  at: string;
  /** 'assignment' for an admin's active assignment (schedule `scheduleId`); activations by default. */
  follow?: 'activation' | 'assignment';
  scheduleId?: string;
}

export const asOutbox = (signals: ActivationSignal[]): OutboxSignal[] => signals as unknown as OutboxSignal[];

/** Start the orchestration that keeps the request's time. */
export function startSignal(r: ActivationRequest): ActivationSignal {
  return {
    kind: 'startActivation',
    input: {
      requestId: r.id,
      principalId: r.principalId,
      state: stateOf(r),
      reminderBeforeEndMs: REMINDER_BEFORE_END_MS,
    },
  };
}

/** Tell the request's orchestration its new state. */
export function stateSignal(r: ActivationRequest, at: Date): ActivationSignal {
  return { kind: 'stateChanged', principalId: r.principalId, state: stateOf(r), at: at.toISOString() };
}

export function noticeSignal(
  event: NoticeEvent,
  r: ActivationRequest,
  targetDisplayName: string,
  at: Date,
  extra: Partial<Notice> = {},
): ActivationSignal {
  const approval = r.activation.approval;
  // The stage asking now; after a decision, the last one decided (its approvers hear the outcome).
  const stage =
    approval?.stages.find((s) => s.status === 'InProgress') ??
    [...(approval?.stages ?? [])].reverse().find((s) => s.status === 'Completed') ??
    approval?.stages.at(-1);
  return {
    kind: 'notice',
    notice: {
      event,
      subjectId: r.activation.holderId ?? r.id,
      principalId: r.principalId,
      targetDisplayName,
      target: r.target,
      at: at.toISOString(),
      endDateTime: r.activation.endDateTime ?? undefined,
      justification: r.justification ?? undefined,
      ticketNumber: r.ticketInfo?.ticketNumber ?? undefined,
      request: {
        startDateTime: r.scheduleInfo?.startDateTime ?? null,
        ticketSystem: r.ticketInfo?.ticketSystem ?? null,
        approval:
          approval && stage
            ? {
                id: approval.id,
                stepId: stage.id,
                expiresDateTime: approval.expiresDateTime,
                approverIds: stage.approverIds,
                reviewJustification: stage.justification,
              }
            : undefined,
      },
      ...extra,
    },
  };
}

/** Tell the grant connectors of `holder`, if it has any. */
export function connectorSignals(
  action: ConnectorSignal['action'],
  holder: ActivationRequest,
  at: Date,
  reason?: string,
): ActivationSignal[] {
  if (holder.activation.connectors.length === 0) return [];
  return [
    {
      kind: 'connectors',
      call: {
        action,
        requestId: holder.id,
        principalId: holder.principalId,
        target: holder.target,
        connectorIds: holder.activation.connectors,
        startDateTime: holder.activation.grantedDateTime ?? undefined,
        endDateTime: holder.activation.endDateTime ?? undefined,
        reason,
        at: at.toISOString(),
      },
    },
  ];
}

// ---- audit rows -------------------------------------------------------------------------------

export type AuditStep =
  | 'Requested'
  | 'Granted'
  | 'Scheduled'
  | 'MfaVerified'
  | 'Approved'
  | 'Denied'
  | 'Canceled'
  | 'TimedOut'
  | 'Escalated'
  | 'Failed'
  | 'Extended'
  | 'DeactivationRequested'
  | 'Deactivated'
  | 'RemovalRequested'
  | 'Revoked'
  | 'Expired';

// Entra's wording; {who} is `member` for roles, `member`/`owner` for groups, {kind} role or group.
const STEPS: Record<AuditStep, { activity: string; operation: OperationType; failure?: boolean }> = {
  Requested: { activity: 'Add {who} to {kind} requested (PIM activation)', operation: 'Add' },
  Granted: { activity: 'Add {who} to {kind} completed (PIM activation)', operation: 'Assign' },
  Scheduled: { activity: 'Add {who} to {kind} scheduled (PIM activation)', operation: 'Other' },
  MfaVerified: { activity: 'Add {who} to {kind} request MFA verified (PIM activation)', operation: 'Other' },
  Approved: { activity: 'Add {who} to {kind} request approved (PIM activation)', operation: 'Other' },
  Denied: {
    activity: 'Add {who} to {kind} request denied (PIM activation)',
    operation: 'Other',
    failure: true,
  },
  Canceled: { activity: 'Add {who} to {kind} request canceled (PIM activation)', operation: 'Other' },
  TimedOut: {
    activity: 'Add {who} to {kind} request timed out (PIM activation)',
    operation: 'Other',
    failure: true,
  },
  Escalated: {
    activity: 'Add {who} to {kind} request escalated (PIM activation)',
    operation: 'Other',
  },
  Failed: {
    activity: 'Add {who} to {kind} request failed (PIM activation)',
    operation: 'Other',
    failure: true,
  },
  Extended: { activity: 'Extend {who} in {kind} completed (PIM activation)', operation: 'Update' },
  DeactivationRequested: {
    activity: 'Remove {who} from {kind} requested (PIM deactivate)',
    operation: 'Unassign',
  },
  Deactivated: { activity: 'Remove {who} from {kind} completed (PIM deactivate)', operation: 'Unassign' },
  RemovalRequested: {
    activity: 'Remove {who} from {kind} requested (PIM activation revoked by an administrator)',
    operation: 'Unassign',
  },
  Revoked: { activity: 'Remove {who} from {kind} completed (PIM activation revoked)', operation: 'Unassign' },
  Expired: { activity: 'Remove {who} from {kind} completed (PIM activation expired)', operation: 'Unassign' },
};

export function activityOf(step: AuditStep, target: Target): string {
  const who = target.kind === 'group' ? target.accessId : 'member';
  return STEPS[step].activity.replace('{who}', who).replace('{kind}', target.kind);
}

export interface AuditSubjects {
  target: TargetResource;
  principal: TargetResource;
}

/** One audit row about request `r` (its correlation id), initiated by the context's actor. */
export function activationAudit(
  ctx: OperationContext,
  at: Date,
  step: AuditStep,
  r: ActivationRequest,
  subjects: AuditSubjects,
  details: Record<string, string | null | undefined> = {},
  resultReason?: string,
): DirectoryAudit {
  const s = STEPS[step];
  return auditEvent({
    category: categoryOf(r.target),
    activityDisplayName: activityOf(step, r.target),
    operationType: s.operation,
    initiatedBy: initiatorOf(ctx),
    correlationId: r.id,
    targetResources: [subjects.target, subjects.principal],
    details: {
      RequestId: r.id,
      Step: step,
      Justification: r.justification,
      TicketNumber: r.ticketInfo?.ticketNumber,
      TicketSystem: r.ticketInfo?.ticketSystem,
      ...details,
    },
    result: s.failure ? 'failure' : 'success',
    resultReason,
    at,
  });
}

/** The step name of an activation audit row ('Requested', 'Granted', ...), if it is one. */
export function stepOf(row: DirectoryAudit): string | undefined {
  return row.additionalDetails.find((d) => d.key === 'Step')?.value;
}
