// A partition changed between read and write (its guard row's ETag moved on). Services re-read,
// re-check their rules and retry (shared/services/retry.ts); after a few attempts the caller gets 409.
import { ConflictError } from '../domain/errors';

export class StaleReadError extends ConflictError {
  constructor() {
    super('The resource was changed concurrently; retry the request.');
  }
}
