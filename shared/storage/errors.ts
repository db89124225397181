// Maps Table Storage failures to the typed errors the HTTP layer turns into 409/412.
import { RestError } from '@azure/data-tables';
import { ConflictError, PreconditionFailedError } from '../domain/errors';

export function statusOf(err: unknown): number | undefined {
  return err instanceof RestError ? err.statusCode : undefined;
}

/**
 * For writes guarded by an ETag the caller supplied (If-Match): 412, or 404 (deleted since read)
 * -> PreconditionFailedError; 409 (a create found the row) -> ConflictError; others pass through.
 */
export function translateWriteError(err: unknown): unknown {
  const status = statusOf(err);
  if (status === 412 || status === 404) return new PreconditionFailedError();
  if (status === 409) return new ConflictError();
  return err;
}

/** In an entity-group transaction the service names the failed operation: "3:The update condition...". */
export function failedOperationIndex(err: unknown): number | undefined {
  if (!(err instanceof RestError)) return undefined;
  const m = /^(\d+):/.exec(err.message);
  return m ? Number(m[1]) : undefined;
}
