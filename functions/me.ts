// GET /api/v1.0/me: the signed-in user, in Graph's user shape. The smallest authenticated
// endpoint: it shows sign-in working end to end without any directory data.

import { app } from '@azure/functions';
import { authenticate } from '../shared/auth/authenticate';
import { toGraphUser } from '../shared/domain/users';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';

registerOperation({
  method: 'get',
  path: '/v1.0/me',
  summary: 'The signed-in user',
  tags: ['me'],
  responses: { 200: { description: 'The caller, from the access token.', graph: 'user' } },
});

app.http('me', {
  route: apiRoute('v1.0/me'),
  methods: ['GET'],
  authLevel: 'anonymous', // the bearer token is checked by authenticate(), not by function keys
  handler: httpHandler(async (req) => {
    const caller = await authenticate(req);
    return json(
      200,
      toGraphUser({ id: caller.id, displayName: caller.name, userPrincipalName: caller.username }),
    );
  }),
});
