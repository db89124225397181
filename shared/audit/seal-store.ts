// The AuditSeals table, apart from the rows it protects:
//
//   seal                 {invertedPeriodStart}   one seal per hour, newest first
//   manifest:{period}    {chunk:000000}          the period's entries (which rows, their digests)
//   late:{period}        {rowKey}                a late row of `period` and the later seal that holds it
//   purge                {sortableDayStart}      a day deleted under retention
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { and, invertedTime, partitionIs, sortableTime } from '../storage/keys';
import { createOnce, pageOf, readRow, rowsOf } from './audit-tables';
import {
  MANIFEST_LINES_PER_CHUNK,
  manifestLine,
  type PurgeFields,
  parseManifestLine,
  type SealEntry,
  type SealFields,
} from './seal-format';

export interface Seal extends SealFields {
  periodMs: number;
  hash: string;
  chunkCount: number;
  sealedDateTime: string;
  signature?: string;
  keyId?: string;
}

export interface PurgeRecord extends PurgeFields {
  signature?: string;
  keyId?: string;
}

export interface LateIndexEntry {
  /** The seal (period start, ISO) that holds the row. */
  seal: string;
  digest: string;
}

const SEAL = 'seal';
const PURGE = 'purge';

const manifestPartition = (periodMs: number) => `manifest:${sortableTime(periodMs)}`;
export const latePartition = (periodMs: number) => `late:${sortableTime(periodMs)}`;

function sealOf(row: Record<string, unknown>): Seal | undefined {
  const period = row.period;
  if (typeof period !== 'string') return undefined;
  return {
    period,
    periodMs: Date.parse(period),
    rowCount: Number(row.rowCount),
    lateCount: Number(row.lateCount),
    rowsHash: String(row.rowsHash),
    blocksHash: String(row.blocksHash),
    prevHash: String(row.prevHash),
    hash: String(row.hash),
    chunkCount: Number(row.chunkCount),
    sealedDateTime: String(row.sealedDateTime),
    ...(typeof row.signature === 'string' ? { signature: row.signature } : {}),
    ...(typeof row.keyId === 'string' ? { keyId: row.keyId } : {}),
  };
}

export class SealStore {
  constructor(readonly table: TableClient) {}

  async latest(): Promise<Seal | undefined> {
    const page = await pageOf(this.table, partitionIs(SEAL), 1);
    return page.items[0] ? sealOf(page.items[0]) : undefined;
  }

  /** The newest seal of a period before `ms`. */
  async before(ms: number): Promise<Seal | undefined> {
    const page = await pageOf(
      this.table,
      and(partitionIs(SEAL), odata`RowKey gt ${invertedTime(Math.max(0, ms))}`),
      1,
    );
    return page.items[0] ? sealOf(page.items[0]) : undefined;
  }

  async oldest(): Promise<Seal | undefined> {
    let last: Record<string, unknown> | undefined;
    for await (const row of rowsOf(this.table, partitionIs(SEAL), ['period'])) last = row;
    return last ? this.get(Date.parse(String(last.period))) : undefined;
  }

  async get(periodMs: number): Promise<Seal | undefined> {
    const row = await readRow(this.table, SEAL, invertedTime(periodMs));
    return row ? sealOf(row) : undefined;
  }

  /** Seals of periods in [fromMs, toMs), oldest first. */
  async range(fromMs: number, toMs: number): Promise<Seal[]> {
    const out: Seal[] = [];
    const filter = and(
      partitionIs(SEAL),
      odata`RowKey gt ${invertedTime(Math.max(0, toMs))}`,
      odata`RowKey le ${invertedTime(Math.max(0, fromMs))}`,
    );
    for await (const row of rowsOf(this.table, filter)) {
      const s = sealOf(row);
      if (s) out.push(s);
    }
    return out.reverse();
  }

  /** Creates the seal; false when one exists already for the period (another run sealed it). */
  create(seal: Seal): Promise<boolean> {
    const { periodMs, ...columns } = seal;
    return createOnce(this.table, { partitionKey: SEAL, rowKey: invertedTime(periodMs), ...columns });
  }

  async writeManifest(periodMs: number, entries: AsyncIterable<SealEntry>): Promise<number> {
    const pk = manifestPartition(periodMs);
    let batch: TransactionAction[] = [];
    let lines: string[] = [];
    let chunk = 0;
    const flushChunk = () => {
      batch.push([
        'upsert',
        { partitionKey: pk, rowKey: String(chunk++).padStart(6, '0'), entries: lines.join('\n') },
        'Replace',
      ]);
      lines = [];
    };
    for await (const e of entries) {
      lines.push(manifestLine(e));
      if (lines.length === MANIFEST_LINES_PER_CHUNK) flushChunk();
      if (batch.length === 50) {
        await this.table.submitTransaction(batch);
        batch = [];
      }
    }
    if (lines.length > 0) flushChunk();
    if (batch.length > 0) await this.table.submitTransaction(batch);
    return chunk;
  }

  /** The manifest's entries in order; a missing or garbled line reads as undefined. */
  async *manifest(periodMs: number, chunkCount: number): AsyncGenerator<SealEntry | undefined> {
    const pk = manifestPartition(periodMs);
    for (let i = 0; i < chunkCount; i++) {
      const row = await readRow(this.table, pk, String(i).padStart(6, '0'));
      const text = typeof row?.entries === 'string' ? row.entries : '';
      for (const line of text.split('\n')) yield parseManifestLine(line);
    }
  }

  async deleteManifest(periodMs: number): Promise<void> {
    await deletePartition(this.table, manifestPartition(periodMs));
    await deletePartition(this.table, latePartition(periodMs));
  }

  async lateIndex(rowPeriodMs: number, rowKey: string): Promise<LateIndexEntry | undefined> {
    const row = await readRow(this.table, latePartition(rowPeriodMs), rowKey);
    return row && typeof row.seal === 'string' && typeof row.digest === 'string'
      ? { seal: row.seal, digest: row.digest }
      : undefined;
  }

  async addLateIndex(rowPeriodMs: number, rowKey: string, entry: LateIndexEntry): Promise<void> {
    await this.table.upsertEntity({ partitionKey: latePartition(rowPeriodMs), rowKey, ...entry }, 'Replace');
  }

  async purge(dayStartMs: number): Promise<PurgeRecord | undefined> {
    const row = await readRow(this.table, PURGE, sortableTime(dayStartMs));
    if (!row || typeof row.day !== 'string') return undefined;
    return {
      day: row.day,
      purgedDateTime: String(row.purgedDateTime),
      retentionDays: Number(row.retentionDays),
      ...(typeof row.signature === 'string' ? { signature: row.signature } : {}),
      ...(typeof row.keyId === 'string' ? { keyId: row.keyId } : {}),
    };
  }

  /** Records the purge of a day before its rows go; an existing record (a resumed purge) is kept. */
  addPurge(dayStartMs: number, record: PurgeRecord): Promise<boolean> {
    return createOnce(this.table, { partitionKey: PURGE, rowKey: sortableTime(dayStartMs), ...record });
  }
}

/** Deletes every row of a partition, 100 per transaction. */
export async function deletePartition(table: TableClient, pk: string): Promise<number> {
  let n = 0;
  let batch: TransactionAction[] = [];
  const keys: string[] = [];
  for await (const row of rowsOf(table, partitionIs(pk))) keys.push(String(row.rowKey));
  for (const rk of keys) {
    batch.push(['delete', { partitionKey: pk, rowKey: rk }]);
    if (batch.length === 100) {
      await table.submitTransaction(batch);
      n += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await table.submitTransaction(batch);
    n += batch.length;
  }
  return n;
}
