// A notice becomes deliveries (one mail per approver, one to the requester, one to the admins, one
// POST per matching subscription), each sent on its own so that one slow or failing channel holds
// up no other. `deliver` sends one and throws on failure, for the caller's durable retry; a
// delivery that already went out (an activity re-run after a crash) is not sent again.
import { createHash, randomUUID } from 'node:crypto';
import { now } from '../clock';
import { settings } from '../config';
import type { RoleManagementPolicy } from '../domain/policy';
import { services } from '../services';
import { protectedRoleHolderIds } from '../services/last-admin';
import { linksConfigured, linkUrl, mintLinkToken } from './approval-links';
import { auditDelivery } from './audit';
import { cardOf, slackMessage, teamsMessage } from './chat-actions';
import { gatherFacts, type NoticeFacts, person } from './facts';
import { DeliveryError, postSigned, safeMessage } from './http-post';
import { mailConfigured, sendMail } from './mail';
import type { Notice } from './notifier';
import { payloadFor } from './payloads';
import { audienceRule, policyTargetOf } from './recipients';
import { getSubscription, type Subscription, subscriptionsFor } from './subscriptions';
import { notifyTable, statusCode } from './tables';
import { AUDIENCES, type Audience, type DecisionLinks, renderMail } from './templates';

export type Delivery =
  | { channel: 'mail'; audience: Audience; to: string[]; approverId?: string }
  | { channel: 'webhook'; subscriptionId: string };

export interface DeliveryJob {
  /** Identifies the notice: event, subject and (for repeated events) what makes it distinct. */
  noticeKey: string;
  facts: NoticeFacts;
  delivery: Delivery;
}

export function noticeKey(n: Notice): string {
  const extra =
    n.event === 'expiringSoon'
      ? `@${n.endDateTime ?? ''}`
      : n.connector
        ? `@${n.connector.id}/${n.connector.action}`
        : n.round
          ? `@${n.round}`
          : '';
  return `${n.subjectId}|${n.event}${extra}`;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** Stable id of one delivery: names its durable instance, its "sent" mark and its audit row. */
export function deliveryId(job: Pick<DeliveryJob, 'noticeKey' | 'delivery'>): string {
  const d = job.delivery;
  return hash(
    `${job.noticeKey}|${d.channel === 'mail' ? `mail|${d.audience}|${d.to.join(',')}` : `webhook|${d.subscriptionId}`}`,
  );
}

/**
 * The admins' addresses: NOTIFY_ADMIN_EMAILS when set; else, as Entra does, whoever holds Global
 * Administrator or Privileged Role Administrator now (assigned or activated), and the bootstrap admins.
 */
async function adminEmails(): Promise<string[]> {
  const listed = settings().NOTIFY_ADMIN_EMAILS;
  if (listed.length > 0) return listed;
  const holders = await protectedRoleHolderIds(services().stores, now());
  const ids = [...new Set([...settings().BOOTSTRAP_ADMIN_IDS, ...holders])];
  const admins = await Promise.all(ids.map(person));
  return [...new Set(admins.map((a) => a.email).filter((e): e is string => e !== null))];
}

export async function planNotice(notice: Notice): Promise<{ facts: NoticeFacts; deliveries: Delivery[] }> {
  const subscriptions = await subscriptionsFor(notice.event);
  // Nobody to tell (no mail, no subscriber): no facts to gather either.
  if (!mailConfigured() && subscriptions.length === 0) return { facts: emptyFacts(notice), deliveries: [] };
  const facts = await gatherFacts(notice);
  const deliveries: Delivery[] = [];
  if (mailConfigured()) {
    const policy = await policyOf(notice);
    for (const audience of AUDIENCES[notice.event]) {
      const rule = audienceRule(policy, notice.event, audience);
      if (rule.defaults) deliveries.push(...(await defaultMails(notice, facts, audience)));
      const extra = rule.extra.filter(
        (e) => !deliveries.some((d) => d.channel === 'mail' && d.to.includes(e)),
      );
      // Extra recipients get the audience's mail, never decision links (those are an approver's own).
      if (extra.length > 0) deliveries.push({ channel: 'mail', audience, to: extra });
    }
  }
  for (const s of subscriptions) deliveries.push({ channel: 'webhook', subscriptionId: s.id });
  return { facts, deliveries };
}

async function defaultMails(notice: Notice, facts: NoticeFacts, audience: Audience): Promise<Delivery[]> {
  if (audience === 'approver') {
    const out: Delivery[] = [];
    for (const approver of facts.approval?.approvers ?? []) {
      // Nobody approves their own request, so the requester never gets decision links.
      if (!approver.email || approver.id.toLowerCase() === facts.principal.id.toLowerCase()) continue;
      // The outcome goes to the other approvers: the one who decided knows it.
      if (notice.event !== 'activationRequested' && approver.id.toLowerCase() === facts.by?.id.toLowerCase())
        continue;
      out.push({ channel: 'mail', audience, to: [approver.email], approverId: approver.id });
    }
    return out;
  }
  if (audience === 'requester') {
    return facts.principal.email ? [{ channel: 'mail', audience, to: [facts.principal.email] }] : [];
  }
  const to = await adminEmails();
  return to.length > 0 ? [{ channel: 'mail', audience, to }] : [];
}

/** The policy of the notice's role or group, for its Notification_* rules (none: the defaults). */
async function policyOf(notice: Notice): Promise<RoleManagementPolicy | undefined> {
  if (!notice.target) return undefined;
  try {
    return (await services().policies.forTarget(policyTargetOf(notice.target))).value;
  } catch {
    return undefined; // a deleted group's notice still goes to the defaults
  }
}

function emptyFacts(notice: Notice): NoticeFacts {
  return {
    event: notice.event,
    at: notice.at ?? now().toISOString(),
    subjectId: notice.subjectId,
    principal: { id: notice.principalId, displayName: null, email: null },
    targetDisplayName: notice.targetDisplayName,
  };
}

async function links(f: NoticeFacts, approverId: string | undefined): Promise<DecisionLinks | undefined> {
  // Only a request still waiting carries decision links; an outcome mail to an approver does not.
  if (f.event !== 'activationRequested' || !approverId || !f.approval || !linksConfigured()) return undefined;
  const claims = { approverId, approvalId: f.approval.id, stepId: f.approval.stepId };
  const expires = new Date(f.approval.expiresDateTime);
  return {
    approve: linkUrl(await mintLinkToken({ ...claims, decision: 'Approve' }, now(), expires)),
    deny: linkUrl(await mintLinkToken({ ...claims, decision: 'Deny' }, now(), expires)),
  };
}

async function alreadySent(subjectId: string, id: string): Promise<boolean> {
  try {
    await (await notifyTable('deliveries')).getEntity(subjectId, id);
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}

async function markSent(subjectId: string, id: string): Promise<void> {
  await (await notifyTable('deliveries')).upsertEntity(
    { partitionKey: subjectId, rowKey: id, sentDateTime: now().toISOString() },
    'Replace',
  );
}

function describe(job: DeliveryJob): Record<string, string> {
  const d = job.delivery;
  return d.channel === 'mail'
    ? {
        Channel: 'mail',
        NotificationEvent: job.facts.event,
        Audience: d.audience,
        Recipients: d.to.join(', '),
      }
    : { Channel: 'webhook', NotificationEvent: job.facts.event, SubscriptionId: d.subscriptionId };
}

/** Sends one delivery; 'skipped' when it already went out or its subscription is gone. */
export async function deliver(job: DeliveryJob): Promise<'sent' | 'skipped'> {
  const id = deliveryId(job);
  const f = job.facts;
  if (await alreadySent(f.subjectId, id)) return 'skipped';
  const d = job.delivery;
  const audit = {
    requestId: f.subjectId,
    principalId: f.principal.id,
    target: f.target,
    details: describe(job),
  };
  try {
    if (d.channel === 'mail') {
      await sendMail(d.to, renderMail(f, d.audience, await links(f, d.approverId)), id);
    } else {
      const sub = await getSubscription(d.subscriptionId);
      if (!sub) return 'skipped';
      const payload = (await chatApprovalPayload(sub, f)) ?? payloadFor(sub.format, f, id);
      await postSigned(sub.url, sub.secret, payload, now(), {
        'x-jit-event': f.event,
        'x-jit-delivery': id,
      });
    }
  } catch (err) {
    const reason = safeMessage(err);
    await auditDelivery({
      ...audit,
      id: randomUUID(),
      activity: `Notification attempt failed (${d.channel})`,
      result: 'failure',
      reason,
    });
    throw new DeliveryError(reason);
  }
  await markSent(f.subjectId, id);
  await auditDelivery({
    ...audit,
    id: `${f.subjectId}-notice-${id}`,
    activity: `Notification sent (${d.channel})`,
    result: 'success',
  });
  return 'sent';
}

/**
 * An approver notice to a chat subscription that wants actions: the card of the request as it
 * stands, with Approve and Deny for each approver still asked (chat-actions.ts).
 */
async function chatApprovalPayload(sub: Subscription, f: NoticeFacts): Promise<unknown | undefined> {
  if (!sub.approvalActions || sub.format === 'json' || f.event !== 'activationRequested' || !f.approval)
    return undefined;
  const request = await services().stores.principals.request(f.principal.id, f.approval.id);
  if (!request) return undefined;
  const card = await cardOf(request);
  return sub.format === 'teams' ? teamsMessage(card) : slackMessage(card);
}

/** After the last retry: one more audit row saying the notice was not delivered. */
export async function giveUp(job: DeliveryJob, error: string): Promise<void> {
  await auditDelivery({
    id: `${job.facts.subjectId}-notice-${deliveryId(job)}-failed`,
    activity: `Notification not delivered (${job.delivery.channel})`,
    requestId: job.facts.subjectId,
    principalId: job.facts.principal.id,
    target: job.facts.target,
    result: 'failure',
    reason: safeMessage(error),
    details: describe(job),
  });
}
