// POST /api/v1.0/access/check {principalId?, action, scope}: may P do A on S now? Exact to the
// second: an activation past its end is denied even before its revoke has run.
import { app, type HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { authenticate } from '../shared/auth/authenticate';
import { now } from '../shared/clock';
import { apiRoute } from '../shared/http/api-route';
import { forbidden } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';

export const AccessCheckBody = z
  .strictObject({
    principalId: z.string().min(1).max(128).optional(),
    action: z.string().min(1).max(400),
    scope: z.string().min(1).max(400).default('/'),
  })
  .meta({ id: 'accessCheck_input' });

registerOperation({
  method: 'post',
  path: '/v1.0/access/check',
  summary: 'May a principal do an action on a scope now?',
  tags: ['access'],
  requestBody: AccessCheckBody,
  responses: {
    200: 'The decision and the grants behind it',
    403: 'Asking about someone else needs a reader role',
  },
});

app.http('accessCheck', {
  route: apiRoute('v1.0/access/check'),
  methods: ['POST'],
  handler: httpHandler(async (req: HttpRequest) => {
    const caller = await authenticate(req);
    const body = await readJsonBody(req, AccessCheckBody);
    const at = now();
    const principalId = (body.principalId ?? caller.id).toLowerCase();
    const access = services().access;
    if (principalId !== caller.id && !(await access.canRead(caller.id, at))) {
      throw forbidden('Checking access of another principal needs a reader role.');
    }
    const decision = await access.check(principalId, body.action, body.scope, at);
    return json(200, {
      allowed: decision.allowed,
      evaluatedDateTime: at.toISOString(),
      principalId,
      action: body.action,
      scope: body.scope,
      grants: decision.grants,
    });
  }),
});
