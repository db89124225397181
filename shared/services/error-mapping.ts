// Maps this layer's typed errors to Graph error envelopes. Register once at startup:
//   addErrorMapper(appErrorToHttp)   (shared/http/handler.ts)
import { isAppError } from '../domain/errors';
import { HttpError } from '../http/errors';

export function appErrorToHttp(err: unknown): HttpError | undefined {
  return isAppError(err)
    ? new HttpError(err.status, err.code, err.message, err.details, err.headers)
    : undefined;
}
