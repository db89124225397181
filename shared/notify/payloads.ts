// Bodies of outgoing webhook deliveries. `json` is this service's own event shape (ids, names,
// window, justification, ticket); `teams` is an Office 365 connector MessageCard and `slack` a
// message with blocks, which the two products' incoming webhooks accept as they are. No payload
// carries approval links: those go only to the approver's own mailbox.
import type { NoticeFacts, Person } from './facts';
import type { PayloadFormat } from './subscriptions';
import { summaryOf } from './templates';

const personOf = (p: Person | null | undefined) =>
  p ? { id: p.id, displayName: p.displayName, userPrincipalName: p.email } : null;

export function eventPayload(f: NoticeFacts, deliveryId: string) {
  return {
    id: deliveryId,
    event: f.event,
    occurredDateTime: f.at,
    requestId: f.subjectId,
    principal: personOf(f.principal),
    target: f.target
      ? { ...f.target, displayName: f.targetDisplayName }
      : { displayName: f.targetDisplayName },
    startDateTime: f.startDateTime ?? null,
    endDateTime: f.endDateTime ?? null,
    justification: f.justification ?? null,
    ticketInfo: f.ticketNumber
      ? { ticketNumber: f.ticketNumber, ticketSystem: f.ticketSystem ?? null }
      : null,
    by: personOf(f.by),
    approval: f.approval
      ? { id: f.approval.id, stepId: f.approval.stepId, expiresDateTime: f.approval.expiresDateTime }
      : null,
    connector: f.connector ?? null,
    alert: f.alert ?? null,
  };
}

const COLORS: Record<string, string> = {
  activated: '0078D4',
  approved: '107C10',
  denied: 'A80000',
  revoked: 'A80000',
  connectorFailed: 'A80000',
  alertRaised: 'A80000',
};

export function payloadFor(format: PayloadFormat, f: NoticeFacts, deliveryId: string): unknown {
  if (format === 'json') return eventPayload(f, deliveryId);
  const { title, lead, rows } = summaryOf(f, 'admins');
  if (format === 'teams') {
    return {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: title,
      themeColor: COLORS[f.event] ?? '666666',
      title,
      sections: [{ text: lead, facts: rows.map(([name, value]) => ({ name, value })) }],
    };
  }
  // Slack mrkdwn treats & < > specially; names and justifications are shown literally.
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    text: esc(title),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${esc(title)}*\n${esc(lead)}` } },
      {
        type: 'section',
        fields: rows.slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${esc(k)}*\n${esc(v)}` })),
      },
    ],
  };
}
