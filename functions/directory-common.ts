// Shared plumbing of the directory endpoints (roles, groups, schedules, policies, audit rows) that
// sit on shared/services: the caller's operation context, raw JSON bodies, and Graph collections.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { authenticate } from '../shared/auth/authenticate';
import { now } from '../shared/clock';
import { badRequest } from '../shared/http/errors';
import { addErrorMapper, json, type RequestInfo } from '../shared/http/handler';
import {
  type CollectionQuery,
  collectionBody,
  type FilterFields,
  type FilterNode,
  parseCollectionQuery,
} from '../shared/http/odata';
import { readJsonBody } from '../shared/http/validation';
import { type OperationContext, services, userContext } from '../shared/services';
import { appErrorToHttp } from '../shared/services/error-mapping';
import type { Page, PageRequest } from '../shared/storage/paging';

// Once per process (ES modules are evaluated once): the services' typed errors -> Graph envelopes.
addErrorMapper(appErrorToHttp);

/** Authenticates and builds the services' context; records the user from its claims on first call. */
export async function operationContext(req: HttpRequest, info: RequestInfo): Promise<OperationContext> {
  const caller = await authenticate(req);
  const ctx = userContext(
    { id: caller.id, displayName: caller.name || null, mfa: caller.hasFreshMfa(now()), acrs: caller.acrs },
    info.clientRequestId,
  );
  // Best effort: a user row only adds names to lists and audit rows; a failure must not block the call.
  await services()
    .users.ensureUser(
      {
        id: caller.id,
        displayName: caller.name || caller.id,
        userPrincipalName: caller.username || caller.id,
      },
      ctx,
    )
    .catch(() => undefined);
  return ctx;
}

/** Any JSON body (the services validate it and answer 400 with every bad field). */
export function readRawBody(req: HttpRequest): Promise<unknown> {
  return readJsonBody(req, z.unknown());
}

const Continuation = z.string().min(1).max(4096);

export interface ListQuery extends CollectionQuery<string> {
  page: PageRequest;
}

/** `$top`, `$skiptoken` (wrapping the storage continuation) and, with `filter`, `$filter`. */
export function listQuery(req: HttpRequest, filter?: FilterFields): ListQuery {
  const q = parseCollectionQuery(req, { continuation: Continuation, ...(filter ? { filter } : {}) });
  return { ...q, page: { top: q.top, continuationToken: q.continuation } };
}

/** A Graph collection response with `@odata.nextLink` when storage has more. */
export function collection<T, U>(
  req: HttpRequest,
  q: ListQuery,
  result: Page<T>,
  map: (item: T) => U,
): HttpResponseInit {
  const next = result.continuationToken ? q.skipToken(result.continuationToken) : undefined;
  return json(200, collectionBody(result.items.map(map), req.url, next));
}

/** The If-Match header, when sent. */
export function ifMatchOf(req: HttpRequest): string | undefined {
  return req.headers.get('if-match') ?? undefined;
}

/** `a eq 'x' and b eq 'y'` -> {a: 'x', b: 'y'}; anything else in the filter is a clear 400. */
export function eqValues(filter: FilterNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (n: FilterNode): void => {
    if (n.kind === 'and') {
      n.clauses.forEach(visit);
      return;
    }
    if (n.kind !== 'compare' || n.operator !== 'eq' || typeof n.value !== 'string')
      throw badRequest('Only eq comparisons joined by and are supported here.', [
        { target: '$filter', message: 'unsupported expression' },
      ]);
    if (out[n.property] !== undefined && out[n.property] !== n.value)
      throw badRequest(`'${n.property}' is compared twice with different values.`, [
        { target: '$filter', message: n.property },
      ]);
    out[n.property] = n.value;
  };
  if (filter) visit(filter);
  return out;
}
