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
import { type Expandable, expandItems, expandOf } from './expand';
import { itemMatches } from './list-filter';

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
  /** `$select`: the properties to return (`id` always comes too); undefined = all. */
  select: string[] | undefined;
  /** `$expand`: related objects to include (functions/expand.ts); empty = none. */
  expand: Expandable[];
}

/**
 * `$top`, `$skiptoken` (wrapping the storage continuation), `$select`, with `filter` `$filter`, and
 * with `expandable` `$expand`.
 */
export function listQuery(
  req: HttpRequest,
  filter?: FilterFields,
  expandable: readonly Expandable[] = [],
): ListQuery {
  const q = parseCollectionQuery(req, {
    continuation: Continuation,
    extraOptions: ['$select', ...(expandable.length > 0 ? ['$expand'] : [])],
    ...(filter ? { filter } : {}),
  });
  const expand = expandOf(req, expandable);
  const select = selectOf(req);
  return {
    ...q,
    page: { top: q.top, continuationToken: q.continuation },
    select: select && [...new Set([...select, ...expand])],
    expand,
  };
}

const PROPERTY = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** `$select=a,b`: property names, each a plain identifier; anything else is a 400 naming it. */
function selectOf(req: HttpRequest): string[] | undefined {
  const raw = req.query.get('$select');
  if (raw === null) return undefined;
  const names = raw.split(',').map((n) => n.trim());
  const bad = names.find((n) => !PROPERTY.test(n));
  if (bad !== undefined)
    throw badRequest(`$select: '${bad}' is not a property name.`, [{ target: '$select', message: bad }]);
  return [...new Set(['id', ...names])];
}

/** The selected properties of `item`; a name the resource does not have is a 400, as in Graph. */
function selected(item: unknown, select: string[] | undefined): unknown {
  if (!select || item === null || typeof item !== 'object') return item;
  const record = item as Record<string, unknown>;
  const missing = select.find((n) => !(n in record));
  if (missing !== undefined)
    throw badRequest(`Could not find a property named '${missing}' on this resource.`, [
      { target: '$select', message: missing },
    ]);
  return Object.fromEntries(
    Object.entries(record).filter(([k]) => k.startsWith('@odata.') || select.includes(k)),
  );
}

/** A Graph collection response with `@odata.nextLink` when storage has more. */
export function collection<T, U>(
  req: HttpRequest,
  q: ListQuery,
  result: Page<T>,
  map: (item: T) => U,
): HttpResponseInit {
  const next = result.continuationToken ? q.skipToken(result.continuationToken) : undefined;
  return json(
    200,
    collectionBody(
      result.items.map((item) => selected(map(item), q.select)),
      req.url,
      next,
    ),
  );
}

/** `collection` of the shaped items that match the whole `$filter`, each with its `$expand`. */
export async function expandedCollection<T>(
  req: HttpRequest,
  ctx: OperationContext,
  q: ListQuery,
  result: Page<T>,
  map: (item: T) => unknown,
): Promise<HttpResponseInit> {
  const items = result.items
    .map((item) => ({ ...(map(item) as object) }) as Record<string, unknown>)
    .filter((item) => itemMatches(q.filter, item));
  await expandItems(ctx, items, q.expand);
  return collection(req, q, { ...result, items }, (item) => item);
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
