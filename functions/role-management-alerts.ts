// PIM alerts in the shape of Graph's roleManagementAlerts (a beta API; see docs/API.md), scope `/`,
// type DirectoryRole. Readers (and admins) read; admins configure, refresh, dismiss and remediate.
//   GET   /v1.0/identityGovernance/roleManagementAlerts/alertDefinitions[/{id}]
//   GET   /v1.0/identityGovernance/roleManagementAlerts/alertConfigurations[/{id}], PATCH {id}
//   GET   /v1.0/identityGovernance/roleManagementAlerts/alerts[/{id}], GET alerts/{id}/alertIncidents
//   POST  .../alerts/refresh, .../alerts/{id}/refresh, .../alerts/{id}/dismiss,
//         .../alerts/{id}/alertIncidents/{incidentId}/remediate
// And the timer that evaluates every alert (ALERTS_EVALUATION_SCHEDULE, hourly by default).
import { app, type HttpRequest } from '@azure/functions';
import { z } from 'zod';
import {
  ALERT_TYPES,
  type AlertSettings,
  type AlertType,
  alertIdOf,
  configODataType,
  DEFINITIONS,
  incidentODataType,
  SCOPE_ID,
  SCOPE_TYPE,
} from '../shared/alerts/definitions';
import type { AlertState, StoredIncident } from '../shared/alerts/store';
import { settings as appSettings } from '../shared/config';
import { apiRoute } from '../shared/http/api-route';
import { badRequest } from '../shared/http/errors';
import { httpHandler, json, noContent } from '../shared/http/handler';
import type { FilterFields } from '../shared/http/odata';
import { readJsonBody } from '../shared/http/validation';
import { registerOperation } from '../shared/openapi/registry';
import { services, systemContext } from '../shared/services';
import { registerAdminChangeKind } from '../shared/services/admin-changes';
import { ACCEPTED_RESPONSE, breakGlassOf, proposalAccepted } from './admin-change-gate';
import { collection, listQuery, operationContext, readRawBody } from './directory-common';
import { itemMatches } from './list-filter';

const BASE = 'v1.0/identityGovernance/roleManagementAlerts';
const TAGS = ['alerts'];

const scope = { scopeId: SCOPE_ID, scopeType: SCOPE_TYPE };
const text: FilterFields[string] = { type: 'string', operators: ['eq', 'ne'] };
const FILTER: FilterFields = { scopeId: text, scopeType: text, alertDefinitionId: text, id: text };

// ---- shapes ------------------------------------------------------------------------------------

function definitionView(type: AlertType) {
  const d = DEFINITIONS[type];
  return {
    id: alertIdOf(type),
    ...scope,
    displayName: d.displayName,
    description: d.description,
    severityLevel: d.severityLevel,
    securityImpact: d.securityImpact,
    mitigationSteps: d.mitigationSteps,
    howToPrevent: d.howToPrevent,
    isRemediatable: d.isRemediatable,
    isConfigurable: d.isConfigurable,
  };
}

function configurationView(type: AlertType, s: AlertSettings) {
  return {
    '@odata.type': configODataType(type),
    id: alertIdOf(type),
    alertDefinitionId: alertIdOf(type),
    ...scope,
    ...s[type],
  };
}

function alertView(state: AlertState) {
  return {
    id: alertIdOf(state.type),
    alertDefinitionId: alertIdOf(state.type),
    ...scope,
    isActive: state.isActive,
    incidentCount: state.incidentCount,
    lastModifiedDateTime: state.lastModifiedDateTime,
    lastScannedDateTime: state.lastScannedDateTime,
  };
}

/** Graph's incident: its subtype's properties, with the assignee's names looked up (cached). */
async function incidentView(type: AlertType, i: StoredIncident) {
  const assigneeId = typeof i.props.assigneeId === 'string' ? i.props.assigneeId : undefined;
  const user = assigneeId ? await services().stores.users.get(assigneeId) : undefined;
  const group = assigneeId && !user ? await services().stores.roleManagement.group(assigneeId) : undefined;
  return {
    '@odata.type': incidentODataType(type),
    id: i.id,
    ...i.props,
    ...(assigneeId
      ? {
          assigneeDisplayName: user?.value.displayName ?? group?.value.displayName ?? null,
          assigneeUserPrincipalName: user?.value.userPrincipalName ?? null,
        }
      : {}),
  };
}

// Response bodies (Graph's beta types, which v1.0's metadata lacks), for the OpenAPI document.
const Scoped = { id: z.string(), scopeId: z.literal(SCOPE_ID), scopeType: z.literal(SCOPE_TYPE) };
const AlertBody = z
  .object({
    ...Scoped,
    alertDefinitionId: z.string(),
    isActive: z.boolean(),
    incidentCount: z.number().int(),
    lastModifiedDateTime: z.iso.datetime().nullable(),
    lastScannedDateTime: z.iso.datetime().nullable(),
  })
  .meta({ id: 'unifiedRoleManagementAlert' });
const DefinitionBody = z
  .object({
    ...Scoped,
    displayName: z.string(),
    description: z.string(),
    severityLevel: z.enum(['low', 'medium', 'high']),
    securityImpact: z.string(),
    mitigationSteps: z.string(),
    howToPrevent: z.string(),
    isRemediatable: z.boolean(),
    isConfigurable: z.boolean(),
  })
  .meta({ id: 'unifiedRoleManagementAlertDefinition' });
const ConfigurationBody = z
  .looseObject({
    '@odata.type': z.string(),
    ...Scoped,
    alertDefinitionId: z.string(),
    isEnabled: z.boolean(),
  })
  .meta({ id: 'unifiedRoleManagementAlertConfiguration' });
const IncidentBody = z
  .looseObject({ '@odata.type': z.string(), id: z.string() })
  .meta({ id: 'unifiedRoleManagementAlertIncident' });
const listOf = (item: z.ZodType) => z.object({ value: z.array(item) });

// ---- requests ----------------------------------------------------------------------------------

const RefreshBody = z
  .strictObject({ scopeId: z.literal(SCOPE_ID).optional(), scopeType: z.literal(SCOPE_TYPE).optional() })
  .meta({ id: 'roleManagementAlert_refresh' });

/** Any of the type's settings; the merged whole is validated by the service (400 naming the field). */
const ConfigurationPatch = z
  .looseObject({ isEnabled: z.boolean().optional() })
  .meta({ id: 'unifiedRoleManagementAlertConfiguration_update' });

const READ_RESPONSES = { 401: 'No or bad token', 403: 'Not a reader or admin' } as const;
const ADMIN_RESPONSES = { 401: 'No or bad token', 403: 'Not an admin' } as const;

for (const [path, summary, item] of [
  ['alertDefinitions', 'Alert definitions (readers)', DefinitionBody],
  ['alertConfigurations', 'Alert configurations (readers)', ConfigurationBody],
  ['alerts', 'Alerts (readers)', AlertBody],
] as const) {
  registerOperation({
    method: 'get',
    path: `/${BASE}/${path}`,
    summary,
    tags: TAGS,
    collection: { filter: FILTER, paged: false },
    responses: {
      200: { description: 'The collection', schema: listOf(item) },
      400: 'Bad $filter',
      ...READ_RESPONSES,
    },
  });
}
registerOperation({
  method: 'get',
  path: `/${BASE}/alertDefinitions/{id}`,
  summary: 'One alert definition (readers)',
  tags: TAGS,
  responses: {
    200: { description: 'The definition', schema: DefinitionBody },
    404: 'No such alert',
    ...READ_RESPONSES,
  },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/alertConfigurations/{id}`,
  summary: 'One alert configuration (readers)',
  tags: TAGS,
  responses: {
    200: { description: 'The configuration', schema: ConfigurationBody },
    404: 'No such alert',
    ...READ_RESPONSES,
  },
});
registerOperation({
  method: 'patch',
  path: `/${BASE}/alertConfigurations/{id}`,
  summary: 'Enable, disable or tune an alert (admins)',
  tags: TAGS,
  requestBody: ConfigurationPatch,
  responses: {
    200: { description: 'The configuration', schema: ConfigurationBody },
    ...ACCEPTED_RESPONSE,
    400: 'Bad setting',
    404: 'No such alert',
    ...ADMIN_RESPONSES,
  },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/alerts/{id}`,
  summary: 'One alert (readers)',
  tags: TAGS,
  responses: {
    200: { description: 'The alert', schema: AlertBody },
    404: 'No such alert',
    ...READ_RESPONSES,
  },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/alerts/{id}/alertIncidents`,
  summary: "An alert's incidents (readers)",
  tags: TAGS,
  collection: {},
  responses: {
    200: { description: 'A page of incidents', schema: listOf(IncidentBody) },
    404: 'No such alert',
    ...READ_RESPONSES,
  },
});
registerOperation({
  method: 'post',
  path: `/${BASE}/alerts/refresh`,
  summary: 'Evaluate every alert now (admins)',
  tags: TAGS,
  requestBody: RefreshBody,
  responses: { 204: 'Evaluated', 400: 'Bad body', ...ADMIN_RESPONSES },
});
registerOperation({
  method: 'post',
  path: `/${BASE}/alerts/{id}/refresh`,
  summary: 'Evaluate one alert now (admins)',
  tags: TAGS,
  responses: { 204: 'Evaluated', 404: 'No such alert', ...ADMIN_RESPONSES },
});
registerOperation({
  method: 'post',
  path: `/${BASE}/alerts/{id}/dismiss`,
  summary: 'Dismiss an alert until new incidents appear (admins)',
  tags: TAGS,
  responses: {
    200: { description: 'The alert', schema: AlertBody },
    404: 'No such alert',
    ...ADMIN_RESPONSES,
  },
});
registerOperation({
  method: 'post',
  path: `/${BASE}/alerts/{id}/alertIncidents/{incidentId}/remediate`,
  summary: "Apply an incident's fix through the directory (admins)",
  tags: TAGS,
  responses: {
    204: 'Remediated; the alert was re-evaluated',
    ...ACCEPTED_RESPONSE,
    400: 'Not remediable, or the last administrator would go',
    404: 'No such alert or incident',
    ...ADMIN_RESPONSES,
  },
});

// ---- handlers ----------------------------------------------------------------------------------

const alerts = () => services().alerts;

/** A whole small collection (six items at most), filtered as asked. */
function smallCollection(req: HttpRequest, items: Record<string, unknown>[]) {
  const q = listQuery(req, FILTER);
  return collection(req, q, { items: items.filter((i) => itemMatches(q.filter, i)) }, (i) => i);
}

app.http('roleManagementAlertDefinitions', {
  route: apiRoute(`${BASE}/alertDefinitions`),
  methods: ['GET'],
  handler: httpHandler(async (req, _context, info) => {
    await alerts().requireRead(await operationContext(req, info));
    return smallCollection(req, ALERT_TYPES.map(definitionView));
  }),
});

app.http('roleManagementAlertDefinition', {
  route: apiRoute(`${BASE}/alertDefinitions/{id}`),
  methods: ['GET'],
  handler: httpHandler(async (req, _context, info) => {
    await alerts().requireRead(await operationContext(req, info));
    return json(200, definitionView(alerts().typeOf(req.params.id)));
  }),
});

app.http('roleManagementAlertConfigurations', {
  route: apiRoute(`${BASE}/alertConfigurations`),
  methods: ['GET'],
  handler: httpHandler(async (req, _context, info) => {
    await alerts().requireRead(await operationContext(req, info));
    const s = await alerts().settings();
    return smallCollection(
      req,
      ALERT_TYPES.map((t) => configurationView(t, s)),
    );
  }),
});

// Under the two-person rule (when on), tuning an alert and remediating an incident (which removes
// assignments or changes a role's settings) wait for a second admin, like the changes they make.
const CONFIGURE_KIND = 'roleManagementAlertConfiguration.update';
const REMEDIATE_KIND = 'roleManagementAlertIncident.remediate';

registerAdminChangeKind<{ id: string; patch: Record<string, unknown> }, { configured: string }>({
  kind: CONFIGURE_KIND,
  async propose(ctx, { id, patch }) {
    return {
      description: `Configure alert '${await alerts().checkConfiguration(ctx, id, patch)}': ${JSON.stringify(patch)}`,
    };
  },
  async apply(ctx, { id, patch }) {
    await alerts().configure(ctx, id, patch);
    return { configured: id };
  },
});

registerAdminChangeKind<{ alertId: string; incidentId: string }, { remediated: string }>({
  kind: REMEDIATE_KIND,
  async propose(ctx, { alertId, incidentId }) {
    return { description: await alerts().checkRemediation(ctx, alertId, incidentId) };
  },
  async apply(ctx, { alertId, incidentId }, replay) {
    try {
      await alerts().remediate(ctx, alertId, incidentId);
    } catch (err) {
      // A replay after a crash may find the incident fixed by its first attempt.
      if (!(replay?.resumed && err instanceof Error && err.name === 'NotFoundError')) throw err;
    }
    return { remediated: incidentId };
  },
});

app.http('roleManagementAlertConfiguration', {
  route: apiRoute(`${BASE}/alertConfigurations/{id}`),
  methods: ['GET', 'PATCH'],
  handler: httpHandler(async (req, _context, info) => {
    const ctx = await operationContext(req, info);
    if (req.method === 'PATCH') {
      const body = (await readRawBody(req)) as unknown;
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        throw badRequest('The body must be a JSON object.', [{ target: 'body', message: 'not an object' }]);
      const patch = { ...(body as Record<string, unknown>) };
      // Graph's read-only properties, sent back from a GET, are ignored.
      for (const k of ['@odata.type', '@odata.context', 'id', 'alertDefinitionId', 'scopeId', 'scopeType'])
        delete patch[k];
      const change = { id: req.params.id, patch };
      const out = await services().adminChanges.submit(ctx, CONFIGURE_KIND, change, breakGlassOf(req));
      if ('proposal' in out) return proposalAccepted(req, out.proposal);
    } else await alerts().requireRead(ctx);
    const type = alerts().typeOf(req.params.id);
    return json(200, configurationView(type, await alerts().settings()));
  }),
});

app.http('roleManagementAlerts', {
  route: apiRoute(`${BASE}/alerts`),
  methods: ['GET'],
  handler: httpHandler(async (req, _context, info) => {
    await alerts().requireRead(await operationContext(req, info));
    const states = await alerts().states();
    return smallCollection(req, [...states.values()].map(alertView));
  }),
});

app.http('roleManagementAlert', {
  route: apiRoute(`${BASE}/alerts/{id}`),
  methods: ['GET'],
  handler: httpHandler(async (req, _context, info) => {
    await alerts().requireRead(await operationContext(req, info));
    const type = alerts().typeOf(req.params.id);
    return json(200, alertView((await alerts().store.state(type)).state));
  }),
});

app.http('roleManagementAlertIncidents', {
  route: apiRoute(`${BASE}/alerts/{id}/alertIncidents`),
  methods: ['GET'],
  handler: httpHandler(async (req, _context, info) => {
    await alerts().requireRead(await operationContext(req, info));
    const type = alerts().typeOf(req.params.id);
    const q = listQuery(req);
    const page = await alerts().store.incidentPage(type, q.page);
    const items = await Promise.all(page.items.map((i) => incidentView(type, i)));
    return collection(req, q, { ...page, items }, (i) => i);
  }),
});

app.http('roleManagementAlertsRefresh', {
  route: apiRoute(`${BASE}/alerts/refresh`),
  methods: ['POST'],
  handler: httpHandler(async (req, _context, info) => {
    const ctx = await operationContext(req, info);
    await alerts().requireManage(ctx);
    await readJsonBody(req, RefreshBody, { emptyAs: {} });
    await alerts().evaluate(ctx);
    return noContent();
  }),
});

app.http('roleManagementAlertRefresh', {
  route: apiRoute(`${BASE}/alerts/{id}/refresh`),
  methods: ['POST'],
  handler: httpHandler(async (req, _context, info) => {
    const ctx = await operationContext(req, info);
    await alerts().requireManage(ctx);
    await alerts().evaluate(ctx, [alerts().typeOf(req.params.id)]);
    return noContent();
  }),
});

app.http('roleManagementAlertDismiss', {
  route: apiRoute(`${BASE}/alerts/{id}/dismiss`),
  methods: ['POST'],
  handler: httpHandler(async (req, _context, info) => {
    const ctx = await operationContext(req, info);
    return json(200, alertView(await alerts().dismiss(ctx, req.params.id)));
  }),
});

app.http('roleManagementAlertIncidentRemediate', {
  route: apiRoute(`${BASE}/alerts/{id}/alertIncidents/{incidentId}/remediate`),
  methods: ['POST'],
  handler: httpHandler(async (req, _context, info) => {
    const ctx = await operationContext(req, info);
    const change = { alertId: req.params.id, incidentId: req.params.incidentId };
    const out = await services().adminChanges.submit(ctx, REMEDIATE_KIND, change, breakGlassOf(req));
    return 'proposal' in out ? proposalAccepted(req, out.proposal) : noContent();
  }),
});

// Evaluates every alert on the configured schedule (Azure's six-field NCRONTAB; hourly by default).
app.timer('roleManagementAlertsEvaluation', {
  schedule: appSettings().ALERTS_EVALUATION_SCHEDULE,
  handler: async () => {
    await alerts().evaluate(systemContext('PIM alerts'));
  },
});
