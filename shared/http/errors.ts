// Microsoft Graph's error envelope and the HttpError that handlers throw to produce it.
// Helpers return (not throw) the error so call sites read `throw notFound(...)` and TypeScript
// sees the control flow.
import type { z } from 'zod';

export interface ErrorDetail {
  target: string;
  message: string;
}

export interface InnerError {
  'request-id': string;
  'client-request-id': string;
  date: string;
}

export interface ErrorEnvelope {
  error: {
    code: string;
    message: string;
    details: ErrorDetail[];
    innerError?: InnerError;
  };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
    /** Extra response headers, e.g. WWW-Authenticate on 401 or Retry-After on 429. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(shortenQuoted(message));
    this.name = 'HttpError';
  }

  toEnvelope(innerError?: InnerError): ErrorEnvelope {
    return errorEnvelope(this.code, this.message, this.details, innerError);
  }
}

/** Messages quote what the caller sent ('<id>'); a quote longer than this is cut, so a 10,000-character id is not echoed whole. */
const MAX_QUOTED = 100;

export function shortenQuoted(message: string): string {
  return message.replace(new RegExp(`'([^']{${MAX_QUOTED}})[^']+'`, 'g'), "'$1…'");
}

export function isHttpError(value: unknown): value is HttpError {
  return value instanceof HttpError;
}

export function errorEnvelope(
  code: string,
  message: string,
  details: readonly ErrorDetail[] = [],
  innerError?: InnerError,
): ErrorEnvelope {
  return { error: { code, message, details: [...details], ...(innerError ? { innerError } : {}) } };
}

export function badRequest(
  message: string,
  details: readonly ErrorDetail[] = [],
  code = 'BadRequest',
): HttpError {
  return new HttpError(400, code, message, details);
}

/**
 * 401 with the RFC 6750 challenge. A request without credentials gets a bare `Bearer` challenge;
 * one with a bad token also gets `error="invalid_token"` so clients know to get a new one.
 */
export function unauthorized(message = 'Access token is empty.', invalidToken = false): HttpError {
  const challenge = invalidToken
    ? `Bearer error="invalid_token", error_description="${message.replace(/["\\]/g, '')}"`
    : 'Bearer';
  return new HttpError(401, 'InvalidAuthenticationToken', message, [], { 'WWW-Authenticate': challenge });
}

export function forbidden(message = 'Insufficient privileges to complete the operation.'): HttpError {
  return new HttpError(403, 'Authorization_RequestDenied', message);
}

/** Graph uses `Request_ResourceNotFound` for directory objects and `ResourceNotFound` elsewhere. */
export function notFound(
  message = 'The requested resource does not exist.',
  code: 'ResourceNotFound' | 'Request_ResourceNotFound' = 'ResourceNotFound',
): HttpError {
  return new HttpError(404, code, message);
}

/** 409, with a Graph-specific code where one exists (e.g. `RoleAssignmentExists`). */
export function conflict(message: string, code = 'Conflict'): HttpError {
  return new HttpError(409, code, message);
}

export function preconditionFailed(
  message = 'The resource was changed since it was read; read it again and retry with the new ETag.',
): HttpError {
  return new HttpError(412, 'PreconditionFailed', message);
}

export function tooManyRequests(message: string, retryAfterSeconds: number): HttpError {
  const seconds = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  return new HttpError(429, 'TooManyRequests', message, [], { 'Retry-After': seconds });
}

export function serviceUnavailable(message: string): HttpError {
  return new HttpError(503, 'ServiceUnavailable', message);
}

/** One detail per bad field; `target` is the dotted path (array indices as numbers: `a.0.b`). */
export function zodDetails(error: z.ZodError, prefix = ''): ErrorDetail[] {
  const join = (path: readonly PropertyKey[]) =>
    [prefix, ...path.map(String)].filter((p) => p !== '').join('.');
  return error.issues.flatMap((issue) => {
    // A strict object reports all unknown keys in one issue; name each as its own bad field.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ target: join([...issue.path, key]), message: 'Unknown property.' }));
    }
    return [{ target: join(issue.path) || '(root)', message: issue.message }];
  });
}

/** 400 for a schema failure: the message names the first problem, `details` lists every one. */
export function invalidInput(error: z.ZodError, what = 'request body', prefix = ''): HttpError {
  const details = zodDetails(error, prefix);
  const first = details[0];
  const more = details.length > 1 ? ` (and ${details.length - 1} more; see details)` : '';
  const message = first ? `Invalid ${what}: ${first.target}: ${first.message}${more}` : `Invalid ${what}.`;
  return badRequest(message, details);
}
