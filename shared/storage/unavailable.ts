// Whether a storage call failed because storage could not be reached (down, restarting, throttling,
// timing out) rather than because of what was asked: the caller should retry shortly, so the API
// answers 503 with Retry-After instead of 500.
import { RestError } from '@azure/data-tables';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'REQUEST_SEND_ERROR',
]);

export function isStorageUnavailable(err: unknown): boolean {
  if (err instanceof RestError) {
    if (err.statusCode === undefined) return true; // no answer at all
    return err.statusCode === 503 || err.statusCode === 500 || err.statusCode === 408;
  }
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; name?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  return e.cause !== undefined && e.cause !== err && isStorageUnavailable(e.cause);
}
