// Approve and Deny from chat (issue 19, item 2): approver notices to a Teams or Slack subscription
// with `approvalActions` carry one Approve and one Deny action for each approver asked, and the
// card is redrawn with the outcome after a press.
//   Teams  an Adaptive Card whose Action.Http POSTs to /approvals/chat/teams/{token}; the answer is
//          the redrawn card with CARD-UPDATE-IN-BODY: true
//   Slack  buttons whose value is the token; Slack posts the press (form field `payload`, signed
//          with X-Slack-Signature by the subscription's secret) to /approvals/chat/slack/{subscription};
//          the redrawn message goes to the press's response_url
// The token is the approval link's (approval-links.ts): signed, expiring, single-use, bound to one
// approver, approval, stage and decision, so a press is always that approver's decision and never
// the requester's (nobody is given a token for their own request).
import { now } from '../clock';
import { settings } from '../config';
import {
  type ActivationRequest,
  type ApprovalStageRecord,
  approvalsIn,
  currentStage,
} from '../domain/activation';
import { services } from '../services';
import { linksConfigured, mintLinkToken } from './approval-links';
import { type Person, person } from './facts';

/** One approver's pair of actions. */
export interface ApproverActions {
  approver: Person;
  approve: string;
  deny: string;
}

/** What a chat card shows: a title, lines of state, and the actions still open. */
export interface ChatCard {
  title: string;
  lines: string[];
  facts: [string, string][];
  actions: ApproverActions[];
}

const MAX_APPROVERS_WITH_ACTIONS = 10;

const nameOf = (p: Person) => p.displayName ?? p.id;

/** Tokens for each approver of `stageId` (never the requester), while links can be signed. */
export async function actionsFor(
  approval: { id: string; stepId: string; expiresDateTime: string },
  approvers: readonly Person[],
  requesterId: string,
): Promise<ApproverActions[]> {
  if (!linksConfigured()) return [];
  const expires = new Date(approval.expiresDateTime);
  const asked = approvers
    .filter((a) => a.id.toLowerCase() !== requesterId.toLowerCase())
    .slice(0, MAX_APPROVERS_WITH_ACTIONS);
  return Promise.all(
    asked.map(async (approver) => {
      const claims = { approverId: approver.id, approvalId: approval.id, stepId: approval.stepId };
      return {
        approver,
        approve: await mintLinkToken({ ...claims, decision: 'Approve' }, now(), expires),
        deny: await mintLinkToken({ ...claims, decision: 'Deny' }, now(), expires),
      };
    }),
  );
}

export function teamsActionUrl(token: string): string {
  return `${settings().PUBLIC_BASE_URL.replace(/\/+$/, '')}/api/v1.0/approvals/chat/teams/${token}`;
}

/** The card of a request as it stands now: its stages' progress, and the actions still open. */
export async function cardOf(request: ActivationRequest): Promise<ChatCard> {
  const [requester, target] = await Promise.all([
    person(request.principalId),
    services().names.targetName(request.target),
  ]);
  const approval = request.activation.approval;
  const stages = approval?.stages ?? [];
  const lines: string[] = [];
  for (const [i, stage] of stages.entries()) lines.push(await stageLine(stage, i, stages.length));
  lines.push(outcomeLine(request));
  const stage = currentStage(approval);
  let actions: ApproverActions[] = [];
  if (request.status === 'PendingApproval' && approval && stage) {
    const decided = new Set(stage.decisions.map((d) => d.reviewer.id));
    const waiting = await Promise.all(stage.approverIds.filter((id) => !decided.has(id)).map(person));
    actions = await actionsFor(
      { id: approval.id, stepId: stage.id, expiresDateTime: approval.expiresDateTime },
      waiting,
      request.principalId,
    );
  }
  return {
    title: `${nameOf(requester)} requests ${target ?? 'a role'}`,
    lines,
    facts: [
      ['Justification', request.justification ?? '-'],
      ['Request', request.id],
    ],
    actions,
  };
}

async function stageLine(stage: ApprovalStageRecord, i: number, count: number): Promise<string> {
  const label = count > 1 ? `Stage ${i + 1} of ${count}` : 'Approval';
  const decisions = await Promise.all(
    stage.decisions.map(async (d) => {
      const who = d.reviewer.displayName ?? nameOf(await person(d.reviewer.id));
      return `${d.reviewResult === 'Approve' ? 'approved' : 'denied'} by ${who}`;
    }),
  );
  const progress = `${approvalsIn(stage)} of ${stage.approverCountRequired} approvals`;
  const status =
    stage.status === 'InProgress'
      ? `waiting (${progress})`
      : stage.status === 'Completed'
        ? stage.reviewResult === 'Deny'
          ? 'denied'
          : `approved (${progress})`
        : stage.status === 'NotStarted'
          ? 'not started'
          : stage.status.toLowerCase();
  return `${label}: ${status}${decisions.length ? ` - ${decisions.join(', ')}` : ''}`;
}

function outcomeLine(r: ActivationRequest): string {
  switch (r.status) {
    case 'PendingApproval':
      return 'Outcome: waiting for approval';
    case 'Denied':
      return 'Outcome: Denied';
    case 'TimedOut':
      return 'Outcome: timed out';
    case 'Canceled':
      return 'Outcome: canceled by the requester';
    default:
      return `Outcome: Approved (${r.status})`;
  }
}

/** Teams: the Adaptive Card itself (what an Action.Http answer carries to redraw it). */
export function adaptiveCard(card: ChatCard) {
  const askJustification = card.actions.length > 0;
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: card.title, weight: 'Bolder', size: 'Medium', wrap: true },
      ...card.lines.map((text) => ({ type: 'TextBlock', text, wrap: true, spacing: 'Small' })),
      { type: 'FactSet', facts: card.facts.map(([title, value]) => ({ title, value })) },
      ...(askJustification
        ? [{ type: 'Input.Text', id: 'justification', placeholder: 'Justification', maxLength: 500 }]
        : []),
    ],
    actions: card.actions.flatMap((a) =>
      (['approve', 'deny'] as const).map((which) => ({
        type: 'Action.Http',
        title: `${which === 'approve' ? 'Approve' : 'Deny'} as ${nameOf(a.approver)}`,
        method: 'POST',
        url: teamsActionUrl(a[which]),
        headers: [{ name: 'Content-Type', value: 'application/json' }],
        // Teams fills {{justification.value}} from the card's input when the action is taken.
        body: '{"justification":"{{justification.value}}"}',
      })),
    ),
  };
}

/** Teams: the message an incoming webhook posts, holding the card. */
export function teamsMessage(card: ChatCard) {
  return {
    type: 'message',
    summary: card.title,
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: adaptiveCard(card) }],
  };
}

// Slack mrkdwn treats & < > specially; names and justifications are shown literally.
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack: the message with blocks (and, while open, a row of buttons per approver). */
export function slackMessage(card: ChatCard) {
  return {
    text: esc(card.title),
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${esc(card.title)}*\n${card.lines.map(esc).join('\n')}` },
      },
      {
        type: 'section',
        fields: card.facts.map(([k, v]) => ({ type: 'mrkdwn', text: `*${esc(k)}*\n${esc(v)}` })),
      },
      ...card.actions.map((a, i) => ({
        type: 'actions',
        block_id: `jit-approver-${i}`,
        elements: (['approve', 'deny'] as const).map((which) => ({
          type: 'button',
          action_id: `jit-${which}-${i}`,
          style: which === 'approve' ? 'primary' : 'danger',
          text: {
            type: 'plain_text',
            text: `${which === 'approve' ? 'Approve' : 'Deny'} as ${nameOf(a.approver)}`,
          },
          value: a[which],
        })),
      })),
    ],
  };
}
