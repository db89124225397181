// GET /v1.0/auditLogs/directoryAudits[/{id}]: audit rows in Graph's directoryAudit shape, newest
// first, paged, with API.md's $filter subset (readers of audit logs only).
import { app, type HttpRequest } from '@azure/functions';
import { DIRECTORY_AUDIT_FILTER } from '../shared/audit/audit-filter';
import { httpHandler, json } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { collection, listQuery, operationContext } from './directory-common';

const BASE = 'v1.0/auditLogs/directoryAudits';

registerOperation({
  method: 'get',
  path: `/${BASE}`,
  summary: 'Directory audit rows, newest first ($filter, $top, $skiptoken)',
  tags: ['auditLogs'],
  responses: { 200: 'A page of directoryAudit rows', 400: 'Unsupported $filter', 403: 'Not an audit reader' },
});
registerOperation({
  method: 'get',
  path: `/${BASE}/{id}`,
  summary: 'One directory audit row',
  tags: ['auditLogs'],
  responses: { 200: 'The row', 404: 'No such row' },
});

app.http('directoryAudits', {
  route: BASE,
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    const q = listQuery(req, DIRECTORY_AUDIT_FILTER);
    return collection(req, q, await services().auditLog.query(ctx, q.filter, q.page), (row) => row);
  }),
});

app.http('directoryAuditItem', {
  route: `${BASE}/{id}`,
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    return json(200, await services().auditLog.get(ctx, req.params.id));
  }),
});
