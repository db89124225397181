// The audit trail beyond the Graph list (audit-logs.ts), all *(own)*:
//   GET /v1.0/auditLogs/directoryAudits/export?format=csv|jsonl[&$filter=...]   streamed download
//   GET /v1.0/auditLogs/verify?from=&to=                                          recompute the seal chain
//   timer auditSeal (every 5 minutes): seal closed hours, then apply AUDIT_RETENTION_DAYS
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS, exportBody } from '../shared/audit/audit-export';
import { DIRECTORY_AUDIT_FILTER } from '../shared/audit/audit-filter';
import { now } from '../shared/clock';
import { apiRoute } from '../shared/http/api-route';
import { badRequest } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { parseFilter, rejectUnsupportedOptions } from '../shared/http/odata';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { operationContext } from './directory-common';

// Streams response bodies (the export) instead of collecting them first. Without it the worker
// buffers a whole body in memory. It applies to every HTTP function of the app, whose requests
// and responses are otherwise unchanged (the devhost supports both modes, see devhost/http-stream.ts).
app.setup({ enableHttpStream: true });

const EXPORT = 'v1.0/auditLogs/directoryAudits/export';
const VERIFY = 'v1.0/auditLogs/verify';

const ExportQuery = z.object({ format: z.enum(EXPORT_FORMATS).default('csv') });
const VerifyQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

registerOperation({
  method: 'get',
  path: `/${EXPORT}`,
  summary: 'Download the audit rows of a $filter (newest first) as CSV (RFC 4180) or JSON Lines, streamed',
  tags: ['auditLogs'],
  query: ExportQuery,
  collection: { filter: DIRECTORY_AUDIT_FILTER, paged: false }, // one stream: no $top, no pages
  responses: { 200: 'The rows, streamed', 400: 'Bad format or $filter', 403: 'Not an audit reader' },
});
registerOperation({
  method: 'get',
  path: `/${VERIFY}`,
  summary: 'Recompute the audit seal chain over [from, to] and name the first broken hour and row',
  tags: ['auditLogs'],
  query: VerifyQuery,
  responses: { 200: 'The verification report', 400: 'Bad range', 403: 'Not an audit reader' },
});

/** Query options other than `$`-options, validated; bad ones -> 400 naming them. */
function queryOf<S extends z.ZodObject>(req: HttpRequest, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const values = req.query.getAll(key);
    if (values.length > 1)
      throw badRequest(`Query option '${key}' is given more than once.`, [
        { target: key, message: 'repeated' },
      ]);
    if (values[0] !== undefined) raw[key] = values[0];
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw badRequest(
      'Invalid query options.',
      parsed.error.issues.map((i) => ({ target: i.path.join('.') || 'query', message: i.message })),
    );
  }
  return parsed.data;
}

app.http('directoryAuditsExport', {
  route: apiRoute(EXPORT),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    rejectUnsupportedOptions(req.query, ['$filter']);
    const { format } = queryOf(req, ExportQuery);
    const filterValues = req.query.getAll('$filter');
    if (filterValues.length > 1)
      throw badRequest("Query option '$filter' is given more than once.", [
        { target: '$filter', message: 'repeated' },
      ]);
    const filter = parseFilter(filterValues[0] ?? '', DIRECTORY_AUDIT_FILTER);
    const rows = await services().auditLog.exportRows(ctx, filter);
    const stamp = now().toISOString().replace(/[:.]/g, '-');
    return {
      status: 200,
      headers: {
        'content-type': EXPORT_CONTENT_TYPES[format],
        'content-disposition': `attachment; filename="directoryAudits-${stamp}.${format}"`,
        'cache-control': 'no-store',
      },
      body: exportBody(rows, format),
    };
  }),
});

app.http('auditVerify', {
  route: apiRoute(VERIFY),
  methods: ['GET'],
  handler: httpHandler(async (req: HttpRequest, _context, info) => {
    const ctx = await operationContext(req, info);
    rejectUnsupportedOptions(req.query, []);
    const q = queryOf(req, VerifyQuery);
    const date = (v: string | undefined) => (v === undefined ? undefined : new Date(v));
    return json(200, await services().auditLog.verify(ctx, date(q.from), date(q.to)));
  }),
});

// NCRONTAB: second 0 of every fifth minute. Sealing waits 15 minutes after an hour ends.
app.timer('auditSeal', {
  schedule: '0 */5 * * * *',
  handler: async (_timer, context: InvocationContext) => {
    const { seal, purge } = await services().auditLog.maintain();
    // The head hash in the log is an outside copy of the chain's end (see README, Audit trail).
    if (seal.sealed > 0) {
      context.log(
        `audit: sealed ${seal.sealed} hour(s) through ${seal.sealedThrough}; head ${seal.headHash}`,
      );
    }
    if (purge.purgedDays.length > 0)
      context.log(`audit: purged ${purge.purgedDays.join(', ')} under retention`);
  },
});
