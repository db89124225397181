// Builds Functions HTTP handlers that follow the API's conventions: request-id and
// client-request-id on every response, JSON bodies, thrown HttpErrors as Graph envelopes, and
// anything unexpected as a 500 envelope (stack to the log, never to the caller).
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { now } from '../clock';
import { countRequests } from '../storage/request-count';
import { errorEnvelope, HttpError } from './errors';
import { withOdataContext } from './odata-context';
import { selectOnEntity } from './select-entity';

export interface RequestInfo {
  /** New for every request; also the `request-id` response header. */
  requestId: string;
  /** The caller's `client-request-id` when it sent a usable one, else `requestId`. */
  clientRequestId: string;
  /** The caller's `client-request-id`, only when it sent one: a retried command carries the same. */
  sentClientRequestId?: string;
}

export type AppHandler = (
  req: HttpRequest,
  context: InvocationContext,
  info: RequestInfo,
) => Promise<HttpResponseInit>;

/** Turns an error of another layer (e.g. a domain error) into an HttpError, or passes. */
export type ErrorMapper = (err: unknown) => HttpError | undefined;

const mappers: ErrorMapper[] = [];

/** Lets other layers map their own errors without shared/http importing them. */
export function addErrorMapper(mapper: ErrorMapper): void {
  mappers.push(mapper);
}

// Echoed ids are visible ASCII and short, so a caller cannot make us send odd header values.
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Assignable to the `handler` of `app.http`. */
export type WrappedHandler = (req: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export function httpHandler(fn: AppHandler): WrappedHandler {
  return async (req, context) => {
    const requestId = randomUUID();
    const sent = req.headers.get('client-request-id');
    const usable = sent && CLIENT_REQUEST_ID.test(sent) ? sent : undefined;
    const info: RequestInfo = {
      requestId,
      clientRequestId: usable ?? requestId,
      sentClientRequestId: usable,
    };
    const { result: response, requests } = await countRequests(async () => {
      try {
        return await fn(req, context, info);
      } catch (err) {
        return errorResponse(err, context, info);
      }
    });
    const headers: Record<string, string> = diagnostics() ? { 'x-storage-requests': String(requests) } : {};
    if (req.method === 'GET' && (response.status ?? 200) === 200 && typeof response.body === 'string') {
      try {
        response.body = withOdataContext(req, selectOnEntity(req, response.body));
      } catch (err) {
        return withStandardHeaders(errorResponse(err, context, info), info, headers);
      }
    }
    return withStandardHeaders(response, info, headers);
  };
}

/** A JSON response. `undefined` body means none (e.g. 204). */
export function json(status: number, body?: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  if (body === undefined) return { status, headers };
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function noContent(headers: Record<string, string> = {}): HttpResponseInit {
  return { status: 204, headers };
}

function errorResponse(err: unknown, context: InvocationContext, info: RequestInfo): HttpResponseInit {
  const httpError = err instanceof HttpError ? err : mapError(err);
  const inner = {
    'request-id': info.requestId,
    'client-request-id': info.clientRequestId,
    date: now().toISOString(),
  };
  if (httpError) {
    if (httpError.status >= 500) {
      context.warn(`request ${info.requestId}: ${httpError.status} ${httpError.message}`);
    }
    return json(httpError.status, httpError.toEnvelope(inner), { ...httpError.headers });
  }
  context.error(`request ${info.requestId} failed:`, err instanceof Error ? (err.stack ?? err.message) : err);
  return json(500, errorEnvelope('InternalServerError', 'An unexpected error occurred.', [], inner));
}

function mapError(err: unknown): HttpError | undefined {
  for (const mapper of mappers) {
    const mapped = mapper(err);
    if (mapped) return mapped;
  }
  return undefined;
}

/** STORAGE_DIAGNOSTICS=true: each answer says how many storage requests it took (benchmarks). */
const diagnostics = () => /^(1|true)$/i.test(process.env.STORAGE_DIAGNOSTICS ?? '');

function withStandardHeaders(
  response: HttpResponseInit,
  info: RequestInfo,
  extra: Record<string, string> = {},
): HttpResponseInit {
  const headers = new Headers(response.headers as ConstructorParameters<typeof Headers>[0]);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  headers.set('request-id', info.requestId);
  headers.set('client-request-id', info.clientRequestId);
  const hasBody = response.body !== undefined || response.jsonBody !== undefined;
  // Without this, the Response class would label a string body text/plain.
  if (hasBody && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return { ...response, headers };
}
