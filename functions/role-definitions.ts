// Directory role definitions (built-ins and custom roles):
//   GET    /v1.0/roleManagement/directory/roleDefinitions        any signed-in caller
//   GET    /v1.0/roleManagement/directory/roleDefinitions/{id}   any signed-in caller (ETag)
//   POST   /v1.0/roleManagement/directory/roleDefinitions        admins
//   PATCH  /v1.0/roleManagement/directory/roleDefinitions/{id}   admins; If-Match -> 412 when stale
//   DELETE /v1.0/roleManagement/directory/roleDefinitions/{id}   admins; custom roles not in use

import { app, type HttpRequest } from '@azure/functions';
import {
  CreateRoleDefinitionInput,
  toGraphRoleDefinition,
  UpdateRoleDefinitionInput,
} from '../shared/domain/roles';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json, noContent } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { expandedCollection, ifMatchOf, listQuery, operationContext, readRawBody } from './directory-common';

const BASE = 'v1.0/roleManagement/directory/roleDefinitions';

const etagHeader = (etag: string | undefined): Record<string, string> => (etag ? { ETag: etag } : {});

registerOperation({
  method: 'get',
  path: `/${BASE}`,
  summary: 'List role definitions',
  tags: ['roleDefinitions'],
  collection: { count: true },
  responses: {
    200: { description: 'A page of role definitions', graph: 'unifiedRoleDefinition', collection: true },
  },
});
registerOperation({
  method: 'post',
  path: `/${BASE}`,
  requestBody: CreateRoleDefinitionInput,
  summary: 'Create a custom role definition (admins)',
  tags: ['roleDefinitions'],
  responses: {
    201: { description: 'The role', graph: 'unifiedRoleDefinition' },
    400: 'Invalid body',
    403: 'Not an admin',
    409: 'Name taken',
  },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/{id}`,
  summary: 'Get a role definition',
  tags: ['roleDefinitions'],
  responses: { 200: { description: 'The role', graph: 'unifiedRoleDefinition' }, 404: 'No such role' },
});
registerOperation({
  method: 'patch',
  path: `/${BASE}/{id}`,
  requestBody: UpdateRoleDefinitionInput,
  summary: 'Update a custom role definition (admins; If-Match)',
  tags: ['roleDefinitions'],
  responses: {
    200: { description: 'The role', graph: 'unifiedRoleDefinition' },
    403: 'Not an admin',
    412: 'Changed since read (If-Match)',
  },
});
registerOperation({
  method: 'delete',
  path: `/${BASE}/{id}`,
  summary: 'Delete a custom role definition that is not assigned (admins)',
  tags: ['roleDefinitions'],
  responses: { 204: 'Deleted', 403: 'Not an admin', 409: 'Still assigned' },
});

app.http('roleDefinitions', {
  route: apiRoute(BASE),
  methods: ['GET', 'POST'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    if (req.method === 'POST') {
      const body = await readRawBody(req);
      const created = await services().roleDefinitions.create(ctx, body);
      return json(201, toGraphRoleDefinition(created.value), etagHeader(created.etag));
    }
    const q = listQuery(req, undefined, { countable: true, graphType: 'unifiedRoleDefinition' });
    return expandedCollection(
      req,
      ctx,
      q,
      (page) => services().roleDefinitions.list(ctx, page),
      toGraphRoleDefinition,
    );
  }),
});

app.http('roleDefinitionItem', {
  route: apiRoute(`${BASE}/{id}`),
  methods: ['GET', 'PATCH', 'DELETE'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const id = req.params.id;
    const roles = services().roleDefinitions;
    if (req.method === 'PATCH') {
      const body = await readRawBody(req);
      const updated = await roles.update(ctx, id, body, ifMatchOf(req));
      return json(200, toGraphRoleDefinition(updated.value), etagHeader(updated.etag));
    }
    if (req.method === 'DELETE') {
      await roles.delete(ctx, id, ifMatchOf(req));
      return noContent();
    }
    const view = await roles.get(ctx, id);
    return json(200, toGraphRoleDefinition(view.value), etagHeader(view.etag));
  }),
});
