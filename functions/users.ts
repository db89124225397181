// Users the service knows (created from token claims on a first call, or registered by an admin
// ahead of it so they can be made eligible before they ever sign in):
//   GET  /v1.0/users        any signed-in caller ($top, $skiptoken)
//   GET  /v1.0/users/{id}   any signed-in caller
//   POST /v1.0/users        admins: {id (the person's object id, the token's oid), displayName, userPrincipalName, jobTitle?}

import { app, type HttpRequest } from '@azure/functions';
import { CreateUserInput, toGraphUser } from '../shared/domain/users';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { expandedCollection, listQuery, operationContext, readRawBody } from './directory-common';

const BASE = 'v1.0/users';

registerOperation({
  method: 'get',
  path: `/${BASE}`,
  summary: 'List users',
  tags: ['users'],
  collection: { count: true },
  responses: { 200: { description: 'A page of users', graph: 'user', collection: true } },
});
registerOperation({
  method: 'post',
  path: `/${BASE}`,
  summary: 'Register a user ahead of their first sign-in (admins)',
  tags: ['users'],
  requestBody: CreateUserInput,
  responses: { 201: { description: 'The user', graph: 'user' }, 403: 'Not an admin', 409: 'Already known' },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/{id}`,
  summary: 'Get a user',
  tags: ['users'],
  responses: { 200: { description: 'The user', graph: 'user' }, 404: 'No such user' },
});

app.http('users', {
  route: apiRoute(BASE),
  methods: ['GET', 'POST'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    if (req.method === 'POST')
      return json(201, toGraphUser(await services().users.create(ctx, await readRawBody(req))));
    const q = listQuery(req, undefined, { countable: true, graphType: 'user' });
    return expandedCollection(req, ctx, q, (page) => services().users.list(ctx, page), toGraphUser);
  }),
});

app.http('user', {
  route: apiRoute(`${BASE}/{id}`),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    return json(200, toGraphUser(await services().users.get(ctx, req.params.id)));
  }),
});
