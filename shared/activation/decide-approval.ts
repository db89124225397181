// The one way an approval step gets decided, whoever asks: the portal's PATCH, an approve/deny link
// from a mail, or a chat tool's webhook. Same rules everywhere: only the step's approvers decide,
// nobody decides their own request, the first decision wins (a later one is 409), an expired
// approval is 409, and a policy that wants the approver's justification gets one. The decision is
// recorded with the approval's ETag, audited, and handed to the orchestration through `raise`.
import { now } from '../clock';
import { badRequest, conflict, forbidden, notFound } from '../http/errors';
import {
  type ApprovalRow,
  type ApprovalStep,
  DecisionConflictError,
  getApproval,
  saveSteps,
} from './approvals-repo';
import { auditStep, displayNameOf } from './audit-steps';
import { getRequest } from './requests-repo';

export type DecisionChannel = 'portal' | 'link' | 'webhook';

export interface DecisionInput {
  approvalId: string;
  /** The step to decide; without it, the step now in progress. */
  stepId?: string;
  approverId: string;
  /** Shown as `reviewedBy`; defaults to the directory's name for the approver. */
  approverName?: string | null;
  reviewResult: 'Approve' | 'Deny';
  justification?: string | null;
  channel: DecisionChannel;
  /** E.g. the chat integration's name; recorded in the audit row. */
  via?: string;
}

export interface Decided {
  approval: ApprovalRow;
  step: ApprovalStep;
  requestId: string;
}

/** Hands the decision to whatever waits for it (the activation orchestration). */
export type RaiseDecision = (
  requestId: string,
  decision: { reviewResult: 'Approve' | 'Deny'; approverId: string; justification?: string },
) => Promise<void>;

/**
 * Checks everything a decision needs without writing anything; throws the HTTP error the caller
 * answers with. Used before a decision, and by the link page to say whether a link still works.
 */
export async function checkDecision(
  input: Omit<DecisionInput, 'reviewResult'> & { reviewResult?: 'Approve' | 'Deny' },
): Promise<{ approval: ApprovalRow; step: ApprovalStep }> {
  const approverId = input.approverId.toLowerCase();
  const approval = await getApproval(input.approvalId);
  const step = input.stepId
    ? approval?.steps.find((s) => s.id === input.stepId)
    : (approval?.steps.find((s) => s.status === 'InProgress') ?? approval?.steps.at(-1));
  const isApprover = step?.approverIds.some((id) => id.toLowerCase() === approverId) ?? false;
  const isRequester = approval?.requesterId.toLowerCase() === approverId;
  if (!approval || !step) throw notFound('No such approval step.');
  // The portal hides approvals from strangers (404); a link or a chat tool names its approver (403).
  if (!isApprover && !isRequester) {
    if (input.channel === 'portal') throw notFound('No such approval step is visible to the caller.');
    throw forbidden('This person is not an approver of this step.');
  }
  if (isRequester) throw forbidden('Nobody approves their own request.');
  if (step.status !== 'InProgress')
    throw conflict('This step has already been decided.', 'ApprovalStepAlreadyDecided');
  if (now().getTime() >= Date.parse(approval.expiresDateTime))
    throw conflict('This approval has expired.', 'ApprovalExpired');
  if (input.reviewResult && step.isApproverJustificationRequired && !input.justification?.trim()) {
    throw badRequest('A justification is required for this decision.', [
      { target: 'justification', message: 'Required by the policy.' },
    ]);
  }
  return { approval, step };
}

export async function decideApproval(input: DecisionInput, raise: RaiseDecision): Promise<Decided> {
  const { approval, step } = await checkDecision(input);
  const approverId = input.approverId.toLowerCase();
  const at = now().toISOString();
  const reviewerName = (await displayNameOf(approverId)) ?? input.approverName ?? null;
  const justification = input.justification?.trim() ? input.justification.trim() : null;
  const decided = approval.steps.map((s) =>
    s.id === step.id
      ? {
          ...s,
          status: 'Completed' as const,
          reviewResult: input.reviewResult,
          reviewedBy: { id: approverId, displayName: reviewerName ?? approverId },
          reviewedDateTime: at,
          justification,
        }
      : s,
  );
  try {
    await saveSteps(approval, decided);
  } catch (err) {
    if (err instanceof DecisionConflictError) throw conflict(err.message, 'ApprovalStepAlreadyDecided');
    throw err;
  }
  const request = await getRequest(approval.requestId);
  if (request) {
    await auditStep({
      requestId: approval.requestId,
      step: `Decision-${input.reviewResult}`,
      at,
      activity:
        input.reviewResult === 'Approve'
          ? 'Approve request (PIM activation)'
          : 'Deny request (PIM activation)',
      target: request.target,
      principalId: request.principalId,
      initiatedBy: approverId,
      details: {
        ApproverJustification: justification,
        DecisionChannel: input.via ? `${input.channel}:${input.via}` : input.channel,
      },
    });
  }
  await raise(approval.requestId, {
    reviewResult: input.reviewResult,
    approverId,
    justification: justification ?? undefined,
  });
  return { approval, step: decided.find((s) => s.id === step.id) ?? step, requestId: approval.requestId };
}
