// One signed JSON POST with a timeout. Throws a DeliveryError (with a message safe for audit rows:
// no URL, which may embed a credential, and no response body) on a non-2xx answer, a timeout or a
// connection failure; the caller's durable retry decides what happens next.
import { settings } from '../config';
import { signedHeaders } from './signing';

export class DeliveryError extends Error {}

export async function postSigned(
  url: string,
  secret: string | null,
  payload: unknown,
  at: Date,
  extraHeaders: Record<string, string> = {},
): Promise<number> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'jit-access-webhooks/1',
    ...extraHeaders,
    ...(secret ? signedHeaders(secret, body, at) : {}),
  };
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual', // a redirect could carry the signed body somewhere nobody registered
      signal: AbortSignal.timeout(settings().WEBHOOK_TIMEOUT_MS),
    });
  } catch (err) {
    throw new DeliveryError(describe(err));
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status < 200 || res.status > 299)
    throw new DeliveryError(`the receiver answered HTTP ${res.status}`);
  return res.status;
}

function describe(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'no answer within the timeout';
  if (e?.cause?.code) return `connection failed (${e.cause.code})`;
  return 'connection failed';
}

/** An error's message for an audit row or a log line: short, with URLs cut out. */
export function safeMessage(err: unknown): string {
  // The first line only: a failed durable activity's message carries the stack (with file paths).
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0].trim();
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 300);
}
