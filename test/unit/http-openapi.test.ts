import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ciEnum, parseOrThrow } from '../../shared/http/validation';
import { registerOperation } from '../../shared/openapi/registry';
import { renderOpenApi } from '../../shared/openapi/render';

// Shapes like part B's, defined once and used both to validate and to document.
const TicketInfo = z
  .object({ ticketNumber: z.string().optional(), ticketSystem: z.string().optional() })
  .meta({
    id: 'microsoft.graph.ticketInfo',
  });
const ScheduleRequest = z
  .object({
    action: ciEnum(['selfActivate', 'adminAssign']),
    principalId: z.string(),
    justification: z.string().max(500).optional(),
    ticketInfo: TicketInfo.optional(),
    isValidationOnly: z.boolean().default(false),
  })
  .meta({ id: 'test.scheduleRequest' });
const ScheduleRequestList = z.object({ value: z.array(ScheduleRequest) });

registerOperation({
  method: 'post',
  path: '/v1.0/test/scheduleRequests',
  summary: 'Create a request',
  requestBody: ScheduleRequest,
  responses: { 201: { description: 'Created', schema: ScheduleRequest }, 400: 'Bad request' },
});
registerOperation({
  method: 'get',
  path: '/v1.0/test/scheduleRequests',
  summary: 'List requests',
  collection: { filter: { principalId: { type: 'string', operators: ['eq'] } } },
  query: z.object({ format: z.enum(['csv', 'jsonl']).optional(), since: z.string() }),
  responses: { 200: { description: 'Page', schema: ScheduleRequestList } },
});
registerOperation({
  method: 'delete',
  path: '/v1.0/test/scheduleRequests/{id}',
  summary: 'Delete',
  responses: { 204: 'Deleted' },
});

// biome-ignore lint/suspicious/noExplicitAny: the test walks a JSON document
const doc = renderOpenApi({ version: '9.9.9' }) as any;

describe('OpenAPI rendering', () => {
  it('is OpenAPI 3.1 with bearer security and the /api server', () => {
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { version: '9.9.9' }, servers: [{ url: '/api' }] });
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it('documents the request body from the validating schema, enum values canonical', () => {
    const body = doc.paths['/v1.0/test/scheduleRequests'].post.requestBody.content['application/json'].schema;
    expect(body.$ref).toMatch(/^#\/components\/schemas\/test\.scheduleRequest/);
    const schema = doc.components.schemas[body.$ref.split('/').pop()];
    expect(schema.properties.action).toMatchObject({ enum: ['selfActivate', 'adminAssign'] });
    // Input objects accept (and strip) unknown properties; the output shape says there are none.
    expect(schema.properties.ticketInfo.$ref).toBe('#/components/schemas/microsoft.graph.ticketInfo_input');
    expect(doc.components.schemas['microsoft.graph.ticketInfo_input'].additionalProperties).toBeUndefined();
    expect(doc.components.schemas['microsoft.graph.ticketInfo'].additionalProperties).toBe(false);
    expect(schema.required).toEqual(['action', 'principalId']);
    // The same schema validates: what the document says is what the handler enforces.
    expect(parseOrThrow(ScheduleRequest, { action: 'SelfActivate', principalId: 'p' })).toMatchObject({
      action: 'selfActivate',
      isValidationOnly: false,
    });
  });

  it('names output shapes plainly and input shapes that differ with _input', () => {
    const output = doc.components.schemas['test.scheduleRequest'];
    expect(output.required).toContain('isValidationOnly');
    expect(doc.components.schemas['test.scheduleRequest_input'].required).not.toContain('isValidationOnly');
    const created = doc.paths['/v1.0/test/scheduleRequests'].post.responses['201'];
    expect(created.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/test.scheduleRequest',
    });
  });

  it('adds error responses with the Graph envelope, 401 for authenticated operations', () => {
    const post = doc.paths['/v1.0/test/scheduleRequests'].post;
    expect(post.responses['400'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ODataError',
    });
    expect(post.responses['401']).toBeDefined();
    expect(doc.components.schemas.ODataError.properties.error.required).toEqual([
      'code',
      'message',
      'details',
    ]);
    const del = doc.paths['/v1.0/test/scheduleRequests/{id}'].delete;
    expect(del.responses['204']).toEqual({ description: 'Deleted' });
    expect(del.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
    ]);
  });

  it('documents collection options, the $filter subset and query parameters', () => {
    const get = doc.paths['/v1.0/test/scheduleRequests'].get;
    const names = get.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(['$top', '$skiptoken', '$select', '$filter', 'format', 'since']);
    expect(get.parameters[3].description).toContain('principalId (eq)');
    expect(get.parameters.find((p: { name: string }) => p.name === 'since').required).toBe(true);
    expect(get.parameters.find((p: { name: string }) => p.name === 'format').schema.enum).toEqual([
      'csv',
      'jsonl',
    ]);
  });

  it('gives every operation an operationId', () => {
    expect(doc.paths['/v1.0/test/scheduleRequests'].get.operationId).toBe('getTestScheduleRequests');
    expect(doc.paths['/v1.0/test/scheduleRequests/{id}'].delete.operationId).toBe(
      'deleteTestScheduleRequestsId',
    );
  });
});
