// The Notifier the app uses when no durable orchestration carries the notice: plans the deliveries
// from settings (mail when SMTP_HOST is set) and subscriptions, and sends each once, reporting
// (never throwing) failures. With nothing to deliver it logs the notice, as LogNotifier does.
import { deliver, noticeKey, planNotice } from './deliveries';
import { safeMessage } from './http-post';
import { type DeliveryReport, LogNotifier, type Notice, type Notifier } from './notifier';

export class ChannelNotifier implements Notifier {
  constructor(private readonly fallback: Notifier = new LogNotifier()) {}

  async send(notice: Notice): Promise<DeliveryReport[]> {
    let plan: Awaited<ReturnType<typeof planNotice>>;
    try {
      plan = await planNotice(notice);
    } catch (err) {
      return [{ channel: 'plan', delivered: false, error: safeMessage(err) }];
    }
    if (plan.deliveries.length === 0) return this.fallback.send(notice);
    const key = noticeKey(notice);
    return Promise.all(
      plan.deliveries.map(async (delivery) => {
        try {
          await deliver({ noticeKey: key, facts: plan.facts, delivery });
          return { channel: delivery.channel, delivered: true };
        } catch (err) {
          return { channel: delivery.channel, delivered: false, error: safeMessage(err) };
        }
      }),
    );
  }
}
