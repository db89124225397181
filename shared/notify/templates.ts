// Mail texts for each notice and audience, in plain text and simple HTML. Every value from a
// person (names, justifications, tickets) is escaped in HTML and kept to one line in headers.

import { type NoticeFacts, nameOf, scopeOf } from './facts';
import { html, joinHtml, type Raw } from './html';
import type { NoticeEvent } from './notifier';

export type Audience = 'approver' | 'requester' | 'admins';

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export interface DecisionLinks {
  approve: string;
  deny: string;
}

/** Who is told about each event (Entra PIM's defaults). */
export const AUDIENCES: Record<NoticeEvent, readonly Audience[]> = {
  eligibilityAssigned: ['requester', 'admins'],
  eligibilityRemoved: ['requester', 'admins'],
  // An admin's active (standing) assignment: the person, and the admins as an alert.
  assignmentAssigned: ['requester', 'admins'],
  assignmentRemoved: ['requester', 'admins'],
  // A principal's selfExtend/selfRenew: the admins decide.
  renewalRequested: ['admins'],
  activationRequested: ['approver'],
  // Approvers learn the outcome of a request they were asked about.
  approved: ['requester', 'approver'],
  denied: ['requester', 'approver'],
  activated: ['requester', 'admins'],
  expiringSoon: ['requester'],
  deactivated: ['requester'],
  expired: ['requester'],
  revoked: ['requester'],
  connectorFailed: ['admins'],
  // The two-person rule: every admin may be the second one; a bypass is an alert to all of them.
  adminChangeProposed: ['admins'],
  adminChangeBypassed: ['admins'],
  alertRaised: ['admins'],
};

const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();
const time = (iso: string | null | undefined) =>
  iso
    ? new Date(iso)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : 'no end';

function subjectOf(f: NoticeFacts, audience: Audience): string {
  const who = nameOf(f.principal);
  const role = f.targetDisplayName;
  switch (f.event) {
    case 'activationRequested':
      return `Approval needed: ${who} requests ${role}`;
    case 'approved':
      return audience === 'approver'
        ? `${who}'s request for ${role} was approved by ${nameOf(f.by)}`
        : `Your request for ${role} was approved`;
    case 'denied':
      return audience === 'approver'
        ? `${who}'s request for ${role} was denied by ${nameOf(f.by)}`
        : `Your request for ${role} was denied`;
    case 'activated':
      return audience === 'admins'
        ? `${who} activated ${role}`
        : `${role} is active until ${time(f.endDateTime)}`;
    case 'expiringSoon':
      return `Your ${role} activation ends at ${time(f.endDateTime)}`;
    case 'deactivated':
      return `${role} was deactivated`;
    case 'expired':
      return `Your ${role} activation has ended`;
    case 'revoked':
      return `${role} was removed by ${nameOf(f.by)}`;
    case 'eligibilityAssigned':
      return audience === 'admins' ? `${who} is now eligible for ${role}` : `You are eligible for ${role}`;
    case 'eligibilityRemoved':
      return audience === 'admins'
        ? `${who} is no longer eligible for ${role}`
        : `You are no longer eligible for ${role}`;
    case 'assignmentAssigned':
      return audience === 'admins'
        ? `Alert: ${who} was assigned ${role} (active, outside activation)`
        : `You were assigned ${role} (active)`;
    case 'assignmentRemoved':
      return audience === 'admins'
        ? `${who} no longer has the active assignment of ${role}`
        : `Your active assignment of ${role} was removed`;
    case 'renewalRequested':
      return `${who} asks for more time on ${role}`;
    case 'adminChangeProposed':
      return `${nameOf(f.by)} proposes an admin change: ${role}`;
    case 'adminChangeBypassed':
      return `Alert: ${nameOf(f.by)} bypassed the two-person rule: ${role}`;
    case 'alertRaised':
      return `PIM alert: ${f.alert?.displayName ?? role} (${f.alert?.incidentCount ?? 0} incidents)`;
    case 'connectorFailed':
      return `Alert: connector ${f.connector?.displayName ?? ''} could not ${f.connector?.action ?? 'sync'} ${role} for ${who}`;
  }
}

function leadOf(f: NoticeFacts, audience: Audience): string {
  const who = nameOf(f.principal);
  const role = f.targetDisplayName;
  switch (f.event) {
    case 'activationRequested':
      return `${who} asks to activate ${role}. Approve or deny it below; a deny ends the request.`;
    case 'approved':
      return audience === 'approver'
        ? `${nameOf(f.by)} approved ${who}'s request to activate ${role}; nothing is left for you to decide.`
        : `${nameOf(f.by)} approved your request to activate ${role}.`;
    case 'denied':
      return audience === 'approver'
        ? `${nameOf(f.by)} denied ${who}'s request to activate ${role}; nothing is left for you to decide.`
        : `${nameOf(f.by)} denied your request to activate ${role}.`;
    case 'activated':
      return audience === 'admins'
        ? `${who} activated the privileged role ${role}.`
        : `${role} is now active for you.`;
    case 'expiringSoon':
      return `Your activation of ${role} ends soon. Extend it if you still need it.`;
    case 'deactivated':
      return `${role} was deactivated; the access has ended.`;
    case 'expired':
      return `Your activation of ${role} reached its end; the access has ended.`;
    case 'revoked':
      return `${nameOf(f.by)} removed your active assignment of ${role}; the access has ended.`;
    case 'eligibilityAssigned':
      return `${who} can now activate ${role} when needed.`;
    case 'eligibilityRemoved':
      return `${who} can no longer activate ${role}.`;
    case 'assignmentAssigned':
      return audience === 'admins'
        ? `${nameOf(f.by)} gave ${who} an active assignment of the privileged role ${role}, without activation. Check that it is meant.`
        : `${nameOf(f.by)} assigned ${role} to you; it is active without activation.`;
    case 'assignmentRemoved':
      return `${who}'s active assignment of ${role} was removed; that access has ended.`;
    case 'renewalRequested':
      return (
        `${who} asks an administrator to extend or renew their assignment of ${role} (it ends ${time(f.endDateTime)}). ` +
        `Grant it with adminExtend or adminRenew of that assignment; deny it by canceling the request.`
      );
    case 'adminChangeProposed':
      return (
        `${nameOf(f.by)} proposes this change under the two-person rule: ${role}. It takes effect only when ` +
        `another administrator approves it (POST /api/v1.0/jit/adminChangeProposals/${f.subjectId}/approve) ` +
        `before ${time(f.endDateTime)}.`
      );
    case 'adminChangeBypassed':
      return (
        `${nameOf(f.by)}, a Global Administrator, applied this change without a second administrator ` +
        `(break-glass): ${role}. Check that it was meant.`
      );
    case 'alertRaised':
      return (
        `The PIM alert "${f.alert?.displayName ?? role}" became active with ${f.alert?.incidentCount ?? 0} ` +
        `incident(s). See it in the portal's Alerts page or GET /api/v1.0/identityGovernance/roleManagementAlerts/alerts.`
      );
    case 'connectorFailed':
      return (
        `The grant connector ${f.connector?.displayName ?? ''} did not accept the ${f.connector?.action ?? ''} ` +
        `of ${role} for ${who} after all retries. The service's own access check is not affected; ` +
        `check the target system by hand.`
      );
  }
}

function rowsOf(f: NoticeFacts, audience: Audience): [string, string][] {
  // An alert is about the tenant, not one person or role: its incidents list those.
  const rows: [string, string][] =
    f.event === 'alertRaised'
      ? []
      : [
          ['Who', `${nameOf(f.principal)}${f.principal.email ? ` <${f.principal.email}>` : ''}`],
          [f.event.startsWith('adminChange') ? 'Change' : 'Role', f.targetDisplayName],
        ];
  const scope = scopeOf(f.target);
  if (scope) rows.push(['Scope', scope]);
  if (f.justification) rows.push(['Justification', f.justification]);
  if (f.ticketNumber) rows.push(['Ticket', [f.ticketSystem, f.ticketNumber].filter(Boolean).join(' ')]);
  if (f.event === 'activated' || f.event === 'expiringSoon' || (f.event === 'approved' && f.endDateTime)) {
    rows.push(['Window', `${time(f.startDateTime)} - ${time(f.endDateTime)}`]);
  }
  if ((f.event === 'approved' || f.event === 'denied') && f.approval?.reviewJustification) {
    rows.push(["Approver's justification", f.approval.reviewJustification]);
  }
  if (f.event === 'activationRequested' && f.approval) {
    rows.push(['Decide before', time(f.approval.expiresDateTime)]);
  }
  if (f.event === 'connectorFailed' && f.connector) rows.push(['Error', f.connector.error]);
  if (f.event === 'alertRaised' && f.alert) {
    rows.push(
      ['Alert', f.alert.id],
      ['Severity', f.alert.severityLevel],
      ['Incidents', String(f.alert.incidentCount)],
    );
  }
  if (audience !== 'requester') rows.push(['Request', f.subjectId]);
  return rows.map(([k, v]) => [k, oneLine(v)]);
}

/** Title, opening sentence and label/value rows: the parts mails and chat cards are built from. */
export function summaryOf(f: NoticeFacts, audience: Audience) {
  return {
    title: oneLine(subjectOf(f, audience)).slice(0, 200),
    lead: leadOf(f, audience),
    rows: rowsOf(f, audience),
  };
}

export function renderMail(f: NoticeFacts, audience: Audience, links?: DecisionLinks): MailContent {
  const { title, lead, rows } = summaryOf(f, audience);
  const subject = `PIM: ${title}`;
  const text = [
    lead,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    ...(links
      ? [
          '',
          `Approve: ${links.approve}`,
          `Deny: ${links.deny}`,
          '',
          'Each link works once; opening it asks you to confirm.',
        ]
      : f.event === 'activationRequested'
        ? ['', 'Decide in the portal (My approvals).']
        : []),
    '',
    '-- JIT Access (privileged identity management)',
  ].join('\n');
  const table = joinHtml(
    rows.map(
      ([k, v]) => html`<tr><th align="left" style="padding:2px 12px 2px 0">${k}</th><td>${v}</td></tr>`,
    ),
  );
  const buttons: Raw = links
    ? html`<p><a href="${links.approve}" style="padding:6px 14px;background:#107c10;color:#fff;text-decoration:none">Approve</a>
<a href="${links.deny}" style="padding:6px 14px;background:#a80000;color:#fff;text-decoration:none">Deny</a></p>
<p style="color:#555">Each link works once; opening it asks you to confirm.</p>`
    : html``;
  const body = html`<!doctype html>
<html><body style="font-family:Segoe UI,Arial,sans-serif">
<p>${lead}</p>
<table>${table}</table>
${buttons}
<p style="color:#777">JIT Access (privileged identity management)</p>
</body></html>`;
  return { subject, text, html: body.value };
}
