// Maps this layer's typed errors to Graph error envelopes. Register once at startup:
//   addErrorMapper(appErrorToHttp)   (shared/http/handler.ts)
import { isAppError } from '../domain/errors';
import { HttpError } from '../http/errors';
import { isStorageUnavailable } from '../storage/unavailable';

/** How long a caller should wait before retrying while storage is unreachable. */
const RETRY_AFTER_SECONDS = 5;

export function appErrorToHttp(err: unknown): HttpError | undefined {
  if (isAppError(err)) return new HttpError(err.status, err.code, err.message, err.details, err.headers);
  // Storage down: nothing was decided for the caller (a commit that may have landed is finished by
  // the outbox, and a retry with the same client-request-id answers with it), so: try again soon.
  if (isStorageUnavailable(err))
    return new HttpError(
      503,
      'ServiceUnavailable',
      'Storage is not reachable right now; retry shortly.',
      [],
      { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    );
  return undefined;
}
