// Activation requests: Graph's schedule request (selfActivate, selfDeactivate, selfExtend,
// selfRenew, and an admin's adminRemove of a live activation) plus what activation keeps beside it:
// the requested length, the granted window's end, the approval and its stages, the MFA step, and
// which activation a deactivation or extension acts on. Pure: rules and transitions, no I/O.
import { z } from 'zod';
import type { ApprovalStage as PolicyApprovalStage } from './policy';
import { type RequestStatus, ScheduleRequestRecord } from './requests';

export const StageStatus = z.enum(['NotStarted', 'InProgress', 'Completed', 'Expired', 'Canceled']);
export const ReviewResult = z.enum(['NotReviewed', 'Approve', 'Deny']);

/** One approver's decision in a stage (a stage of N approvals holds N of them). */
export const StageDecisionRecord = z.object({
  reviewer: z.object({ id: z.string(), displayName: z.string().nullable() }),
  reviewResult: z.enum(['Approve', 'Deny']),
  justification: z.string().nullable(),
  reviewedDateTime: z.string(),
});
export type StageDecisionRecord = z.infer<typeof StageDecisionRecord>;

/**
 * One approval stage (Graph's approvalStage; beta calls it a step). `approverIds` are the people
 * asked now (the escalation approvers join them when the stage escalates); the stage completes when
 * `approverCountRequired` of them approved, or at the first deny. Rows written before multi-stage
 * approval lack the newer fields: their defaults describe a one-of-M stage that started at once.
 */
export const ApprovalStageRecord = z.object({
  id: z.string(),
  status: StageStatus,
  reviewResult: ReviewResult,
  reviewedBy: z.object({ id: z.string(), displayName: z.string().nullable() }).nullable(),
  reviewedDateTime: z.string().nullable(),
  justification: z.string().nullable(),
  approverIds: z.array(z.string()),
  isApproverJustificationRequired: z.boolean(),
  approverCountRequired: z.number().int().min(1).default(1),
  decisions: z.array(StageDecisionRecord).default([]),
  /** When the stage started asking (null until it does); its timeout and escalation count from here. */
  startedDateTime: z.string().nullable().default(null),
  timeOutInDays: z.number().int().default(1),
  /** Minutes after the start when the escalation approvers are asked too; null without escalation. */
  escalationTimeInMinutes: z.number().int().nullable().default(null),
  escalationApproverIds: z.array(z.string()).default([]),
  escalatedDateTime: z.string().nullable().default(null),
});
export type ApprovalStageRecord = z.infer<typeof ApprovalStageRecord>;

/** The approval; `expiresDateTime` is the end of the stage in progress (the request's deadline). */
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
          ? approvalDeadline(a.approval)
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

/** Who a stage of the policy asks: its approvers, and its escalation approvers (resolved now). */
export interface StageApprovers {
  primary: string[];
  escalation: string[];
}

const DAY_MS = 86_400_000;

/** The approval of the policy's stages, the first one asking now, the others waiting their turn. */
export function newApproval(
  id: string,
  stages: readonly PolicyApprovalStage[],
  approvers: readonly StageApprovers[],
  now: Date,
): ApprovalRecord {
  const records = stages.map((stage, i): ApprovalStageRecord => {
    const escalates = stage.isEscalationEnabled && (approvers[i]?.escalation.length ?? 0) > 0;
    return {
      id: `${id}-${i + 1}`,
      status: 'NotStarted',
      reviewResult: 'NotReviewed',
      reviewedBy: null,
      reviewedDateTime: null,
      justification: null,
      approverIds: approvers[i]?.primary ?? [],
      isApproverJustificationRequired: stage.isApproverJustificationRequired,
      approverCountRequired: stage.approverCountRequired ?? 1,
      decisions: [],
      startedDateTime: null,
      timeOutInDays: stage.approvalStageTimeOutInDays,
      escalationTimeInMinutes: escalates ? stage.escalationTimeInMinutes : null,
      escalationApproverIds: escalates ? (approvers[i]?.escalation ?? []) : [],
      escalatedDateTime: null,
    };
  });
  return startedStage({ id, expiresDateTime: now.toISOString(), stages: records }, 0, now);
}

/** The approval with stage `index` asking from `now` (also: the first stage again once MFA is proved). */
export function startedStage(approval: ApprovalRecord, index: number, now: Date): ApprovalRecord {
  const stage = approval.stages[index]!;
  return {
    ...approval,
    expiresDateTime: new Date(now.getTime() + stage.timeOutInDays * DAY_MS).toISOString(),
    stages: approval.stages.map((s, i) =>
      i === index ? { ...s, status: 'InProgress', startedDateTime: now.toISOString() } : s,
    ),
  };
}

/** The stage in progress, if any. */
export function currentStage(approval: ApprovalRecord | null): ApprovalStageRecord | undefined {
  return approval?.stages.find((s) => s.status === 'InProgress');
}

/** When the stage in progress escalates, if it still will. */
export function escalationDue(approval: ApprovalRecord | null): string | undefined {
  const stage = currentStage(approval);
  if (!stage?.startedDateTime || stage.escalationTimeInMinutes === null || stage.escalatedDateTime)
    return undefined;
  if (stage.escalationApproverIds.length === 0) return undefined;
  return new Date(Date.parse(stage.startedDateTime) + stage.escalationTimeInMinutes * 60_000).toISOString();
}

/** A pending approval's next deadline: the stage's escalation, else its end. */
export function approvalDeadline(approval: ApprovalRecord | null): string | null {
  if (!approval) return null;
  const escalation = escalationDue(approval);
  return escalation && escalation < approval.expiresDateTime ? escalation : approval.expiresDateTime;
}

/** The stage in progress escalated: its escalation approvers are asked too. Returns them as well. */
export function escalated(
  approval: ApprovalRecord,
  now: Date,
): { approval: ApprovalRecord; added: string[] } {
  const stage = currentStage(approval)!;
  const added = stage.escalationApproverIds.filter((id) => !stage.approverIds.includes(id));
  return {
    added,
    approval: {
      ...approval,
      stages: approval.stages.map((s) =>
        s.id === stage.id
          ? { ...s, approverIds: [...s.approverIds, ...added], escalatedDateTime: now.toISOString() }
          : s,
      ),
    },
  };
}

/**
 * The stage a decision by `approverId` is about: the named one; else the one in progress when they
 * are asked there; else one they decided already (a retry, or a second try: both answered from it);
 * else the last one that names them; else the one in progress.
 */
export function stageOf(
  approval: ApprovalRecord,
  stageId?: string,
  approverId?: string,
): ApprovalStageRecord | undefined {
  if (stageId) return approval.stages.find((s) => s.id === stageId);
  const current = currentStage(approval);
  if (approverId) {
    if (current?.approverIds.includes(approverId)) return current;
    const decidedBy = approval.stages.find((s) => s.decisions.some((d) => d.reviewer.id === approverId));
    if (decidedBy) return decidedBy;
    const named = [...approval.stages]
      .reverse()
      .find((s) => s.approverIds.includes(approverId) || s.escalationApproverIds.includes(approverId));
    if (named) return named;
  }
  return current ?? approval.stages.at(-1);
}

/** The decision `approverId` made in any stage of the approval, if any. */
export function decisionBy(approval: ApprovalRecord, approverId: string) {
  for (const stage of approval.stages) {
    const d = stage.decisions.find((x) => x.reviewer.id === approverId);
    if (d) return { stage, decision: d };
    // A row from before N-of-M stages holds its one decision in Graph's fields only.
    if (
      stage.decisions.length === 0 &&
      stage.reviewedBy?.id === approverId &&
      stage.reviewResult !== 'NotReviewed'
    )
      return {
        stage,
        decision: {
          reviewer: stage.reviewedBy,
          reviewResult: stage.reviewResult,
          justification: stage.justification,
          reviewedDateTime: stage.reviewedDateTime ?? '',
        },
      };
  }
  return undefined;
}

/** Approvals counted in a stage: one a person, however often they were recorded. */
export function approvalsIn(stage: ApprovalStageRecord): number {
  return new Set(stage.decisions.filter((d) => d.reviewResult === 'Approve').map((d) => d.reviewer.id)).size;
}

/**
 * The approval with one more decision in `stageId`. A deny completes the stage (and ends the
 * request); an approval completes it when it is the N-th. `next` is the stage to start, if any.
 */
export function decided(
  approval: ApprovalRecord,
  stageId: string,
  decision: {
    reviewResult: 'Approve' | 'Deny';
    reviewer: { id: string; displayName: string | null };
    justification: string | null;
    at: Date;
  },
): { approval: ApprovalRecord; stageCompleted: boolean; nextStage?: number } {
  const index = approval.stages.findIndex((s) => s.id === stageId);
  const stage = approval.stages[index]!;
  const withDecision: ApprovalStageRecord = {
    ...stage,
    decisions: [
      ...stage.decisions,
      {
        reviewer: decision.reviewer,
        reviewResult: decision.reviewResult,
        justification: decision.justification,
        reviewedDateTime: decision.at.toISOString(),
      },
    ],
  };
  const completed =
    decision.reviewResult === 'Deny' || approvalsIn(withDecision) >= withDecision.approverCountRequired;
  const next: ApprovalStageRecord = completed
    ? {
        ...withDecision,
        status: 'Completed',
        reviewResult: decision.reviewResult,
        reviewedBy: decision.reviewer,
        reviewedDateTime: decision.at.toISOString(),
        justification: decision.justification,
      }
    : withDecision;
  const updated = { ...approval, stages: approval.stages.map((s, i) => (i === index ? next : s)) };
  const hasNext = completed && decision.reviewResult === 'Approve' && index + 1 < approval.stages.length;
  if (!hasNext) return { approval: updated, stageCompleted: completed };
  return {
    approval: startedStage(updated, index + 1, decision.at),
    stageCompleted: true,
    nextStage: index + 1,
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
    stages: approval.stages.map((s) =>
      s.status === 'InProgress' || s.status === 'NotStarted' ? { ...s, status } : s,
    ),
  };
}

/** Who is asked right now: the approvers of the stage in progress. */
export function pendingApprovers(r: ActivationRequest): string[] {
  if (r.status !== 'PendingApproval') return [];
  const stage = currentStage(r.activation.approval);
  return stage?.approverIds.filter((id) => !stage.decisions.some((d) => d.reviewer.id === id)) ?? [];
}
