// Delivery of one notice to one recipient or subscription, as its own small orchestration: the send
// is an activity retried with back-off, and after the last attempt a final audit row says it was
// not delivered. Each delivery runs apart from the activation (which only starts it) and from the
// other deliveries, so a failing mail server or webhook never delays a grant, a revoke or another
// notice.

import type { DurableClient, OrchestrationContext } from 'durable-functions';
import * as df from 'durable-functions';
import { settings } from '../shared/config';
import { ChannelNotifier } from '../shared/notify/channels';
import {
  type DeliveryJob,
  deliver,
  deliveryId,
  giveUp,
  noticeKey,
  planNotice,
} from '../shared/notify/deliveries';
import { safeMessage } from '../shared/notify/http-post';
import { LogNotifier, type Notice, useNotifier } from '../shared/notify/notifier';
import { type RetryPlan, startOnce } from './start-once';

export const NOTICE_ORCHESTRATOR = 'notice-delivery';
const DELIVER = 'notice-deliver';
const GIVE_UP = 'notice-giveUp';

interface NoticeDelivery extends DeliveryJob {
  retry: RetryPlan;
}

const STORAGE_RETRY = new df.RetryOptions(2_000, 5);
STORAGE_RETRY.backoffCoefficient = 2;

df.app.orchestration(NOTICE_ORCHESTRATOR, function* (context: OrchestrationContext) {
  const job = context.df.getInput() as NoticeDelivery;
  const retry = new df.RetryOptions(job.retry.firstMs, job.retry.attempts);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 10 * 60_000;
  try {
    return yield context.df.callActivityWithRetry(DELIVER, retry, job);
  } catch (err) {
    yield context.df.callActivityWithRetry(GIVE_UP, STORAGE_RETRY, { job, error: safeMessage(err) });
    return 'failed';
  }
});

df.app.activity(DELIVER, { handler: (job: NoticeDelivery) => deliver(job) });
df.app.activity(GIVE_UP, {
  handler: ({ job, error }: { job: NoticeDelivery; error: string }) => giveUp(job, error),
});

export function retryPlan(): RetryPlan {
  const s = settings();
  return { firstMs: s.WEBHOOK_RETRY_FIRST_MS, attempts: s.WEBHOOK_RETRY_ATTEMPTS };
}

const log = new LogNotifier();

// Callers outside an orchestration (notifier().send) get the same channels, sent once each.
useNotifier(new ChannelNotifier(log));

/** Plans a notice's deliveries and starts one orchestration for each (from an activity). */
export async function startNotices(client: DurableClient, notice: Notice): Promise<number> {
  const { facts, deliveries } = await planNotice(notice);
  if (deliveries.length === 0) {
    await log.send(notice);
    return 0;
  }
  const key = noticeKey(notice);
  for (const delivery of deliveries) {
    const job: NoticeDelivery = { noticeKey: key, facts, delivery, retry: retryPlan() };
    await startOnce(client, NOTICE_ORCHESTRATOR, `notice-${deliveryId(job)}`, job);
  }
  return deliveries.length;
}
