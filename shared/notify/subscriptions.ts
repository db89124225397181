// Outgoing webhook subscriptions (admin-managed): where to POST which notices, in which payload
// shape, signed with which secret. URL and secret are sealed at rest: a Teams or Slack incoming
// webhook URL is itself a credential. Views never carry either; the URL shows as its origin only.
//   JitNotifySubscriptions  PK = 'subscription'  RK = id
import { randomUUID } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { Snapshot } from '../snapshot';
import type { NoticeEvent } from './notifier';
import { openSecret, sealSecret } from './secrets';
import { notifyTable, statusCode } from './tables';

export type PayloadFormat = 'json' | 'teams' | 'slack';

export interface Subscription {
  id: string;
  url: string;
  secret: string;
  events: NoticeEvent[];
  format: PayloadFormat;
  /**
   * Teams and Slack: approver notices carry Approve and Deny actions, one pair for each approver
   * (signed, single-use, like the mail's links), and Slack's button presses come back signed with
   * this subscription's secret. Off unless asked for: whoever reads the channel can press them.
   */
  approvalActions: boolean;
  description: string | null;
  createdDateTime: string;
  createdBy: string;
}

export type SubscriptionView = Omit<Subscription, 'url' | 'secret'> & { url: string };

const PK = 'subscription';

export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}/…`;
}

export function viewOf(s: Subscription): SubscriptionView {
  const { secret: _secret, url, ...rest } = s;
  return { ...rest, url: redactUrl(url) };
}

function toEntity(s: Subscription) {
  return {
    partitionKey: PK,
    rowKey: s.id,
    urlSealed: sealSecret(s.url, `subscription-url:${s.id}`),
    secretSealed: sealSecret(s.secret, `subscription-secret:${s.id}`),
    events: JSON.stringify(s.events),
    format: s.format,
    approvalActions: s.approvalActions,
    description: s.description ?? '',
    createdDateTime: s.createdDateTime,
    createdBy: s.createdBy,
  };
}

function fromEntity(e: Record<string, unknown>): Subscription {
  const id = String(e.rowKey);
  return {
    id,
    url: openSecret(String(e.urlSealed), `subscription-url:${id}`),
    secret: openSecret(String(e.secretSealed), `subscription-secret:${id}`),
    events: JSON.parse(String(e.events)),
    format: String(e.format) as PayloadFormat,
    approvalActions: e.approvalActions === true,
    description: e.description ? String(e.description) : null,
    createdDateTime: String(e.createdDateTime),
    createdBy: String(e.createdBy),
  };
}

export async function createSubscription(
  input: Omit<Subscription, 'id' | 'createdDateTime'>,
  at: Date,
): Promise<Subscription> {
  const s: Subscription = { ...input, id: randomUUID(), createdDateTime: at.toISOString() };
  await (await notifyTable('subscriptions')).createEntity(toEntity(s));
  all.forget();
  return s;
}

export async function replaceSubscription(s: Subscription): Promise<void> {
  await (await notifyTable('subscriptions')).upsertEntity(toEntity(s), 'Replace');
  all.forget();
}

export async function getSubscription(id: string): Promise<Subscription | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  try {
    return fromEntity(await (await notifyTable('subscriptions')).getEntity(PK, id.toLowerCase()));
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

export async function deleteSubscription(id: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  try {
    await (await notifyTable('subscriptions')).deleteEntity(PK, id.toLowerCase());
    all.forget();
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}

/** Every subscription (an admin-sized list). */
export async function listSubscriptions(): Promise<Subscription[]> {
  const out: Subscription[] = [];
  const t = await notifyTable('subscriptions');
  for await (const e of t.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${PK}` } })) {
    out.push(fromEntity(e));
  }
  return out;
}

// Every notice asks which subscriptions want it: the list is kept for a few seconds (shared/snapshot.ts).
const all = new Snapshot(listSubscriptions);

export async function subscriptionsFor(event: NoticeEvent): Promise<Subscription[]> {
  return (await all.get()).filter((s) => s.events.includes(event));
}
