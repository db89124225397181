// Groups (security groups, optionally role-assignable) and their direct members:
//   GET/POST /v1.0/groups                          list: any signed-in caller; create: admins
//   GET      /v1.0/groups/{id}                     any signed-in caller
//   GET/POST /v1.0/groups/{id}/members             list; add {"memberId"} or Graph's {"@odata.id"} (admins)
//   DELETE   /v1.0/groups/{id}/members/{memberId}  admins

import { app, type HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { CreateGroupInput, toGraphGroup } from '../shared/domain/groups';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json, noContent } from '../shared/http/handler';
import { parseOrThrow } from '../shared/http/validation';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { collection, expandedCollection, listQuery, operationContext, readRawBody } from './directory-common';

const BASE = 'v1.0/groups';

export const AddMemberBody = z
  .union([
    z.strictObject({ memberId: z.string().min(1).max(128) }),
    z.strictObject({ '@odata.id': z.string().min(1).max(512) }),
  ])
  .meta({ id: 'addGroupMember_input' });

function memberIdOf(body: z.infer<typeof AddMemberBody>): string {
  if ('memberId' in body) return body.memberId;
  // https://graph.microsoft.com/v1.0/directoryObjects/{id} or a bare id
  return body['@odata.id'].split('/').filter(Boolean).pop() ?? '';
}

registerOperation({
  method: 'get',
  path: `/${BASE}`,
  summary: 'List groups',
  tags: ['groups'],
  collection: { count: true },
  responses: { 200: { description: 'A page of groups', graph: 'group', collection: true } },
});
registerOperation({
  method: 'post',
  path: `/${BASE}`,
  summary: 'Create a security group (admins)',
  tags: ['groups'],
  requestBody: CreateGroupInput,
  responses: { 201: { description: 'The group', graph: 'group' }, 400: 'Bad input', 403: 'Not an admin' },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/{id}`,
  summary: 'Get a group',
  tags: ['groups'],
  responses: { 200: { description: 'The group', graph: 'group' }, 404: 'No such group' },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/{id}/members`,
  summary: 'Members of a group in force now',
  tags: ['groups'],
  responses: { 200: 'A page of members' },
});
registerOperation({
  method: 'post',
  path: `/${BASE}/{id}/members`,
  summary: 'Add a direct member (admins)',
  tags: ['groups'],
  requestBody: AddMemberBody,
  responses: { 201: 'Added', 403: 'Not an admin', 409: 'Already a member' },
});
registerOperation({
  method: 'delete',
  path: `/${BASE}/{id}/members/{memberId}`,
  summary: 'Remove a member (admins)',
  tags: ['groups'],
  responses: { 204: 'Removed', 403: 'Not an admin', 404: 'Not a member' },
});

app.http('groups', {
  route: apiRoute(BASE),
  methods: ['GET', 'POST'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    if (req.method === 'POST') {
      const created = await services().groups.create(ctx, await readRawBody(req));
      return json(201, toGraphGroup(created.value), created.etag ? { ETag: created.etag } : {});
    }
    const q = listQuery(req, undefined, { countable: true, graphType: 'group' });
    return expandedCollection(req, ctx, q, (page) => services().groups.list(ctx, page), toGraphGroup);
  }),
});

app.http('groupItem', {
  route: apiRoute(`${BASE}/{id}`),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const group = await services().groups.get(ctx, req.params.id);
    return json(200, toGraphGroup(group.value), group.etag ? { ETag: group.etag } : {});
  }),
});

app.http('groupMembers', {
  route: apiRoute(`${BASE}/{id}/members`),
  methods: ['GET', 'POST'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const groups = services().groups;
    if (req.method === 'POST') {
      const body = parseOrThrow(AddMemberBody, await readRawBody(req));
      const schedule = await groups.addMember(ctx, req.params.id, memberIdOf(body));
      return json(201, {
        id: schedule.principalId,
        memberType: schedule.memberType,
        startDateTime: schedule.startDateTime,
      });
    }
    const q = listQuery(req);
    const result = await groups.listMembers(ctx, req.params.id, q.page);
    const users = await services().users.known(result.items.map((s) => s.principalId));
    return collection(req, q, result, (s) => {
      const user = users.get(s.principalId);
      return {
        '@odata.type': user ? '#microsoft.graph.user' : '#microsoft.graph.directoryObject',
        id: s.principalId,
        displayName: user?.displayName ?? null,
        userPrincipalName: user?.userPrincipalName ?? null,
        memberType: s.memberType,
        assignmentType: s.assignmentType,
        startDateTime: s.startDateTime,
        endDateTime: s.endDateTime,
      };
    });
  }),
});

app.http('groupMemberItem', {
  route: apiRoute(`${BASE}/{id}/members/{memberId}`),
  methods: ['DELETE'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    await services().groups.removeMember(ctx, req.params.id, req.params.memberId);
    return noContent();
  }),
});
