// Optimistic concurrency: read, check the rules, commit with the head's ETag; when another change
// got in between (StaleReadError), do it all again on fresh data. A few attempts absorb ordinary
// contention; beyond that the caller gets the 409.
import { StaleReadError } from '../storage/role-management-repository';

const ATTEMPTS = 5;

export async function withRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof StaleReadError) || i >= ATTEMPTS) throw err;
    }
  }
}
