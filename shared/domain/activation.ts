// Activation requests: Graph's schedule request (selfActivate, selfDeactivate, selfExtend,
// selfRenew, and an admin's adminRemove of a live activation) plus what activation keeps beside it:
// the requested length, the granted window's end, the approval and its stages, the MFA step, and
// which activation a deactivation or extension acts on. Pure: rules and transitions, no I/O.
import { z } from 'zod';
import type { ApprovalStage as PolicyApprovalStage } from './policy';
import { type RequestStatus, ScheduleRequestRecord } from './requests';

export const StageStatus = z.enum(['InProgress', 'Completed', 'Expired', 'Canceled']);
export const ReviewResult = z.enum(['NotReviewed', 'Approve', 'Deny']);

/** One approval stage (Graph's approvalStage; beta calls it a step). */
export const ApprovalStageRecord = z.object({
  id: z.string(),
  status: StageStatus,
  reviewResult: ReviewResult,
  reviewedBy: z.object({ id: z.string(), displayName: z.string().nullable() }).nullable(),
  reviewedDateTime: z.string().nullable(),
  justification: z.string().nullable(),
  approverIds: z.array(z.string()),
  isApproverJustificationRequired: z.boolean(),
});
export type ApprovalStageRecord = z.infer<typeof ApprovalStageRecord>;

export const ApprovalRecord = z.object({
  id: z.string(),
  expiresDateTime: z.string(),
  stages: z.array(ApprovalStageRecord),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecord>;

export const ActivationDetails = z.object({
  /** Bumped on every change, so the orchestration can tell a newer state from an older one. */
  revision: z.number().int(),
  /** The requested length of the window; the end is set when access is granted. */
  durationMs: z.number().int(),
  /** When access was granted (the window's start); null until granted. */
  grantedDateTime: z.string().nullable(),
  /** The granted window's end (moved by extensions); null until granted. */
  endDateTime: z.string().nullable(),
  /** For a deactivation, removal or extension: the activation it acts on. */
  holderId: z.string().nullable(),
  /** For an activation: the extensions that moved its end (their status follows its end). */
  extensions: z.array(z.string()),
  approval: ApprovalRecord.nullable(),
  /** The grant connectors the grant went to (its extensions and revoke go to the same). */
  connectors: z.array(z.string()),
  /** The MFA step: until when it may wait, how many wrong codes so far, and when it was passed. */
  mfa: z
    .object({ deadline: z.string(), failures: z.number().int(), verifiedDateTime: z.string().nullish() })
    .nullable(),
  clientRequestId: z.string().nullable(),
});
export type ActivationDetails = z.infer<typeof ActivationDetails>;

export const ActivationRequest = ScheduleRequestRecord.extend({ activation: ActivationDetails });
export type ActivationRequest = z.infer<typeof ActivationRequest>;

/** Waiting for MFA, an approver, or (ScheduleCreated, Graph's word) a start in the future. */
export const PENDING: readonly RequestStatus[] = ['PendingMfa', 'PendingApproval', 'ScheduleCreated'];
export const FINAL: readonly RequestStatus[] = [
  'Denied',
  'Canceled',
  'TimedOut',
  'Revoked',
  'Expired',
  'Failed',
];

export function isPending(status: RequestStatus): boolean {
  return PENDING.includes(status);
}

export function isFinal(status: RequestStatus): boolean {
  return FINAL.includes(status);
}

/** What the orchestration of a request needs to know of it (carried by its events). */
export interface ActivationState {
  requestId: string;
  status: RequestStatus;
  revision: number;
  /** The end of the granted window. */
  endDateTime: string | null;
  /** Until when a pending step may wait (MFA or approval), or when a scheduled one starts. */
  deadline: string | null;
}

export function stateOf(r: ActivationRequest): ActivationState {
  const a = r.activation;
  return {
    requestId: r.id,
    status: r.status,
    revision: a.revision,
    endDateTime: a.endDateTime,
    deadline:
      r.status === 'PendingMfa'
        ? (a.mfa?.deadline ?? null)
        : r.status === 'PendingApproval'
          ? (a.approval?.expiresDateTime ?? null)
          : r.status === 'ScheduleCreated'
            ? (r.scheduleInfo?.startDateTime ?? null)
            : null,
  };
}

/** The request moved on: a new revision with `changes`. */
export function changed(
  r: ActivationRequest,
  changes: Partial<Omit<ActivationRequest, 'activation'>> & { activation?: Partial<ActivationDetails> },
): ActivationRequest {
  const { activation, ...rest } = changes;
  return {
    ...r,
    ...rest,
    activation: { ...r.activation, ...activation, revision: r.activation.revision + 1 },
  };
}

/** One approval stage asking `approverIds`, expiring after the policy's stage timeout. */
export function newApproval(
  id: string,
  stage: PolicyApprovalStage,
  approverIds: string[],
  now: Date,
): ApprovalRecord {
  return {
    id,
    expiresDateTime: new Date(now.getTime() + stage.approvalStageTimeOutInDays * 86_400_000).toISOString(),
    stages: [
      {
        id: `${id}-1`,
        status: 'InProgress',
        reviewResult: 'NotReviewed',
        reviewedBy: null,
        reviewedDateTime: null,
        justification: null,
        approverIds,
        isApproverJustificationRequired: stage.isApproverJustificationRequired,
      },
    ],
  };
}

/** The stage a decision is about: the named one, else the one in progress (else the last). */
export function stageOf(approval: ApprovalRecord, stageId?: string): ApprovalStageRecord | undefined {
  return stageId
    ? approval.stages.find((s) => s.id === stageId)
    : (approval.stages.find((s) => s.status === 'InProgress') ?? approval.stages.at(-1));
}

/** The approval with `stageId` decided. */
export function decided(
  approval: ApprovalRecord,
  stageId: string,
  decision: {
    reviewResult: 'Approve' | 'Deny';
    reviewer: { id: string; displayName: string | null };
    justification: string | null;
    at: Date;
  },
): ApprovalRecord {
  return {
    ...approval,
    stages: approval.stages.map((s) =>
      s.id === stageId
        ? {
            ...s,
            status: 'Completed',
            reviewResult: decision.reviewResult,
            reviewedBy: decision.reviewer,
            reviewedDateTime: decision.at.toISOString(),
            justification: decision.justification,
          }
        : s,
    ),
  };
}

/** Stages still in progress end with the request (cancel, timeout): nobody can decide them any more. */
export function closedApproval(
  approval: ApprovalRecord | null,
  status: 'Canceled' | 'Expired',
): ApprovalRecord | null {
  if (!approval) return null;
  return {
    ...approval,
    stages: approval.stages.map((s) => (s.status === 'InProgress' ? { ...s, status } : s)),
  };
}

/** Who is asked right now: the approvers of the stage in progress. */
export function pendingApprovers(r: ActivationRequest): string[] {
  if (r.status !== 'PendingApproval') return [];
  return r.activation.approval?.stages.find((s) => s.status === 'InProgress')?.approverIds ?? [];
}
