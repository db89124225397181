// The app's entry (package.json "main"): importing a module registers its functions.
import './health';
import './dev-issuer';
import './me';
import './openapi';
import './authenticators';
import './activation-requests';
import './approvals';
import './access-check';
import './activation-policies';
import './role-definitions';
import './groups';
import './schedules';
import './policies';
import './audit-logs';
import { app } from '@azure/functions';
import { loadDemoData } from '../shared/activation/demo-data';

// `npm start` loads the seeds' scenario (DEMO_DATA=true in local.settings.json); production does not.
app.hook.appStart(async () => {
  if (/^(1|true)$/i.test(process.env.DEMO_DATA ?? '')) await loadDemoData();
});
