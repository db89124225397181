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
  MAX_TOP,
  parseCollectionQuery,
} from '../shared/http/odata';
import { pickSelected, selectedNames } from '../shared/http/select-entity';
import { readJsonBody } from '../shared/http/validation';
import { type GraphTypeName, graphPropertyNames } from '../shared/openapi/graph-schemas';
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
  /** `$count=true`: the answer says how many items match in all (lists that can count). */
  count: boolean;
}

export interface ListOptions {
  /** What `$expand` may name (functions/expand.ts). */
  expand?: readonly Expandable[];
  /** The one order the list has, which `$orderby` may ask for. */
  naturalOrder?: string;
  /** `$count=true` is answered (the list goes through expandedCollection). */
  countable?: boolean;
  /** The items' Graph type: `$select` may name only its properties, even on an empty page. */
  graphType?: GraphTypeName;
}

/**
 * `$top`, `$skiptoken` (wrapping the storage continuation), `$select`, and as the options say
 * `$filter`, `$expand`, `$count` and `$orderby`.
 */
export function listQuery(req: HttpRequest, filter?: FilterFields, options: ListOptions = {}): ListQuery {
  const expandable = options.expand ?? [];
  const naturalOrder = options.naturalOrder;
  const q = parseCollectionQuery(req, {
    continuation: Continuation,
    extraOptions: [
      '$select',
      ...(expandable.length > 0 ? ['$expand'] : []),
      ...(options.countable ? ['$count'] : []),
      ...(naturalOrder ? ['$orderby'] : []),
    ],
    ...(filter ? { filter } : {}),
  });
  if (naturalOrder) requireNaturalOrder(req, naturalOrder);
  const expand = expandOf(req, expandable);
  const select = selectedNames(req);
  if (select && options.graphType) requireGraphProperties(select, options.graphType);
  return {
    ...q,
    page: { top: q.top, continuationToken: q.continuation },
    select: select && [...new Set([...select, ...expand])],
    expand,
    count: countOf(req),
  };
}

/**
 * `$orderby` where the list's own order is one Graph clients ask for (audit rows: `activityDateTime
 * desc`): that order is accepted, any other is a 400 that names it (storage keeps only that order).
 */
function requireNaturalOrder(req: HttpRequest, natural: string): void {
  const raw = req.query.get('$orderby');
  if (raw === null) return;
  const asked = raw.trim().replace(/\s+/g, ' ').toLowerCase();
  if (asked === natural.toLowerCase()) return;
  throw badRequest(`$orderby: this list comes ordered by '${natural}' only.`, [
    { target: '$orderby', message: raw.slice(0, 64) },
  ]);
}

/** Each `$select` name is a property of the Graph type (the same 400 as for an item that lacks it). */
function requireGraphProperties(select: readonly string[], type: GraphTypeName): void {
  const known = new Set(graphPropertyNames(type));
  const missing = select.find((n) => !known.has(n));
  if (missing !== undefined)
    throw badRequest(`Could not find a property named '${missing}' on type 'microsoft.graph.${type}'.`, [
      { target: '$select', message: missing },
    ]);
}

/** `$count=true|false`; anything else is a 400. */
function countOf(req: HttpRequest): boolean {
  const raw = req.query.get('$count');
  if (raw === null || raw === 'false') return false;
  if (raw === 'true') return true;
  throw badRequest(`$count must be true or false, not '${raw.slice(0, 20)}'.`, [
    { target: '$count', message: raw.slice(0, 20) },
  ]);
}

/** The selected properties of `item` (lists: every item is checked, as Graph does). */
function selected(item: unknown, select: string[] | undefined): unknown {
  if (!select || item === null || typeof item !== 'object') return item;
  return pickSelected(item as Record<string, unknown>, select);
}

/** A Graph collection response with `@odata.nextLink` when storage has more. */
export function collection<T, U>(
  req: HttpRequest,
  q: ListQuery,
  result: Page<T>,
  map: (item: T) => U,
  count?: number,
): HttpResponseInit {
  const next = result.continuationToken ? q.skipToken(result.continuationToken) : undefined;
  const body = collectionBody(
    result.items.map((item) => selected(map(item), q.select)),
    req.url,
    next,
  );
  return json(200, count === undefined ? body : { '@odata.count': count, ...body });
}

/**
 * The page `list` gives for the query: the shaped items that match the whole `$filter`, each with its
 * `$expand`, and with `$count=true` the number of matching items on every page (`@odata.count`; it
 * reads them all, so it costs a list's storage requests).
 */
export async function expandedCollection<T>(
  req: HttpRequest,
  ctx: OperationContext,
  q: ListQuery,
  list: (page: PageRequest) => Promise<Page<T>>,
  map: (item: T) => unknown,
): Promise<HttpResponseInit> {
  const shaped = (page: Page<T>) =>
    page.items
      .map((item) => ({ ...(map(item) as object) }) as Record<string, unknown>)
      .filter((item) => itemMatches(q.filter, item));
  const [result, count] = await Promise.all([
    list(q.page),
    q.count ? countAll(list, (page) => shaped(page).length) : undefined,
  ]);
  const items = shaped(result);
  await expandItems(ctx, items, q.expand);
  return collection(req, q, { ...result, items }, (item) => item, count);
}

async function countAll<T>(
  list: (page: PageRequest) => Promise<Page<T>>,
  matching: (page: Page<T>) => number,
): Promise<number> {
  let total = 0;
  let continuationToken: string | undefined;
  do {
    const page = await list({ top: MAX_TOP, continuationToken });
    total += matching(page);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return total;
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
