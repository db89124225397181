// Outgoing webhooks (admins): /v1.0/notificationSubscriptions
//   POST {url, events[], secret, format?: "json"|"teams"|"slack", approvalActions?, description?}  -> 201
//   GET list, GET {id}, PATCH {id} (any of the same fields), DELETE {id}
// Each matching notice is POSTed as JSON signed like the approval webhook (X-Jit-Timestamp,
// X-Jit-Signature), retried with back-off, each delivery and failure audited. URL and secret are
// sealed at rest and never returned (the URL shows as its origin).
import { app } from '@azure/functions';
import { z } from 'zod';
import { now } from '../shared/clock';
import { apiRoute } from '../shared/http/api-route';
import { badRequest, notFound } from '../shared/http/errors';
import { json, noContent } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import { NOTICE_EVENTS, type NoticeEvent } from '../shared/notify/notifier';
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  replaceSubscription,
  viewOf,
} from '../shared/notify/subscriptions';
import { chatHostProblem, webhookUrlProblem } from '../shared/notify/urls';
import { registerOperation } from '../shared/openapi/registry';
import { adminHandler } from './notify-admin';

const BASE = 'v1.0/notificationSubscriptions';

const Fields = {
  url: z.string().min(1).max(2048),
  events: z
    .array(z.enum(NOTICE_EVENTS as [NoticeEvent, ...NoticeEvent[]]))
    .min(1)
    .max(NOTICE_EVENTS.length),
  secret: z.string().min(16).max(256),
  format: z.enum(['json', 'teams', 'slack']),
  approvalActions: z.boolean(),
  description: z.string().max(200).nullish(),
};

export const NewSubscription = z
  .strictObject({
    ...Fields,
    format: Fields.format.default('json'),
    approvalActions: Fields.approvalActions.default(false),
  })
  .meta({ id: 'notificationSubscription_input' });
export const SubscriptionChanges = z
  .strictObject({
    url: Fields.url.optional(),
    events: Fields.events.optional(),
    secret: Fields.secret.optional(),
    format: Fields.format.optional(),
    approvalActions: Fields.approvalActions.optional(),
    description: Fields.description,
  })
  .meta({ id: 'notificationSubscription_update' });

function checkUrl(url: string | undefined): void {
  const problem = url === undefined ? undefined : webhookUrlProblem(url);
  if (problem) throw badRequest(`Invalid url: ${problem}`, [{ target: 'url', message: problem }]);
}

/** Approve and Deny actions exist only in the chat formats (an Adaptive Card, Slack's buttons). */
function checkActions(format: string, approvalActions: boolean, url: string): void {
  if (approvalActions && format === 'json')
    throw badRequest('approvalActions needs format teams or slack.', [
      { target: 'approvalActions', message: 'Only the teams and slack formats carry actions.' },
    ]);
  const problem = approvalActions ? chatHostProblem(format, url) : undefined;
  if (problem) throw badRequest(`Invalid url: ${problem}`, [{ target: 'url', message: problem }]);
}

const notThere = (id: string) => notFound(`No notification subscription with id '${id}'.`);

registerOperation({
  method: 'post',
  path: `/${BASE}`,
  summary: 'Subscribe a webhook to notices (admins)',
  tags: ['notifications'],
  requestBody: NewSubscription,
  responses: {
    201: 'Created (secret and full URL are never returned)',
    400: 'Bad input',
    403: 'Not an admin',
  },
});
registerOperation({
  method: 'get',
  path: `/${BASE}`,
  summary: 'Webhook subscriptions (admins)',
  tags: ['notifications'],
  responses: { 200: 'The subscriptions', 403: 'Not an admin' },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/{id}`,
  summary: 'One webhook subscription (admins)',
  tags: ['notifications'],
  responses: { 200: 'The subscription', 403: 'Not an admin', 404: 'No such subscription' },
});
registerOperation({
  method: 'patch',
  path: `/${BASE}/{id}`,
  summary: 'Change a webhook subscription (admins)',
  tags: ['notifications'],
  requestBody: SubscriptionChanges,
  responses: { 200: 'Changed', 400: 'Bad input', 403: 'Not an admin', 404: 'No such subscription' },
});
registerOperation({
  method: 'delete',
  path: `/${BASE}/{id}`,
  summary: 'Remove a webhook subscription (admins)',
  tags: ['notifications'],
  responses: { 204: 'Removed', 403: 'Not an admin', 404: 'No such subscription' },
});

app.http('notificationSubscriptions', {
  route: apiRoute(BASE),
  methods: ['GET', 'POST'],
  handler: adminHandler(async (req, callerId) => {
    if (req.method === 'GET') return json(200, { value: (await listSubscriptions()).map(viewOf) });
    const input = await readJsonBody(req, NewSubscription);
    checkUrl(input.url);
    checkActions(input.format, input.approvalActions, input.url);
    const created = await createSubscription(
      {
        url: input.url,
        secret: input.secret,
        events: [...new Set(input.events)],
        format: input.format,
        approvalActions: input.approvalActions,
        description: input.description ?? null,
        createdBy: callerId,
      },
      now(),
    );
    return json(201, viewOf(created));
  }),
});

app.http('notificationSubscription', {
  route: apiRoute(`${BASE}/{id}`),
  methods: ['GET', 'PATCH', 'DELETE'],
  handler: adminHandler(async (req) => {
    const id = req.params.id;
    if (req.method === 'DELETE') {
      if (!(await deleteSubscription(id))) throw notThere(id);
      return noContent();
    }
    const current = await getSubscription(id);
    if (!current) throw notThere(id);
    if (req.method === 'GET') return json(200, viewOf(current));
    const changes = await readJsonBody(req, SubscriptionChanges);
    checkUrl(changes.url);
    const next = {
      ...current,
      url: changes.url ?? current.url,
      secret: changes.secret ?? current.secret,
      events: changes.events ? [...new Set(changes.events)] : current.events,
      format: changes.format ?? current.format,
      approvalActions: changes.approvalActions ?? current.approvalActions,
      description: changes.description === undefined ? current.description : changes.description,
    };
    checkActions(next.format, next.approvalActions, next.url);
    await replaceSubscription(next);
    return json(200, viewOf(next));
  }),
});
