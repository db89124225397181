// Lists of assignment schedule requests, activations and admins' requests together:
//   GET /v1.0/roleManagement/directory/roleAssignmentScheduleRequests[?$filter=principalId eq '...']  (readers)
//   GET .../roleAssignmentScheduleRequests/filterByCurrentUser(on='principal')                    (own)
//   and the same under /identityGovernance/privilegedAccess/group/assignmentScheduleRequests.
// Activations (shared/activation) and admin requests (shared/services) live in two stores; a list
// walks the first, then the second, and its $skiptoken says where it is.
import { app, type HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { graphShape } from '../shared/activation/graph-shape';
import { allRequests, requestsOfPrincipal } from '../shared/activation/requests-repo';
import { now } from '../shared/clock';
import { toGroupScheduleRequest, toRoleScheduleRequest } from '../shared/domain/requests';
import { badRequest, forbidden } from '../shared/http/errors';
import { httpHandler } from '../shared/http/handler';
import type { FilterFields } from '../shared/http/odata';
import { registerOperation } from '../shared/openapi/registry';
import { type OperationContext, services } from '../shared/services';
import type { Page } from '../shared/storage/paging';
import { ASSIGNMENT_REQUEST_ROUTES } from './assignment-request-routes';
import { collection, eqValues, type ListQuery, listQuery, operationContext } from './directory-common';

type Kind = 'role' | 'group';

const BY_CURRENT_USER = "filterByCurrentUser(on='principal')";
const FILTER: FilterFields = { principalId: { type: 'string', operators: ['eq'] } };

/** Where a list stands: in the activations ('a') or the admin requests ('b'), with that store's token. */
const Position = z.object({ s: z.enum(['a', 'b']), t: z.string().max(4096).optional() });
type Position = z.infer<typeof Position>;

function positionOf(q: ListQuery): Position {
  if (!q.continuation) return { s: 'a' };
  try {
    return Position.parse(JSON.parse(q.continuation));
  } catch {
    throw badRequest('The $skiptoken is not valid.', [{ target: '$skiptoken', message: 'not valid' }]);
  }
}

async function page(
  ctx: OperationContext,
  kind: Kind,
  principalId: string | undefined,
  q: ListQuery,
): Promise<Page<unknown>> {
  const at = positionOf(q);
  const request = { top: q.page.top, continuationToken: at.t };
  if (at.s === 'a') {
    const activations = principalId
      ? await requestsOfPrincipal(principalId, kind, request)
      : await allRequests(kind, request);
    const next: Position = activations.continuationToken
      ? { s: 'a', t: activations.continuationToken }
      : { s: 'b' };
    return {
      items: activations.items.map((r) => graphShape(r, false)),
      continuationToken: JSON.stringify(next),
    };
  }
  const admin = await services().schedules.listRequests(ctx, kind, 'assignment', { principalId }, request);
  return {
    items: admin.items.map((r) => (kind === 'role' ? toRoleScheduleRequest(r) : toGroupScheduleRequest(r))),
    continuationToken: admin.continuationToken
      ? JSON.stringify({ s: 'b', t: admin.continuationToken } satisfies Position)
      : undefined,
  };
}

function register(kind: Kind, base: string, name: string) {
  registerOperation({
    method: 'get',
    path: `/${base}`,
    summary: `List ${kind} assignment schedule requests (readers; anyone for principalId eq their own id)`,
    tags: ['activation'],
    responses: { 200: 'A page of requests', 403: 'Not a reader' },
  });
  registerOperation({
    method: 'get',
    path: `/${base}/${BY_CURRENT_USER}`,
    summary: `The caller's own ${kind} assignment schedule requests`,
    tags: ['activation'],
    responses: { 200: 'A page of requests' },
  });

  app.http(`${name}List`, {
    route: base,
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest, _context, info) => {
      const ctx = await operationContext(req, info);
      const q = listQuery(req, FILTER);
      const principalId = eqValues(q.filter).principalId?.toLowerCase();
      const callerId = ctx.actor.kind === 'user' ? ctx.actor.id : undefined;
      if (principalId !== callerId && !(await services().access.canRead(callerId ?? '', now())))
        throw forbidden('Listing requests of others needs a reader role.');
      return collection(req, q, await page(ctx, kind, principalId, q), (r) => r);
    }),
  });

  app.http(`${name}Mine`, {
    route: `${base}/${BY_CURRENT_USER}`,
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest, _context, info) => {
      const ctx = await operationContext(req, info);
      const q = listQuery(req);
      const callerId = ctx.actor.kind === 'user' ? ctx.actor.id : '';
      return collection(req, q, await page(ctx, kind, callerId, q), (r) => r);
    }),
  });
}

for (const { kind, route, name } of ASSIGNMENT_REQUEST_ROUTES) register(kind, route, name);
