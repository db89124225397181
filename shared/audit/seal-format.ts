// The canonical forms the seals hash: a row's digest, a period's row chain, a seal's own hash and
// signature, a purge record, and the manifest lines that let verification name a broken row.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Row } from '../storage/paging';

export const GENESIS_HASH = '0'.repeat(64);

// Service columns are not the row's content: the service rewrites them on every write.
const SERVICE_COLUMNS = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp']);

/**
 * SHA-256 over the row in a canonical form: its day, its RowKey and every stored column sorted by
 * name, as JSON. Any change to a value, a key (a row moved in time), an added or a removed column
 * changes the digest.
 */
export function rowDigest(day: string, row: Row): string {
  const columns = Object.keys(row)
    .filter((k) => !SERVICE_COLUMNS.has(k) && !k.startsWith('odata.'))
    .sort()
    .map((k) => [k, row[k]]);
  return createHash('sha256')
    .update(JSON.stringify([day, String(row.rowKey), columns]))
    .digest('base64url');
}

/** One row as a seal lists it: where it is and its digest. */
export interface SealEntry {
  day: string;
  rowKey: string;
  digest: string;
}

/** The hash chain over a period's entries, in order: each link hashes the previous one. */
export class RowChain {
  private hash: Buffer;
  count = 0;

  constructor(period: string) {
    this.hash = createHash('sha256').update(`jit-audit-rows/v1\n${period}`).digest();
  }

  add(e: SealEntry): void {
    this.hash = createHash('sha256').update(this.hash).update(`\n${e.day}|${e.rowKey}|${e.digest}`).digest();
    this.count++;
  }

  get hex(): string {
    return this.hash.toString('hex');
  }
}

export interface SealFields {
  /** Start of the sealed hour, ISO. */
  period: string;
  rowCount: number;
  lateCount: number;
  rowsHash: string;
  /** The hour's export blocks (audit-blocks.ts). */
  blocksHash: string;
  prevHash: string;
}

/** The seal's hash: its fields and the previous seal's hash (the link of the chain). */
export function sealHash(s: SealFields): string {
  return createHash('sha256')
    .update(
      `jit-audit-seal/v1\n${s.period}\n${s.rowCount}\n${s.lateCount}\n${s.rowsHash}\n${s.blocksHash}\n${s.prevHash}`,
    )
    .digest('hex');
}

export interface PurgeFields {
  day: string;
  purgedDateTime: string;
  retentionDays: number;
}

export function purgeText(p: PurgeFields): string {
  return `jit-audit-purge/v1\n${p.day}\n${p.purgedDateTime}\n${p.retentionDays}`;
}

/** An HMAC-SHA256 key from settings (AUDIT_SEAL_KEY), with a short id naming it in seals. */
export class SealKey {
  readonly id: string;

  constructor(private readonly key: Buffer) {
    this.id = createHash('sha256').update(key).digest('hex').slice(0, 12);
  }

  /** As AUDIT_SEAL_KEY holds it. */
  get base64(): string {
    return this.key.toString('base64');
  }

  static fromBase64(value: string | undefined): SealKey | undefined {
    return value ? new SealKey(Buffer.from(value, 'base64')) : undefined;
  }

  sign(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }

  verify(text: string, signature: unknown): boolean {
    if (typeof signature !== 'string') return false;
    const want = Buffer.from(this.sign(text));
    const got = Buffer.from(signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

// Manifest chunks: one line per entry, `{day}|{rowKey}\t{digest}`; a string column holds 32K
// characters and a line at most ~140, so 200 lines fit.
export const MANIFEST_LINES_PER_CHUNK = 200;

export function manifestLine(e: SealEntry): string {
  return `${e.day}|${e.rowKey}\t${e.digest}`;
}

export function parseManifestLine(line: string): SealEntry | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})\|([^\t]+)\t([A-Za-z0-9_-]{43})$/.exec(line);
  return m ? { day: m[1]!, rowKey: m[2]!, digest: m[3]! } : undefined;
}
