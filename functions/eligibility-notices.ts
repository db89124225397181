// Timer: eligibility assigned/removed notices (mail to the person and the admins, subscribers),
// read from the audit log every minute (shared/notify/eligibility-feed.ts). Each window reaches
// back 10 minutes before the last one's end, for audit rows published late; the deliveries
// themselves are idempotent. The first run starts now: history is not announced.
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { startNotices } from '../orchestrations/notifications';
import { now } from '../shared/clock';
import { eligibilityNoticesBetween, readCursor, writeCursor } from '../shared/notify/eligibility-feed';
import { safeMessage } from '../shared/notify/http-post';

const OVERLAP_MS = 10 * 60_000;

app.timer('eligibilityNotices', {
  schedule: '0 * * * * *',
  extraInputs: [df.input.durableClient()],
  handler: async (_timer: unknown, context: InvocationContext) => {
    const until = now();
    const last = await readCursor();
    if (last) {
      const from = new Date(Math.min(last.getTime(), until.getTime()) - OVERLAP_MS);
      const client = df.getClient(context);
      for (const notice of await eligibilityNoticesBetween(from, until)) {
        await startNotices(client, notice).catch((err: unknown) =>
          context.warn(`eligibility notice ${notice.subjectId}: ${safeMessage(err)}`),
        );
      }
    }
    await writeCursor(until);
  },
});
