// Eligibility requests and schedule lists, for directory roles and privileged groups:
//   POST/GET .../roleManagement/directory/roleEligibilityScheduleRequests[/{id}[/cancel]]  (admin actions)
//   POST/GET .../identityGovernance/privilegedAccess/group/eligibilityScheduleRequests[/{id}[/cancel]]
//   GET .../roleEligibilitySchedules, roleAssignmentSchedules, roleAssignmentScheduleInstances,
//       roleEligibilityScheduleInstances, the group equivalents, and their
//       filterByCurrentUser(on='principal') variants.
// Assignment requests (roleAssignmentScheduleRequests, group assignmentScheduleRequests) are served
// by activation-requests.ts, which delegates the admin actions to the same service.
import { app, type HttpRequest } from '@azure/functions';
import {
  GroupScheduleRequestInput,
  RoleScheduleRequestInput,
  type ScheduleRequestRecord,
  toGroupScheduleRequest,
  toRoleScheduleRequest,
} from '../shared/domain/requests';
import {
  type ScheduleLevel,
  type ScheduleRecord,
  toGroupSchedule,
  toGroupScheduleInstance,
  toRoleSchedule,
  toRoleScheduleInstance,
} from '../shared/domain/schedules';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json, noContent } from '../shared/http/handler';
import type { FilterNode } from '../shared/http/odata';
import type { GraphTypeName } from '../shared/openapi/graph-schemas';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import type { PageRequest } from '../shared/storage/paging';
import { ACCEPTED_RESPONSE, breakGlassOf, proposalAccepted } from './admin-change-gate';
import { expandedCollection, listQuery, operationContext, readRawBody } from './directory-common';
import { GROUP_EXPANDS, ROLE_EXPANDS } from './expand';
import {
  GROUP_REQUEST_FILTER,
  GROUP_SCHEDULE_FILTER,
  keyedEq,
  ROLE_REQUEST_FILTER,
  ROLE_SCHEDULE_FILTER,
} from './list-filter';
import { SCHEDULE_REQUEST_KIND, type ScheduleRequestChange } from './schedule-request-change';

const expandable = (kind: Kind) => (kind === 'role' ? ROLE_EXPANDS : GROUP_EXPANDS);

type Kind = 'role' | 'group';

const ROLE_BASE = 'v1.0/roleManagement/directory';
const GROUP_BASE = 'v1.0/identityGovernance/privilegedAccess/group';
const BY_CURRENT_USER = "filterByCurrentUser(on='principal')";

const SCHEDULE_FILTER = (kind: Kind) => (kind === 'role' ? ROLE_SCHEDULE_FILTER : GROUP_SCHEDULE_FILTER);
const REQUEST_FILTER = (kind: Kind) => (kind === 'role' ? ROLE_REQUEST_FILTER : GROUP_REQUEST_FILTER);

/** What the filter pins with a top-level eq: the principal and the role or group, for the storage query. */
function scheduleQuery(
  kind: Kind,
  filter: FilterNode | undefined,
): { principalId?: string; resourceId?: string } {
  const resourceField = kind === 'role' ? 'roleDefinitionId' : 'groupId';
  const pinned = keyedEq(filter, ['principalId', resourceField]);
  return { principalId: pinned.principalId, resourceId: pinned[resourceField] };
}

function requests(kind: Kind, route: string, name: string) {
  const shape: (r: ScheduleRequestRecord) => unknown =
    kind === 'role' ? toRoleScheduleRequest : toGroupScheduleRequest;
  registerOperation({
    method: 'post',
    path: `/${route}`,
    summary: `Create a ${kind} eligibility schedule request (adminAssign, adminUpdate, adminRemove, adminExtend, adminRenew)`,
    tags: ['eligibility'],
    requestBody: kind === 'role' ? RoleScheduleRequestInput : GroupScheduleRequestInput,
    responses: {
      201: {
        description: 'The request',
        graph:
          kind === 'role'
            ? 'unifiedRoleEligibilityScheduleRequest'
            : 'privilegedAccessGroupEligibilityScheduleRequest',
      },
      ...ACCEPTED_RESPONSE,
      400: 'Invalid or failed policy rules',
      403: 'Not an admin',
    },
  });
  registerOperation({
    method: 'get',
    path: `/${route}`,
    summary: `List ${kind} eligibility schedule requests (readers; own with principalId filter)`,
    tags: ['eligibility'],
    collection: { filter: REQUEST_FILTER(kind), expand: expandable(kind) },
    responses: {
      200: {
        description: 'A page of requests',
        graph:
          kind === 'role'
            ? 'unifiedRoleEligibilityScheduleRequest'
            : 'privilegedAccessGroupEligibilityScheduleRequest',
        collection: true,
      },
      403: 'Not a reader (own requests: filter on principalId)',
    },
  });
  registerOperation({
    method: 'get',
    path: `/${route}/{id}`,
    summary: `Get a ${kind} eligibility schedule request`,
    tags: ['eligibility'],
    responses: {
      200: {
        description: 'The request',
        graph:
          kind === 'role'
            ? 'unifiedRoleEligibilityScheduleRequest'
            : 'privilegedAccessGroupEligibilityScheduleRequest',
      },
      404: 'Not visible',
    },
  });
  app.http(name, {
    route: apiRoute(route),
    methods: ['GET', 'POST'],
    handler: httpHandler(async (req: HttpRequest, _context, info) => {
      const ctx = await operationContext(req, info);
      const s = services();
      if (req.method === 'POST') {
        // Under the two-person rule, a privileged role's change may become a proposal (202).
        const change: ScheduleRequestChange = { kind, level: 'eligibility', body: await readRawBody(req) };
        const out = await s.adminChanges.submit<ScheduleRequestChange, ScheduleRequestRecord>(
          ctx,
          SCHEDULE_REQUEST_KIND,
          change,
          breakGlassOf(req),
        );
        return 'proposal' in out ? proposalAccepted(req, out.proposal) : json(201, shape(out.applied));
      }
      const q = listQuery(req, REQUEST_FILTER(kind), {
        expand: expandable(kind),
        countable: true,
        graphType:
          kind === 'role'
            ? 'unifiedRoleEligibilityScheduleRequest'
            : 'privilegedAccessGroupEligibilityScheduleRequest',
      });
      const query = scheduleQuery(kind, q.filter);
      const list = (page: PageRequest) => s.schedules.listRequests(ctx, kind, 'eligibility', query, page);
      return expandedCollection(req, ctx, q, list, shape);
    }),
  });
  app.http(`${name}Item`, {
    route: apiRoute(`${route}/{id}`),
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest, _context, info) => {
      const ctx = await operationContext(req, info);
      return json(200, shape(await services().schedules.getRequest(ctx, kind, 'eligibility', req.params.id)));
    }),
  });
  registerOperation({
    method: 'post',
    path: `/${route}/{id}/cancel`,
    summary: `Cancel a pending ${kind} eligibility schedule request`,
    tags: ['eligibility'],
    responses: {
      204: 'Canceled by the principal, or denied by an admin',
      403: 'Neither the principal nor an admin',
      404: 'Not visible',
      409: 'Not pending (only selfExtend/selfRenew wait, for an admin; admin requests complete at once)',
    },
  });
  app.http(`${name}Cancel`, {
    route: apiRoute(`${route}/{id}/cancel`),
    methods: ['POST'],
    handler: httpHandler(async (req: HttpRequest, _context, info) => {
      const ctx = await operationContext(req, info);
      const s = services();
      const request = await s.schedules.getRequest(ctx, kind, 'eligibility', req.params.id);
      await s.requests.cancelRequest(ctx, request);
      return noContent();
    }),
  });
}

/** The Graph type of a schedule list's items. */
function scheduleType(kind: Kind, level: ScheduleLevel, instances: boolean): GraphTypeName {
  const suffix = instances ? 'ScheduleInstance' : 'Schedule';
  const levelName = level === 'eligibility' ? 'Eligibility' : 'Assignment';
  return (
    kind === 'role' ? `unifiedRole${levelName}${suffix}` : `privilegedAccessGroup${levelName}${suffix}`
  ) as GraphTypeName;
}

function scheduleList(
  kind: Kind,
  level: ScheduleLevel,
  instances: boolean,
  route: string,
  name: string,
  withCurrentUser: boolean,
) {
  const shape: (s: ScheduleRecord) => unknown =
    kind === 'role'
      ? instances
        ? toRoleScheduleInstance
        : toRoleSchedule
      : instances
        ? toGroupScheduleInstance
        : toGroupSchedule;
  const what = `${kind} ${level} schedule${instances ? ' instances' : 's'}`;
  registerOperation({
    method: 'get',
    path: `/${route}`,
    summary: `List ${what} (readers; anyone with principalId eq their own id)`,
    tags: ['schedules'],
    collection: { filter: SCHEDULE_FILTER(kind), expand: expandable(kind) },
    responses: {
      200: {
        description: `A page of ${what}`,
        graph: scheduleType(kind, level, instances),
        collection: true,
      },
      403: 'Not a reader (own: filter on principalId)',
    },
  });
  app.http(name, {
    route: apiRoute(route),
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest, _context, info) => {
      const ctx = await operationContext(req, info);
      const q = listQuery(req, SCHEDULE_FILTER(kind), {
        expand: expandable(kind),
        countable: true,
        graphType: scheduleType(kind, level, instances),
      });
      const query = { ...scheduleQuery(kind, q.filter), instances };
      const list = (page: PageRequest) => services().schedules.listSchedules(ctx, kind, level, query, page);
      return expandedCollection(req, ctx, q, list, shape);
    }),
  });
  if (!withCurrentUser) return;
  registerOperation({
    method: 'get',
    path: `/${route}/${BY_CURRENT_USER}`,
    summary: `The caller's ${what}`,
    tags: ['schedules'],
    collection: { filter: SCHEDULE_FILTER(kind), expand: expandable(kind) },
    responses: {
      200: {
        description: `A page of ${what}`,
        graph: scheduleType(kind, level, instances),
        collection: true,
      },
      403: 'Not a reader (own: filter on principalId)',
    },
  });
  app.http(`${name}Mine`, {
    route: apiRoute(`${route}/${BY_CURRENT_USER}`),
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest, _context, info) => {
      const ctx = await operationContext(req, info);
      const q = listQuery(req, SCHEDULE_FILTER(kind), {
        expand: expandable(kind),
        countable: true,
        graphType: scheduleType(kind, level, instances),
      });
      const own = ctx.actor.kind === 'user' ? ctx.actor.id : undefined;
      const query = { ...scheduleQuery(kind, q.filter), principalId: own, instances };
      const list = (page: PageRequest) => services().schedules.listSchedules(ctx, kind, level, query, page);
      return expandedCollection(req, ctx, q, list, shape);
    }),
  });
}

requests('role', `${ROLE_BASE}/roleEligibilityScheduleRequests`, 'roleEligibilityScheduleRequests');
requests('group', `${GROUP_BASE}/eligibilityScheduleRequests`, 'groupEligibilityScheduleRequests');

scheduleList(
  'role',
  'eligibility',
  false,
  `${ROLE_BASE}/roleEligibilitySchedules`,
  'roleEligibilitySchedules',
  true,
);
scheduleList(
  'role',
  'eligibility',
  true,
  `${ROLE_BASE}/roleEligibilityScheduleInstances`,
  'roleEligibilityScheduleInstances',
  true,
);
scheduleList(
  'role',
  'assignment',
  false,
  `${ROLE_BASE}/roleAssignmentSchedules`,
  'roleAssignmentSchedules',
  true,
);
scheduleList(
  'role',
  'assignment',
  true,
  `${ROLE_BASE}/roleAssignmentScheduleInstances`,
  'roleAssignmentScheduleInstances',
  true,
);
scheduleList(
  'group',
  'eligibility',
  false,
  `${GROUP_BASE}/eligibilitySchedules`,
  'groupEligibilitySchedules',
  true,
);
scheduleList(
  'group',
  'eligibility',
  true,
  `${GROUP_BASE}/eligibilityScheduleInstances`,
  'groupEligibilityScheduleInstances',
  true,
);
scheduleList(
  'group',
  'assignment',
  false,
  `${GROUP_BASE}/assignmentSchedules`,
  'groupAssignmentSchedules',
  true,
);
scheduleList(
  'group',
  'assignment',
  true,
  `${GROUP_BASE}/assignmentScheduleInstances`,
  'groupAssignmentScheduleInstances',
  true,
);
