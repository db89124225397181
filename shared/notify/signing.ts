// Signatures of webhook bodies, both ways: outgoing deliveries and connector calls are signed, and
// the incoming approval webhook is verified, with HMAC-SHA256 over `timestamp + "." + body`. The
// timestamp (Unix seconds) is inside the signed bytes, so an old message cannot be replayed with a
// new timestamp; receivers refuse timestamps more than five minutes away from their clock.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-jit-signature';
export const TIMESTAMP_HEADER = 'x-jit-timestamp';
export const REPLAY_WINDOW_SECONDS = 5 * 60;

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The headers that sign `body` at `at`. */
export function signedHeaders(secret: string, body: string, at: Date): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signature(secret, timestamp, body) };
}

export type SignatureProblem = 'missing' | 'stale' | 'mismatch';

/** Checks a received signature; undefined when it is good. Constant-time comparison. */
export function checkSignature(
  secret: string,
  body: string,
  timestamp: string | null,
  received: string | null,
  at: Date,
): SignatureProblem | undefined {
  if (!timestamp || !received) return 'missing';
  if (!/^\d{1,12}$/.test(timestamp)) return 'mismatch';
  if (Math.abs(at.getTime() / 1000 - Number(timestamp)) > REPLAY_WINDOW_SECONDS) return 'stale';
  const expected = Buffer.from(signature(secret, timestamp, body));
  const got = Buffer.from(received.trim());
  return got.length === expected.length && timingSafeEqual(got, expected) ? undefined : 'mismatch';
}
