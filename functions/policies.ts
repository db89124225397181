// Policy queries (GET one policy and PATCH a rule live in activation-policies.ts):
//   GET /v1.0/policies/roleManagementPolicies?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'
//   GET /v1.0/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'
//       [and roleDefinitionId eq '{id}']   (or scopeType eq 'Group' and scopeId eq '{groupId}')
import { app, type HttpRequest } from '@azure/functions';
import { apiRoute } from '../shared/http/api-route';
import { badRequest } from '../shared/http/errors';
import { httpHandler } from '../shared/http/handler';
import type { FilterFields } from '../shared/http/odata';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import type { PolicyScope } from '../shared/services/policies';
import { collection, eqValues, listQuery, operationContext } from './directory-common';

const eq = { type: 'string', operators: ['eq'] } as const;
const SCOPE_TYPES = ['Directory', 'DirectoryRole', 'Group'] as const;
const POLICY_FILTER: FilterFields = {
  scopeId: eq,
  scopeType: { type: 'string', operators: ['eq'], enum: SCOPE_TYPES },
};
const ASSIGNMENT_FILTER: FilterFields = { ...POLICY_FILTER, roleDefinitionId: eq };

/** Graph requires scopeId and scopeType; without them, the directory's role policies. */
function scopeOf(values: Record<string, string>): PolicyScope {
  const scopeType = SCOPE_TYPES.find(
    (t) => t.toLowerCase() === (values.scopeType ?? 'DirectoryRole').toLowerCase(),
  );
  if (!scopeType)
    throw badRequest(`scopeType must be one of ${SCOPE_TYPES.join(', ')}.`, [
      { target: '$filter', message: 'scopeType' },
    ]);
  const scopeId = values.scopeId ?? (scopeType === 'Group' ? undefined : '/');
  if (scopeId === undefined)
    throw badRequest("A Group scope needs scopeId eq '{groupId}'.", [
      { target: '$filter', message: 'scopeId' },
    ]);
  return { scopeId, scopeType };
}

registerOperation({
  method: 'get',
  path: '/v1.0/policies/roleManagementPolicies',
  summary: 'List role management policies of a scope',
  tags: ['policies'],
  responses: {
    200: { description: 'A page of policies', graph: 'unifiedRoleManagementPolicy', collection: true },
    400: 'Unsupported $filter',
  },
});
registerOperation({
  method: 'get',
  path: '/v1.0/policies/roleManagementPolicyAssignments',
  summary: 'List policy assignments of a scope (optionally one role or accessId)',
  tags: ['policies'],
  responses: {
    200: {
      description: 'A page of policy assignments',
      graph: 'unifiedRoleManagementPolicyAssignment',
      collection: true,
    },
    400: 'Unsupported $filter',
  },
});

app.http('roleManagementPolicies', {
  route: apiRoute('v1.0/policies/roleManagementPolicies'),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const q = listQuery(req, POLICY_FILTER);
    const scope = scopeOf(eqValues(q.filter));
    return collection(req, q, await services().policies.list(ctx, scope, q.page), (p) => p);
  }),
});

app.http('roleManagementPolicyAssignments', {
  route: apiRoute('v1.0/policies/roleManagementPolicyAssignments'),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const q = listQuery(req, ASSIGNMENT_FILTER);
    const values = eqValues(q.filter);
    const scope = { ...scopeOf(values), roleDefinitionId: values.roleDefinitionId };
    return collection(req, q, await services().policies.listAssignments(ctx, scope, q.page), (a) => a);
  }),
});
