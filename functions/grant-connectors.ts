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
import { NotFoundError, ValidationError } from '../shared/domain/errors';
import { apiRoute } from '../shared/http/api-route';
import { notFound } from '../shared/http/errors';
import { json, noContent } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import { listAlerts } from '../shared/notify/alerts';
import {
  type Connector,
  type ConnectorTarget,
  createConnector,
  deleteConnector,
  getConnector,
  listConnectors,
  viewOf,
} from '../shared/notify/connectors';
import { openSecret, sealSecret } from '../shared/notify/secrets';
import { webhookUrlProblem } from '../shared/notify/urls';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { registerAdminChangeKind } from '../shared/services/admin-changes';
import { validationError } from '../shared/services/validation';
import { ACCEPTED_RESPONSE, breakGlassOf, proposalAccepted } from './admin-change-gate';
import { operationContext } from './directory-common';
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
  responses: {
    201: 'Created (the secret is never returned)',
    ...ACCEPTED_RESPONSE,
    400: 'Bad input',
    403: 'Not an admin',
  },
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
  responses: { 204: 'Removed', ...ACCEPTED_RESPONSE, 403: 'Not an admin', 404: 'No such connector' },
});
registerOperation({
  method: 'get',
  path: '/v1.0/grantConnectorAlerts',
  summary: 'Connector calls that failed after all retries (admins)',
  tags: ['connectors'],
  responses: { 200: 'The alerts, newest first', 403: 'Not an admin' },
});

const notThere = (id: string) => notFound(`No grant connector with id '${id}'.`);

// Connectors are under the two-person rule (shared/services/admin-changes.ts): a proposal keeps
// the new connector's secret sealed under its own id, and a replay creates the connector under the
// proposal's id (so a replay after a crash finds it) or finds it already deleted.
type NewConnector = z.infer<typeof NewConnector>;
const CREATE_KIND = 'grantConnector.create';
const DELETE_KIND = 'grantConnector.delete';
const proposalSecretContext = (proposalId: string) => `proposal-secret:${proposalId}`;

function checkUrl(input: NewConnector): void {
  if (input.kind === undefined || input.kind === 'webhook') {
    const problem = webhookUrlProblem(input.url);
    if (problem) throw new ValidationError(`Invalid url: ${problem}`, [{ target: 'url', message: problem }]);
  }
}

function describe(input: NewConnector): string {
  const target = input.roleDefinitionId ? `role ${input.roleDefinitionId}` : `group ${input.groupId ?? ''}`;
  return `Add grant connector '${input.displayName}' (${input.kind ?? 'webhook'}) for ${target}`;
}

registerAdminChangeKind<NewConnector, Connector>({
  kind: CREATE_KIND,
  async propose(_ctx, input, proposalId) {
    checkUrl(input);
    const stored =
      'secret' in input
        ? { ...input, secret: sealSecret(input.secret, proposalSecretContext(proposalId)) }
        : input;
    return { description: describe(input), stored };
  },
  async apply(ctx, stored, replay) {
    if (replay) {
      await services().access.requireManage(ctx, now());
      const existing = await getConnector(replay.proposalId);
      if (existing) return existing;
    }
    const plain =
      replay && 'secret' in stored
        ? { ...stored, secret: openSecret(stored.secret, proposalSecretContext(replay.proposalId)) }
        : stored;
    const parsed = NewConnector.safeParse(plain);
    if (!parsed.success) throw validationError(parsed.error);
    checkUrl(parsed.data);
    const { roleDefinitionId, groupId, ...input } = parsed.data;
    const target: ConnectorTarget = roleDefinitionId
      ? { kind: 'role', roleDefinitionId: roleDefinitionId.toLowerCase() }
      : { kind: 'group', groupId: (groupId ?? '').toLowerCase() };
    const create = () =>
      createConnector(
        {
          ...lowerCaseIds(input),
          displayName: input.displayName,
          kind: input.kind ?? 'webhook',
          target,
          createdBy: ctx.actor.kind === 'user' ? ctx.actor.id : 'system',
        },
        now(),
        replay?.proposalId,
      );
    if (!replay) return create();
    try {
      return await create();
    } catch (err) {
      // Another replay made it meanwhile (same id): that one counts.
      const meanwhile = await getConnector(replay.proposalId);
      if (meanwhile) return meanwhile;
      throw err;
    }
  },
  show: (stored) => {
    const { secret: _secret, ...rest } = stored as { secret?: string };
    return rest;
  },
  showResult: viewOf,
});

registerAdminChangeKind<{ id: string }, { deleted: string }>({
  kind: DELETE_KIND,
  async propose(_ctx, { id }) {
    const connector = await getConnector(id);
    if (!connector) throw new NotFoundError(`No grant connector with id '${id}'.`);
    return {
      description: `Remove grant connector '${connector.displayName}' (${connector.kind})`,
      stored: { id: connector.id },
    };
  },
  async apply(ctx, { id }, replay) {
    if (replay) await services().access.requireManage(ctx, now());
    // A replay after a crash may find it deleted by its first attempt.
    if (!(await deleteConnector(id)) && !replay?.resumed)
      throw new NotFoundError(`No grant connector with id '${id}'.`);
    return { deleted: id };
  },
});

app.http('grantConnectors', {
  route: apiRoute(BASE),
  methods: ['GET', 'POST'],
  handler: adminHandler(async (req, _callerId, _context, info) => {
    if (req.method === 'GET') return json(200, { value: (await listConnectors()).map(viewOf) });
    const input = await readJsonBody(req, NewConnector);
    const ctx = await operationContext(req, info);
    const out = await services().adminChanges.submit<NewConnector, Connector>(
      ctx,
      CREATE_KIND,
      input,
      breakGlassOf(req),
    );
    return 'proposal' in out ? proposalAccepted(req, out.proposal) : json(201, viewOf(out.applied));
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
  handler: adminHandler(async (req, _callerId, _context, info) => {
    const id = req.params.id;
    if (req.method === 'DELETE') {
      const ctx = await operationContext(req, info);
      const out = await services().adminChanges.submit(ctx, DELETE_KIND, { id }, breakGlassOf(req));
      return 'proposal' in out ? proposalAccepted(req, out.proposal) : noContent();
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
