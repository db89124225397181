// Grant connectors (admins): /v1.0/grantConnectors
//   POST {displayName, roleDefinitionId | groupId, url, secret}  -> 201
//   GET list, GET {id}, DELETE {id}
//   GET /v1.0/grantConnectorAlerts  connectors that gave up on a grant or revoke after all retries
// The target system at `url` receives each grant and revoke of the role (any scope) or group as a
// signed JSON POST with an Idempotency-Key (request id + step). The secret is sealed at rest and
// never returned.
import { app } from '@azure/functions';
import { z } from 'zod';
import { now } from '../shared/clock';
import { ARM_ROLE_DEFINITION, ARM_SCOPE } from '../shared/cloud/arm-targets';
import { apiRoute } from '../shared/http/api-route';
import { badRequest, notFound } from '../shared/http/errors';
import { json, noContent } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import { listAlerts } from '../shared/notify/alerts';
import {
  type ConnectorTarget,
  createConnector,
  deleteConnector,
  getConnector,
  listConnectors,
  viewOf,
} from '../shared/notify/connectors';
import { webhookUrlProblem } from '../shared/notify/urls';
import { registerOperation } from '../shared/openapi/registry';
import { adminHandler } from './notify-admin';

const BASE = 'v1.0/grantConnectors';

const targetFields = {
  displayName: z.string().trim().min(1).max(120),
  roleDefinitionId: z.guid().optional(),
  groupId: z.guid().optional(),
};

export const NewConnector = z
  .union([
    z.strictObject({
      ...targetFields,
      kind: z.literal('webhook').optional(),
      url: z.string().min(1).max(2048),
      secret: z.string().min(16).max(256),
    }),
    z.strictObject({ ...targetFields, kind: z.literal('microsoftGraphGroup'), entraGroupId: z.guid() }),
    z.strictObject({
      ...targetFields,
      kind: z.literal('microsoftGraphDirectoryRole'),
      entraRoleDefinitionId: z.guid().optional(),
    }),
    z.strictObject({
      ...targetFields,
      kind: z.literal('azureRoleAssignment'),
      scope: z
        .string()
        .max(1024)
        .regex(ARM_SCOPE, 'an ARM scope: /subscriptions/{id}[/resourceGroups/{name}[/providers/...]]'),
      azureRoleDefinitionId: z
        .string()
        .max(300)
        .regex(
          ARM_ROLE_DEFINITION,
          'a role definition id: [/subscriptions/{id}]/providers/Microsoft.Authorization/roleDefinitions/{id}',
        ),
    }),
  ])
  .refine((c) => (c.roleDefinitionId === undefined) !== (c.groupId === undefined), {
    message: 'Give exactly one of roleDefinitionId and groupId.',
    path: ['roleDefinitionId'],
  })
  .refine((c) => c.kind !== 'microsoftGraphGroup' || c.groupId !== undefined, {
    message: 'A microsoftGraphGroup connector follows a group: give groupId.',
    path: ['groupId'],
  })
  .refine(
    (c) =>
      (c.kind !== 'microsoftGraphDirectoryRole' && c.kind !== 'azureRoleAssignment') ||
      c.roleDefinitionId !== undefined,
    { message: 'This kind of connector follows a role: give roleDefinitionId.', path: ['roleDefinitionId'] },
  )
  .meta({ id: 'grantConnector_input' });

registerOperation({
  method: 'post',
  path: `/${BASE}`,
  summary:
    'Add a grant connector for a role or group (admins): a webhook, an Entra group or directory role (Microsoft Graph), or an Azure RBAC role assignment',
  tags: ['connectors'],
  requestBody: NewConnector,
  responses: { 201: 'Created (the secret is never returned)', 400: 'Bad input', 403: 'Not an admin' },
});
registerOperation({
  method: 'get',
  path: `/${BASE}`,
  summary: 'Grant connectors (admins)',
  tags: ['connectors'],
  responses: { 200: 'The connectors', 403: 'Not an admin' },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/{id}`,
  summary: 'One grant connector (admins)',
  tags: ['connectors'],
  responses: { 200: 'The connector', 403: 'Not an admin', 404: 'No such connector' },
});
registerOperation({
  method: 'delete',
  path: `/${BASE}/{id}`,
  summary: 'Remove a grant connector (admins); grants already sent still get their revoke only if it exists',
  tags: ['connectors'],
  responses: { 204: 'Removed', 403: 'Not an admin', 404: 'No such connector' },
});
registerOperation({
  method: 'get',
  path: '/v1.0/grantConnectorAlerts',
  summary: 'Connector calls that failed after all retries (admins)',
  tags: ['connectors'],
  responses: { 200: 'The alerts, newest first', 403: 'Not an admin' },
});

const notThere = (id: string) => notFound(`No grant connector with id '${id}'.`);

app.http('grantConnectors', {
  route: apiRoute(BASE),
  methods: ['GET', 'POST'],
  handler: adminHandler(async (req, callerId) => {
    if (req.method === 'GET') return json(200, { value: (await listConnectors()).map(viewOf) });
    const { roleDefinitionId, groupId, ...input } = await readJsonBody(req, NewConnector);
    if (input.kind === undefined || input.kind === 'webhook') {
      const problem = webhookUrlProblem(input.url);
      if (problem) throw badRequest(`Invalid url: ${problem}`, [{ target: 'url', message: problem }]);
    }
    const target: ConnectorTarget = roleDefinitionId
      ? { kind: 'role', roleDefinitionId: roleDefinitionId.toLowerCase() }
      : { kind: 'group', groupId: (groupId ?? '').toLowerCase() };
    const created = await createConnector(
      {
        ...lowerCaseIds(input),
        displayName: input.displayName,
        kind: input.kind ?? 'webhook',
        target,
        createdBy: callerId,
      },
      now(),
    );
    return json(201, viewOf(created));
  }),
});

/** GUIDs compare case-insensitively; stored lower-case like every other id. */
function lowerCaseIds(c: Partial<Record<string, string>>) {
  return {
    ...c,
    ...(c.entraGroupId ? { entraGroupId: c.entraGroupId.toLowerCase() } : {}),
    ...(c.entraRoleDefinitionId ? { entraRoleDefinitionId: c.entraRoleDefinitionId.toLowerCase() } : {}),
  };
}

app.http('grantConnector', {
  route: apiRoute(`${BASE}/{id}`),
  methods: ['GET', 'DELETE'],
  handler: adminHandler(async (req) => {
    const id = req.params.id;
    if (req.method === 'DELETE') {
      if (!(await deleteConnector(id))) throw notThere(id);
      return noContent();
    }
    const connector = await getConnector(id);
    if (!connector) throw notThere(id);
    return json(200, viewOf(connector));
  }),
});

app.http('grantConnectorAlerts', {
  route: apiRoute('v1.0/grantConnectorAlerts'),
  methods: ['GET'],
  handler: adminHandler(async () => json(200, { value: await listAlerts() })),
});
