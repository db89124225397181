// GET /api/openapi.json (anonymous): OpenAPI 3.1 rendered from the operations that endpoint
// modules registered with their zod schemas at load time.
import { app } from '@azure/functions';
import { z } from 'zod';
import { settings } from '../shared/config';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';
import { renderOpenApi } from '../shared/openapi/render';

registerOperation({
  method: 'get',
  path: '/openapi.json',
  summary: 'This OpenAPI document',
  anonymous: true,
  responses: { 200: { description: 'OpenAPI 3.1', schema: z.looseObject({ openapi: z.string() }) } },
});

app.http('openapi', {
  route: apiRoute('openapi.json'),
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async () =>
    json(200, renderOpenApi({ title: 'JIT Access', version: settings().APP_VERSION })),
  ),
});
