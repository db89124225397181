// One role management policy, and one of its rules:
//   GET   /v1.0/policies/roleManagementPolicies/{id}                 (rules expanded; any signed-in caller)
//   GET   /v1.0/policies/roleManagementPolicies/{id}/rules           (its rules, as Graph lists them)
//   GET   /v1.0/policies/roleManagementPolicies/{id}/rules/{ruleId}  (one rule)
//   PATCH /v1.0/policies/roleManagementPolicies/{id}/rules/{ruleId}  (admins; If-Match for concurrency)
// Policy ids: DirectoryRole_{roleDefinitionId} and Group_{groupId}_{member|owner}. Lists of policies
// and policy assignments are in policies.ts.
import { app, type HttpRequest } from '@azure/functions';
import { PolicyRule } from '../shared/domain/policy';
import { apiRoute } from '../shared/http/api-route';
import { notFound } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { registerAdminChangeKind } from '../shared/services/admin-changes';
import { ACCEPTED_RESPONSE, breakGlassOf, proposalAccepted } from './admin-change-gate';
import { ifMatchOf, operationContext, readRawBody } from './directory-common';

const POLICY_BASE = 'v1.0/policies/roleManagementPolicies';

// Role settings are under the two-person rule (shared/services/admin-changes.ts). A replay after a
// crash drops the If-Match: the first attempt may have changed the ETag itself, and the patch is
// idempotent (the rule as it is, sent again, writes nothing).
interface RulePatch {
  policyId: string;
  ruleId: string;
  body: unknown;
  ifMatch?: string;
}
type PatchedRule = Awaited<ReturnType<ReturnType<typeof services>['policies']['patchRule']>>;
const RULE_KIND = 'roleManagementPolicyRule.update';
registerAdminChangeKind<RulePatch, PatchedRule>({
  kind: RULE_KIND,
  propose: async (ctx, c) => ({
    description: await services().policies.checkRulePatch(ctx, c.policyId, c.ruleId, c.body),
  }),
  apply: (ctx, c, replay) =>
    services().policies.patchRule(ctx, c.policyId, c.ruleId, c.body, replay?.resumed ? undefined : c.ifMatch),
  showResult: (r) => r.rule,
});

registerOperation({
  method: 'get',
  path: `/${POLICY_BASE}/{id}`,
  summary: 'A role management policy with its rules',
  tags: ['policies'],
  responses: {
    200: { description: 'The policy (ETag header for If-Match)', graph: 'unifiedRoleManagementPolicy' },
    404: 'No such policy',
  },
});
registerOperation({
  method: 'get',
  path: `/${POLICY_BASE}/{id}/rules`,
  summary: "A role management policy's rules",
  tags: ['policies'],
  responses: {
    200: { description: 'The rules', graph: 'unifiedRoleManagementPolicyRule', collection: true },
    404: 'No such policy',
  },
});
registerOperation({
  method: 'get',
  path: `/${POLICY_BASE}/{id}/rules/{ruleId}`,
  summary: 'One rule of a role management policy',
  tags: ['policies'],
  responses: {
    200: {
      description: 'The rule (ETag header of its policy, for If-Match)',
      graph: 'unifiedRoleManagementPolicyRule',
    },
    404: 'No such policy or rule',
  },
});
registerOperation({
  method: 'patch',
  path: `/${POLICY_BASE}/{id}/rules/{ruleId}`,
  summary: 'Change one rule of a policy (admins)',
  tags: ['policies'],
  requestBody: PolicyRule,
  responses: {
    200: { description: 'The rule', graph: 'unifiedRoleManagementPolicyRule' },
    ...ACCEPTED_RESPONSE,
    403: 'Not an admin',
    412: 'Changed since read (If-Match)',
  },
});

app.http('roleManagementPolicyGet', {
  route: apiRoute(`${POLICY_BASE}/{id}`),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const policy = await services().policies.get(ctx, req.params.id);
    return json(200, policy.value, { ETag: policy.etag });
  }),
});

app.http('roleManagementPolicyRules', {
  route: apiRoute(`${POLICY_BASE}/{id}/rules`),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const policy = await services().policies.get(ctx, req.params.id);
    const context = `${req.url.split('/api/')[0]}/api/v1.0/$metadata#policies/roleManagementPolicies('${policy.value.id}')/rules`;
    return json(200, { '@odata.context': context, value: policy.value.rules }, { ETag: policy.etag });
  }),
});

app.http('roleManagementPolicyRule', {
  route: apiRoute(`${POLICY_BASE}/{id}/rules/{ruleId}`),
  methods: ['GET', 'PATCH'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    if (req.method === 'GET') {
      const policy = await services().policies.get(ctx, req.params.id);
      const rule = policy.value.rules.find((r) => r.id.toLowerCase() === req.params.ruleId.toLowerCase());
      if (!rule) throw notFound(`No rule '${req.params.ruleId}' in policy '${policy.value.id}'.`);
      return json(200, rule, { ETag: policy.etag });
    }
    const body = await readRawBody(req);
    const ifMatch = ifMatchOf(req);
    const change: RulePatch = { policyId: req.params.id, ruleId: req.params.ruleId, body };
    if (ifMatch !== undefined) change.ifMatch = ifMatch;
    const out = await services().adminChanges.submit<RulePatch, PatchedRule>(
      ctx,
      RULE_KIND,
      change,
      breakGlassOf(req),
    );
    if ('proposal' in out) return proposalAccepted(req, out.proposal);
    return json(200, out.applied.rule, { ETag: out.applied.etag });
  }),
});
