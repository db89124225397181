// Starts an orchestration under a fixed instance id unless it already exists, so that an activity
// re-run after a crash does not start (or restart) it twice.
import type { DurableClient } from 'durable-functions';

export async function startOnce(
  client: DurableClient,
  name: string,
  instanceId: string,
  input: unknown,
): Promise<void> {
  const existing = await client.getStatus(instanceId).catch((err: unknown) => {
    if (err instanceof Error && /HTTP 404/.test(err.message)) return undefined;
    throw err;
  });
  if (existing) return;
  try {
    await client.startNew(name, { instanceId, input });
  } catch (err) {
    // Another run of the same activity won the race: the instance exists, which is all we want.
    if (!(err instanceof Error && /409|already exists/i.test(err.message))) throw err;
  }
}

/** Retry options as plain data, so an orchestration's input carries them from settings. */
export interface RetryPlan {
  firstMs: number;
  attempts: number;
}
