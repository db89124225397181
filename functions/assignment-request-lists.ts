// Lists of assignment schedule requests, activations and admins' requests together:
//   GET /v1.0/roleManagement/directory/roleAssignmentScheduleRequests[?$filter=principalId eq '...']  (readers)
//   GET .../roleAssignmentScheduleRequests/filterByCurrentUser(on='principal')                    (own)
//   and the same under /identityGovernance/privilegedAccess/group/assignmentScheduleRequests.
// Activations (by principal) and admins' requests (by role or group) live apart; a list walks the
// first, then the second, and its $skiptoken says where it is (shared/services/activation-reads.ts).
import { app } from '@azure/functions';
import { now } from '../shared/clock';
import { apiRoute } from '../shared/http/api-route';
import { forbidden } from '../shared/http/errors';
import { httpHandler } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import type { PageRequest } from '../shared/storage/paging';
import { requestShape } from './activation-requests';
import { ASSIGNMENT_REQUEST_ROUTES } from './assignment-request-routes';
import { expandedCollection, listQuery, operationContext } from './directory-common';
import { GROUP_EXPANDS, ROLE_EXPANDS } from './expand';
import { GROUP_REQUEST_FILTER, keyedEq, ROLE_REQUEST_FILTER } from './list-filter';

const expandable = (kind: Kind) => (kind === 'role' ? ROLE_EXPANDS : GROUP_EXPANDS);

type Kind = 'role' | 'group';

const BY_CURRENT_USER = "filterByCurrentUser(on='principal')";
const BY_APPROVER = "filterByCurrentUser(on='approver')";
const FILTER = (kind: Kind) => (kind === 'role' ? ROLE_REQUEST_FILTER : GROUP_REQUEST_FILTER);

/** Graph's type of the kind's assignment schedule requests. */
const requestType = (kind: Kind) =>
  kind === 'role' ? 'unifiedRoleAssignmentScheduleRequest' : 'privilegedAccessGroupAssignmentScheduleRequest';

/** A page of Graph's assignment schedule requests of the kind. */
function requestPage(kind: Kind, description: string) {
  return { description, graph: requestType(kind), collection: true } as const;
}

function register(kind: Kind, base: string, name: string) {
  registerOperation({
    method: 'get',
    path: `/${base}`,
    summary: `List ${kind} assignment schedule requests (readers; anyone for principalId eq their own id)`,
    tags: ['activation'],
    collection: { filter: FILTER(kind), expand: expandable(kind) },
    responses: {
      200: requestPage(kind, 'A page of requests'),
      403: 'Not a reader',
    },
  });
  registerOperation({
    method: 'get',
    path: `/${base}/${BY_CURRENT_USER}`,
    summary: `The caller's own ${kind} assignment schedule requests`,
    tags: ['activation'],
    collection: { filter: FILTER(kind), expand: expandable(kind) },
    responses: {
      200: requestPage(kind, 'A page of requests'),
    },
  });

  app.http(`${name}List`, {
    route: apiRoute(base),
    methods: ['GET'],
    handler: httpHandler(async (req, _context, info) => {
      const ctx = await operationContext(req, info);
      const q = listQuery(req, FILTER(kind), {
        expand: expandable(kind),
        countable: true,
        graphType: requestType(kind),
      });
      const principalId = keyedEq(q.filter, ['principalId']).principalId;
      const callerId = ctx.actor.kind === 'user' ? ctx.actor.id : undefined;
      if (principalId !== callerId && !(await services().access.canRead(callerId ?? '', now())))
        throw forbidden('Listing requests of others needs a reader role.');
      const list = (page: PageRequest) => services().activationReads.requests(ctx, kind, principalId, page);
      return expandedCollection(req, ctx, q, list, (r) => requestShape(kind, r));
    }),
  });

  app.http(`${name}Mine`, {
    route: apiRoute(`${base}/${BY_CURRENT_USER}`),
    methods: ['GET'],
    handler: httpHandler(async (req, _context, info) => {
      const ctx = await operationContext(req, info);
      const q = listQuery(req, FILTER(kind), {
        expand: expandable(kind),
        countable: true,
        graphType: requestType(kind),
      });
      const callerId = ctx.actor.kind === 'user' ? ctx.actor.id : '';
      const list = (page: PageRequest) => services().activationReads.requests(ctx, kind, callerId, page);
      return expandedCollection(req, ctx, q, list, (r) => requestShape(kind, r));
    }),
  });
}

/** The requests waiting for the caller's approval, with what they ask (Graph's on='approver'). */
function registerApproverList(kind: Kind, base: string, name: string) {
  registerOperation({
    method: 'get',
    path: `/${base}/${BY_APPROVER}`,
    summary: `The ${kind} assignment schedule requests waiting for the caller's approval`,
    tags: ['activation'],
    responses: {
      200: requestPage(kind, 'The requests, with who asks, for what, why and for how long'),
    },
  });
  app.http(`${name}AwaitingMe`, {
    route: apiRoute(`${base}/${BY_APPROVER}`),
    methods: ['GET'],
    handler: httpHandler(async (req, _context, info) => {
      const ctx = await operationContext(req, info);
      const q = listQuery(req, undefined, { expand: expandable(kind) });
      const items = await services().activationReads.awaitingApproval(ctx, kind);
      return expandedCollection(
        req,
        ctx,
        q,
        async () => ({ items }),
        (r) => requestShape(kind, r),
      );
    }),
  });
}

for (const { kind, route, name } of ASSIGNMENT_REQUEST_ROUTES) {
  register(kind, route, name);
  registerApproverList(kind, route, name);
}
