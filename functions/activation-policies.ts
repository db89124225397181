// Activation policies and the caller's eligibilities:
//   GET   /v1.0/policies/roleManagementPolicies/{id}                 (rules expanded)
//   PATCH /v1.0/policies/roleManagementPolicies/{id}/rules/{ruleId}  (admins; If-Match for concurrency)
//   GET   /v1.0/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')
//   GET   /v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances/filterByCurrentUser(on='principal')
// Policy ids: DirectoryRole_{roleDefinitionId} and Group_{groupId}_{member|owner}.
import { app, type HttpRequest } from '@azure/functions';
import { listEligibility } from '../shared/activation/assignments-repo';
import { isAdmin, isReader } from '../shared/activation/effective-access';
import { getPolicy, PolicyConflictError, PolicyRule, putRule } from '../shared/activation/policies';
import type { Target } from '../shared/activation/targets';
import { authenticate } from '../shared/auth/authenticate';
import { now } from '../shared/clock';
import { badRequest, forbidden, notFound, preconditionFailed } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import { registerOperation } from '../shared/openapi/registry';

const POLICY_BASE = 'v1.0/policies/roleManagementPolicies';

function targetOf(policyId: string): Target {
  const role = /^DirectoryRole_([\w-]{1,64})$/.exec(policyId);
  if (role) return { kind: 'role', roleDefinitionId: role[1], directoryScopeId: '/' };
  const group = /^Group_([\w-]{1,64})_(member|owner)$/.exec(policyId);
  if (group) return { kind: 'group', groupId: group[1], accessId: group[2] as 'member' | 'owner' };
  throw notFound(`No policy with id '${policyId}'.`);
}

registerOperation({
  method: 'get',
  path: `/${POLICY_BASE}/{id}`,
  summary: 'A role management policy with its rules',
  tags: ['policies'],
  responses: { 200: 'The policy' },
});
registerOperation({
  method: 'patch',
  path: `/${POLICY_BASE}/{id}/rules/{ruleId}`,
  summary: 'Replace one rule of a policy (admins)',
  tags: ['policies'],
  requestBody: PolicyRule,
  responses: { 200: 'The rule', 403: 'Not an admin', 412: 'Changed since read (If-Match)' },
});

app.http('roleManagementPolicyGet', {
  route: `${POLICY_BASE}/{id}`,
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest) => {
    const caller = await authenticate(req);
    const target = targetOf(req.params.id);
    if (!(await isReader(caller.id, now())) && !(await listEligibility(caller.id)).length) {
      throw forbidden('Reading policies needs a reader role or an eligibility.');
    }
    const policy = await getPolicy(target);
    const { etag, ...body } = policy;
    return json(200, body, etag ? { ETag: etag } : {});
  }),
});

app.http('roleManagementPolicyRulePatch', {
  route: `${POLICY_BASE}/{id}/rules/{ruleId}`,
  methods: ['PATCH'],
  handler: httpHandler(async (req: HttpRequest) => {
    const caller = await authenticate(req);
    if (!(await isAdmin(caller.id, now())))
      throw forbidden('Changing policies needs Privileged Role Administrator or Global Administrator.');
    const target = targetOf(req.params.id);
    const rule = await readJsonBody(req, PolicyRule);
    if (rule.id !== req.params.ruleId)
      throw badRequest('The rule id in the body must match the path.', [
        { target: 'id', message: `Expected '${req.params.ruleId}'.` },
      ]);
    const current = await getPolicy(target);
    if (!current.rules.some((r) => r.id === rule.id && r['@odata.type'] === rule['@odata.type']))
      throw notFound(`The policy has no rule '${rule.id}' of that type.`);
    try {
      const updated = await putRule(
        target,
        rule,
        now().toISOString(),
        req.headers.get('if-match') ?? undefined,
      );
      return json(
        200,
        updated.rules.find((r) => r.id === rule.id),
        updated.etag ? { ETag: updated.etag } : {},
      );
    } catch (err) {
      if (err instanceof PolicyConflictError) throw preconditionFailed(err.message);
      throw err;
    }
  }),
});

function eligibilityInstances(kind: 'role' | 'group', route: string, name: string) {
  registerOperation({
    method: 'get',
    path: `/${route}`,
    summary: `The caller's ${kind} eligibilities`,
    tags: ['eligibility'],
    responses: { 200: 'Eligibility schedule instances' },
  });
  app.http(name, {
    route,
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest) => {
      const caller = await authenticate(req);
      const rows = (await listEligibility(caller.id)).filter((e) => e.target.kind === kind);
      const value = rows.map((e) => ({
        id: `${caller.id}_${e.target.kind === 'role' ? e.target.roleDefinitionId : `${e.target.groupId}_${e.target.accessId}`}`,
        principalId: caller.id,
        ...(e.target.kind === 'role'
          ? { roleDefinitionId: e.target.roleDefinitionId, directoryScopeId: e.target.directoryScopeId }
          : { groupId: e.target.groupId, accessId: e.target.accessId }),
        startDateTime: e.startDateTime,
        endDateTime: e.endDateTime,
        memberType: 'Direct',
      }));
      return json(200, { value });
    }),
  });
}

eligibilityInstances(
  'role',
  "v1.0/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')",
  'myRoleEligibilities',
);
eligibilityInstances(
  'group',
  "v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances/filterByCurrentUser(on='principal')",
  'myGroupEligibilities',
);
