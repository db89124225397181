// Request parsing with zod: JSON bodies, query strings, and Graph's case-insensitive enums.
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { badRequest, HttpError, invalidInput } from './errors';

/** Bodies larger than this are refused before parsing; no request of this API comes close. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * An enum that accepts any letter case and outputs the canonical value, as Graph does
 * (`AfterDuration` = `afterDuration`). Built as preprocess + z.enum so the JSON Schema (OpenAPI)
 * still lists the canonical values.
 */
export function ciEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const canonical = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z.preprocess(
    (input) => (typeof input === 'string' ? (canonical.get(input.toLowerCase()) ?? input) : input),
    z.enum(values),
  );
}

// Zod says "expected string, received undefined" for a missing field; "Required." is clearer.
const errorMap: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'Required.' : undefined;

/** Parses `value` or throws a 400 whose details name every bad field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = 'request body',
  prefix = '',
): z.output<S> {
  const result = schema.safeParse(value, { error: errorMap });
  if (!result.success) throw invalidInput(result.error, what, prefix);
  return result.data;
}

/**
 * Reads the body as JSON and validates it. Bad JSON, an empty body (unless `emptyAs` says what it
 * means) or a schema failure -> 400.
 */
export async function readJsonBody<S extends z.ZodType>(
  req: HttpRequest,
  schema: S,
  options: { emptyAs?: unknown } = {},
): Promise<z.output<S>> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_JSON_BODY_BYTES) throw tooLarge();
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_JSON_BODY_BYTES) throw tooLarge();
  if (text.trim() === '') {
    if (options.emptyAs !== undefined) return parseOrThrow(schema, options.emptyAs);
    throw badRequest('A JSON request body is required.');
  }
  // A body in another format is refused rather than guessed at (a form post parsed as JSON, say).
  if (!isJson(req.headers.get('content-type'))) throw unsupportedMediaType(req.headers.get('content-type'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  return parseOrThrow(schema, withoutAnnotations(value));
}

// A body read back from a GET carries Graph's `@odata.context` (and perhaps `@odata.etag`): Graph
// ignores those in what it is sent, so a GET-modify-PATCH round trip works. Others mean something
// (`@odata.type`: which kind of approver; `@odata.id`: which member) and stay.
const IGNORED_ANNOTATIONS = new Set(['@odata.context', '@odata.etag']);

function withoutAnnotations(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = Object.entries(value);
  if (!entries.some(([k]) => IGNORED_ANNOTATIONS.has(k))) return value;
  return Object.fromEntries(entries.filter(([k]) => !IGNORED_ANNOTATIONS.has(k)));
}

/**
 * Validates query-string parameters (first value of each name) against an object schema.
 * OData's `$` options are handled by ./odata and are not passed here.
 */
export function parseQuery<S extends z.ZodType>(query: URLSearchParams, schema: S): z.output<S> {
  const values: Record<string, string> = {};
  for (const [name, value] of query) {
    if (!name.startsWith('$') && !(name in values)) values[name] = value;
  }
  return parseOrThrow(schema, values, 'query string');
}

/** application/json, or a +json type (application/merge-patch+json), any parameters. */
export function isJson(contentType: string | null): boolean {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

function unsupportedMediaType(sent: string | null): HttpError {
  const what = sent ? `'${sent.slice(0, 80)}'` : 'no Content-Type';
  return new HttpError(
    415,
    'UnsupportedMediaType',
    `The request body must be JSON with Content-Type: application/json (got ${what}).`,
  );
}

function tooLarge(): HttpError {
  return new HttpError(
    413,
    'RequestEntityTooLarge',
    `The request body exceeds ${MAX_JSON_BODY_BYTES} bytes.`,
  );
}
