// Time-ordered ids (UUIDv7, RFC 9562): a random GUID whose first 48 bits are a time, so that the
// id alone says when (audit rows: which day table and row key; activation requests: where they
// sort among the principal's requests).
import { randomBytes } from 'node:crypto';

/** A UUIDv7 whose 48-bit timestamp is `ms`. */
export function timeOrderedId(ms: number): string {
  const b = randomBytes(16);
  b.writeUIntBE(Math.max(0, Math.trunc(ms)), 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The timestamp of a UUIDv7, or undefined for any other id. */
export function idTime(id: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) return undefined;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
