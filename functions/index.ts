// The app's entry (package.json "main"): importing a module registers its functions.
import './health';
import './dev-issuer';
import './me';
import './openapi';
import './authenticators';
import './activation-requests';
import './assignment-request-lists';
import './approvals';
import './access-check';
import './activation-policies';
import './role-definitions';
import './groups';
import './users';
import './schedules';
import './policies';
import './audit-logs';
import './audit-trail';
import './approval-links';
import './approval-webhook';
import './chat-approvals';
import './notification-subscriptions';
import './grant-connectors';
import './admin-change-proposals';
import './eligibility-notices';
import './access-reviews';
import './access-review-links';
import './role-management-alerts';
import './test-hooks';
// Last: its catch-all route serves the portal (and the API's 404 for unknown paths under api/).
import './portal';
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { useDurableClient } from '../orchestrations/signals';
import { settings } from '../shared/config';
import { services, systemContext } from '../shared/services';
import { loadDemoData } from '../shared/services/demo-data';

// At start: the tables and the built-in roles. `npm start` also loads the seeds' scenario
// (DEMO_DATA=true in local.settings.json); production does not.
async function prepare(): Promise<void> {
  const s = services();
  await s.startup();
  if (/^(1|true)$/i.test(process.env.DEMO_DATA ?? '')) {
    await loadDemoData(s);
    // The demo shows its alerts at once rather than after the first hourly evaluation.
    await s.alerts.evaluate(systemContext('PIM alerts'));
  }
}

const RETRY_MS = 5_000;

// Storage may be down when the app starts: the app still starts (health answers 503), and the
// preparation is retried until storage is back. Every step is idempotent.
app.hook.appStart(async () => {
  try {
    await prepare();
  } catch (err) {
    console.error(
      `[startup] storage not ready (${err instanceof Error ? err.message : String(err)}); retrying`,
    );
    const retry = (): void => {
      prepare().catch(() => setTimeout(retry, RETRY_MS).unref());
    };
    setTimeout(retry, RETRY_MS).unref();
  }
});

// Finishes the publication of commits whose process died after committing them: their audit rows,
// projections and signals (the orchestration to start, the event to raise). At start with the
// startup grace (0 where this host is the only one), then every minute with a minute's grace.
let swept = false;
app.timer('auditOutboxSweep', {
  schedule: '0 * * * * *',
  runOnStartup: true,
  extraInputs: [df.input.durableClient()],
  handler: async (_timer, context) => {
    const s = useDurableClient(context);
    const graceMs = swept ? 60_000 : settings().OUTBOX_STARTUP_GRACE_SECONDS * 1000;
    swept = true;
    await s.sweepAuditOutbox(graceMs);
    // Approvals of admin changes a crash left half done (shared/services/admin-changes.ts).
    await s.adminChanges.finishStuck(graceMs);
  },
});
