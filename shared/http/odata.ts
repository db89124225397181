// OData query options for collections: $top, $skiptoken, @odata.nextLink, and $filter (the
// subset in ./filter, re-exported here so endpoints import one module).
import { createHash } from 'node:crypto';
import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { badRequest } from './errors';
import type { FilterFields, FilterNode } from './filter/ast';
import { parseFilter } from './filter/parser';

export type * from './filter/ast';
export { matchesFilter, resolve } from './filter/evaluate';
export { MAX_FILTER_LENGTH } from './filter/lexer';
export { parseFilter } from './filter/parser';
export {
  andTableFilters,
  type TableColumn,
  type TableColumns,
  type TableQuery,
  toTableQuery,
} from './filter/table-query';

export const MAX_TOP = 999;
export const DEFAULT_TOP = 100;
const MAX_SKIPTOKEN_LENGTH = 4096;

/** `$top`: an integer 1..999; absent -> `defaultTop`. */
export function parseTop(query: URLSearchParams, defaultTop = DEFAULT_TOP): number {
  const raw = single(query, '$top');
  if (raw === undefined) return defaultTop;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_TOP) {
    throw badRequest(`$top must be an integer from 1 to ${MAX_TOP}.`, [
      { target: '$top', message: `expected 1..${MAX_TOP}` },
    ]);
  }
  return Number(raw);
}

/**
 * An opaque continuation: base64url of JSON. `bindTo` (e.g. the $filter text) is hashed into the
 * token, so a token cannot be replayed against a different query.
 */
export function encodeSkipToken(continuation: unknown, bindTo = ''): string {
  const payload = { v: 1, q: bindingOf(bindTo), c: continuation };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** Decodes a token from encodeSkipToken; anything tampered, foreign or malformed -> 400. */
export function decodeSkipToken<S extends z.ZodType>(token: string, schema: S, bindTo = ''): z.output<S> {
  const invalid = () =>
    badRequest('The $skiptoken is not valid for this request; start again without it.', [
      { target: '$skiptoken', message: 'invalid or does not belong to this query' },
    ]);
  if (token.length > MAX_SKIPTOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof payload !== 'object' || payload === null) throw invalid();
  const { v, q, c } = payload as Record<string, unknown>;
  if (v !== 1 || q !== bindingOf(bindTo)) throw invalid();
  const parsed = schema.safeParse(c);
  if (!parsed.success) throw invalid();
  return parsed.data;
}

/**
 * The absolute URL of the next page: the request's own URL with `$skiptoken` replaced. Other
 * parameters keep the caller's encoding, so the link is the query the caller wrote.
 */
export function nextLink(requestUrl: string, skipToken: string): string {
  const url = new URL(requestUrl);
  const kept = url.search
    .slice(1)
    .split('&')
    .filter((part) => part !== '' && decodeName(part) !== '$skiptoken');
  kept.push(`$skiptoken=${skipToken}`);
  url.search = '';
  return `${url.toString()}?${kept.join('&')}`;
}

export interface CollectionPage<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

/** Graph's collection body; the link appears only when there is a next page. */
export function collectionBody<T>(value: T[], requestUrl: string, nextSkipToken?: string): CollectionPage<T> {
  return nextSkipToken === undefined
    ? { value }
    : { value, '@odata.nextLink': nextLink(requestUrl, nextSkipToken) };
}

export interface CollectionQueryOptions<S extends z.ZodType> {
  /** The $filter allow-list; without it, $filter is refused. */
  filter?: FilterFields;
  /** Shape of the continuation this endpoint puts into its skip tokens. */
  continuation: S;
  defaultTop?: number;
  /** `$` options accepted besides $top, $skiptoken and (with `filter`) $filter. */
  extraOptions?: readonly string[];
}

export interface CollectionQuery<C> {
  top: number;
  filter: FilterNode | undefined;
  /** The decoded $skiptoken, when the caller asks for a later page. */
  continuation: C | undefined;
  /** Makes the $skiptoken for the next page (bound to this query's $filter). */
  skipToken(next: C): string;
}

/** Everything a list endpoint needs from the query string; unknown `$` options -> 400. */
export function parseCollectionQuery<S extends z.ZodType>(
  req: HttpRequest,
  options: CollectionQueryOptions<S>,
): CollectionQuery<z.output<S>> {
  const allowed = [
    '$top',
    '$skiptoken',
    ...(options.filter ? ['$filter'] : []),
    ...(options.extraOptions ?? []),
  ];
  rejectUnsupportedOptions(req.query, allowed);
  const filterText = single(req.query, '$filter') ?? '';
  const filter = options.filter ? parseFilter(filterText, options.filter) : undefined;
  const token = single(req.query, '$skiptoken');
  return {
    top: parseTop(req.query, options.defaultTop),
    filter,
    continuation: token === undefined ? undefined : decodeSkipToken(token, options.continuation, filterText),
    skipToken: (next) => encodeSkipToken(next, filterText),
  };
}

/** Query options starting with `$` that the endpoint does not support -> 400 naming them. */
export function rejectUnsupportedOptions(query: URLSearchParams, allowed: readonly string[]): void {
  for (const name of new Set(query.keys())) {
    if (name.startsWith('$') && !allowed.includes(name)) {
      throw badRequest(`Query option '${name}' is not supported here; supported: ${allowed.join(', ')}.`, [
        { target: name, message: 'not supported' },
      ]);
    }
  }
}

/** The one value of a query option; repeating it is ambiguous, so -> 400. */
function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1)
    throw badRequest(`Query option '${name}' is given more than once.`, [
      { target: name, message: 'repeated' },
    ]);
  return values[0];
}

function decodeName(part: string): string {
  const name = part.split('=')[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function bindingOf(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}
