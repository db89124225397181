// GET /v1.0/auditLogs/directoryAudits[/{id}]: audit rows in Graph's directoryAudit shape, newest
// first, paged, with API.md's $filter subset (readers of audit logs only).
// GET .../directoryAudits/filterByCurrentUser(on='initiator'|'target'): any signed-in user's own
// rows, those they initiated or those naming them (*own*, after Graph's filterByCurrentUser).
// Export, verify and sealing: audit-trail.ts.
import { app, type HttpRequest } from '@azure/functions';
import { DIRECTORY_AUDIT_FILTER } from '../shared/audit/audit-filter';
import { type DirectoryAudit, toGraphAudit, userIdsOf } from '../shared/audit/directory-audit';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { collection, listQuery, operationContext } from './directory-common';

const BASE = 'v1.0/auditLogs/directoryAudits';
/** Audit rows come newest first; Graph clients ask for it with `$orderby=activityDateTime desc`. */
const AUDIT_ORDER = 'activityDateTime desc';

/** userPrincipalName by user id, for the users a page names (point reads; users are few per page). */
async function upnsOf(rows: readonly DirectoryAudit[]): Promise<Map<string, string>> {
  const known = await services().users.known(userIdsOf(rows));
  return new Map([...known].map(([id, u]) => [id.toLowerCase(), u.userPrincipalName]));
}

registerOperation({
  method: 'get',
  path: `/${BASE}`,
  summary: 'Directory audit rows, newest first ($filter, $top, $skiptoken)',
  tags: ['auditLogs'],
  collection: { filter: DIRECTORY_AUDIT_FILTER, orderBy: AUDIT_ORDER },
  responses: {
    200: { description: 'A page of directoryAudit rows', graph: 'directoryAudit', collection: true },
    400: 'Unsupported $filter',
    403: 'Not an audit reader',
  },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/{id}`,
  summary: 'One directory audit row',
  tags: ['auditLogs'],
  responses: {
    200: { description: 'The row', graph: 'directoryAudit' },
    403: 'Not an audit reader',
    404: 'No such row',
  },
});

const OWN = ['initiator', 'target'] as const;
for (const on of OWN) {
  const path = `${BASE}/filterByCurrentUser(on='${on}')`;
  registerOperation({
    method: 'get',
    path: `/${path}`,
    summary:
      on === 'initiator'
        ? 'The rows the caller initiated, newest first'
        : 'The rows naming the caller as a target, newest first',
    tags: ['auditLogs'],
    collection: { filter: DIRECTORY_AUDIT_FILTER, orderBy: AUDIT_ORDER },
    responses: {
      200: { description: 'A page of directoryAudit rows', graph: 'directoryAudit', collection: true },
      400: 'Unsupported $filter',
    },
  });
  app.http(`directoryAuditsOwn${on === 'initiator' ? 'Initiated' : 'Targeted'}`, {
    route: apiRoute(path),
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest, _context, info) => {
      const ctx = await operationContext(req, info);
      const q = listQuery(req, DIRECTORY_AUDIT_FILTER, { naturalOrder: AUDIT_ORDER });
      const page = await services().auditLog.queryOwn(ctx, on, q.filter, q.page);
      const upns = await upnsOf(page.items);
      return collection(req, q, page, (row) => toGraphAudit(row, upns));
    }),
  });
}

app.http('directoryAudits', {
  route: apiRoute(BASE),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const q = listQuery(req, DIRECTORY_AUDIT_FILTER, { naturalOrder: AUDIT_ORDER });
    const page = await services().auditLog.query(ctx, q.filter, q.page);
    const upns = await upnsOf(page.items);
    return collection(req, q, page, (row) => toGraphAudit(row, upns));
  }),
});

app.http('directoryAuditItem', {
  route: apiRoute(`${BASE}/{id}`),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const row = await services().auditLog.get(ctx, req.params.id);
    return json(200, toGraphAudit(row, await upnsOf([row])));
  }),
});
