// Optimistic concurrency: read, check the rules, commit with the guard row's ETag; when another
// change got in between (StaleReadError), do it all again on fresh data, after a short random
// pause so that racing writers spread out. A few attempts absorb ordinary contention; beyond that
// the caller gets the 409.
import { StaleReadError } from '../storage/stale-read';

const ATTEMPTS = 8;
const MAX_PAUSE_MS = 20;

export async function withRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof StaleReadError) || i >= ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * MAX_PAUSE_MS * i));
    }
  }
}

/**
 * Runs the commands of one key (a principal) one after another within this process, so that they
 * do not race each other for the same guard row; different keys run side by side.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
