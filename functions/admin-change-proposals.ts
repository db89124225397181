// The two-person rule for admin changes (a service extension, not Graph):
//   GET   /v1.0/jit/adminChangeSettings                      the setting (readers)
//   PATCH /v1.0/jit/adminChangeSettings                      {twoPersonRuleEnabled, proposalLifetime} (admins;
//                                                            while the rule is on, itself a proposal)
//   GET   /v1.0/jit/adminChangeProposals[/{id}]              proposals, newest first (readers)
//   POST  /v1.0/jit/adminChangeProposals/{id}/approve        a second admin: the change is applied
//   POST  /v1.0/jit/adminChangeProposals/{id}/deny           a second admin
//   POST  /v1.0/jit/adminChangeProposals/{id}/withdraw       the proposer
//   GET   /v1.0/jit/adminChangeAlerts                        break-glass bypasses (readers)
// The service is shared/services/admin-changes.ts; each change's route registers its kind.
import { app, type HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import { useDurableClient } from '../orchestrations/signals';
import {
  DecisionBody,
  ProposalListSchema,
  ProposalViewSchema,
  SettingsPatch,
  SettingsSchema,
  type TwoPersonSettings,
} from '../shared/domain/admin-changes';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { registerAdminChangeKind } from '../shared/services/admin-changes';
import { ACCEPTED_RESPONSE, breakGlassOf, PROPOSALS_ROUTE, proposalAccepted } from './admin-change-gate';
import { operationContext } from './directory-common';

const SETTINGS_ROUTE = 'v1.0/jit/adminChangeSettings';
const ALERTS_ROUTE = 'v1.0/jit/adminChangeAlerts';
const SETTINGS_KIND = 'adminChangeSettings.update';
const client = df.input.durableClient();

registerAdminChangeKind<SettingsPatch, TwoPersonSettings>({
  kind: SETTINGS_KIND,
  async propose(ctx, patch) {
    await services().adminChanges.settings(ctx);
    const parts = Object.entries(patch).map(([k, v]) => `${k} = ${String(v)}`);
    return { description: `Change the two-person rule: ${parts.join(', ') || 'nothing'}` };
  },
  apply: (ctx, patch) => services().adminChanges.patchSettings(ctx, patch),
});

const TAGS = ['adminChanges'];
registerOperation({
  method: 'get',
  path: `/${SETTINGS_ROUTE}`,
  summary: 'The two-person rule for admin changes (readers)',
  tags: TAGS,
  responses: { 200: { description: 'The setting', schema: SettingsSchema }, 403: 'Not a reader' },
});
registerOperation({
  method: 'patch',
  path: `/${SETTINGS_ROUTE}`,
  summary: 'Turn the two-person rule on or off, or set how long proposals wait (admins)',
  tags: TAGS,
  requestBody: SettingsPatch,
  responses: {
    200: { description: 'The setting', schema: SettingsSchema },
    ...ACCEPTED_RESPONSE,
    400: 'Bad input',
    403: 'Not an admin',
  },
});
registerOperation({
  method: 'get',
  path: `/${PROPOSALS_ROUTE}`,
  summary: 'Admin change proposals under the two-person rule, newest first (readers)',
  tags: TAGS,
  responses: { 200: { description: 'The proposals', schema: ProposalListSchema }, 403: 'Not a reader' },
});
registerOperation({
  method: 'get',
  path: `/${PROPOSALS_ROUTE}/{id}`,
  summary: 'One admin change proposal (readers)',
  tags: TAGS,
  responses: {
    200: { description: 'The proposal', schema: ProposalViewSchema },
    403: 'Not a reader',
    404: 'No such proposal',
  },
});
for (const [action, summary, outcome] of [
  [
    'approve',
    'Approve a proposal: the change is applied as the proposer asked (a second admin)',
    'Applied or Failed',
  ],
  ['deny', 'Deny a proposal (a second admin)', 'Denied'],
  ['withdraw', 'Withdraw a proposal (its proposer)', 'Withdrawn'],
] as const) {
  registerOperation({
    method: 'post',
    path: `/${PROPOSALS_ROUTE}/{id}/${action}`,
    summary,
    tags: TAGS,
    ...(action === 'withdraw' ? {} : { requestBody: DecisionBody }),
    responses: {
      200: { description: `The proposal (${outcome})`, schema: ProposalViewSchema },
      403:
        action === 'withdraw'
          ? 'Not the proposer'
          : 'Not an admin, or the proposer (nobody decides their own proposal)',
      404: 'No such proposal',
      409: 'Not pending (decided, withdrawn or expired)',
    },
  });
}
registerOperation({
  method: 'get',
  path: `/${ALERTS_ROUTE}`,
  summary: 'Break-glass bypasses of the two-person rule, newest first (readers)',
  tags: TAGS,
  responses: { 200: { description: 'The bypasses', schema: ProposalListSchema }, 403: 'Not a reader' },
});

app.http('adminChangeSettings', {
  route: apiRoute(SETTINGS_ROUTE),
  methods: ['GET', 'PATCH'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const s = services();
    if (req.method === 'GET') return json(200, await s.adminChanges.settings(ctx));
    const patch = await readJsonBody(req, SettingsPatch);
    const out = await s.adminChanges.submit<SettingsPatch, TwoPersonSettings>(
      ctx,
      SETTINGS_KIND,
      patch,
      breakGlassOf(req),
    );
    return 'proposal' in out ? proposalAccepted(req, out.proposal) : json(200, out.applied);
  }),
});

app.http('adminChangeProposals', {
  route: apiRoute(PROPOSALS_ROUTE),
  methods: ['GET'],
  handler: httpHandler(async (req, _context, info) => {
    const ctx = await operationContext(req, info);
    return json(200, { value: await services().adminChanges.list(ctx) });
  }),
});

app.http('adminChangeProposal', {
  route: apiRoute(`${PROPOSALS_ROUTE}/{id}`),
  methods: ['GET'],
  handler: httpHandler(async (req, _context, info) => {
    const ctx = await operationContext(req, info);
    return json(200, await services().adminChanges.get(ctx, req.params.id));
  }),
});

for (const action of ['approve', 'deny', 'withdraw'] as const) {
  app.http(`adminChangeProposal_${action}`, {
    route: apiRoute(`${PROPOSALS_ROUTE}/{id}/${action}`),
    methods: ['POST'],
    // Approving replays the change, which may signal orchestrations (an admin's removal of an activation).
    extraInputs: [client],
    handler: httpHandler(async (req, context, info) => {
      const s = useDurableClient(context);
      const ctx = await operationContext(req, info);
      const id = req.params.id;
      if (action === 'withdraw') return json(200, await s.adminChanges.withdraw(ctx, id));
      const { justification } = await readJsonBody(req, DecisionBody, { emptyAs: {} });
      return json(
        200,
        action === 'approve'
          ? await s.adminChanges.approve(ctx, id, justification)
          : await s.adminChanges.deny(ctx, id, justification),
      );
    }),
  });
}

app.http('adminChangeAlerts', {
  route: apiRoute(ALERTS_ROUTE),
  methods: ['GET'],
  handler: httpHandler(async (req, _context, info) => {
    const ctx = await operationContext(req, info);
    return json(200, { value: await services().adminChanges.breakGlassAlerts(ctx) });
  }),
});
