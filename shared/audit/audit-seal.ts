// Seals closed hours of the audit log: a SHA-256 chain over each hour's rows in canonical form
// (seal-format.ts), linked to the previous hour's seal, optionally HMAC-signed, stored in
// AuditSeals with a manifest of the rows so that verification can name the row that changed.
// The hour's rows are also packed into export blocks (audit-blocks.ts), whose hash the seal holds.
//
// Late rows. The outbox publishes a change's rows after its commit, and a crashed request's rows
// only when the sweeper finds them (minutes later), so rows can reach an hour after it closed:
//  - An hour is sealed only SEAL_DELAY_MS after it ends: longer than the outbox sweep's grace and
//    interval (5 + 5 minutes), so rows published promptly are in before the seal.
//  - A row published more than LATE_AFTER_MS after its activity time is marked `late` and
//    registered under its hour of arrival (audit-repository.ts). Its own hour's seal leaves it out;
//    the seal of its arrival hour chains it after that hour's own rows, and a late index records
//    where it went. So a row that arrives after its hour was sealed never breaks that seal, and is
//    itself sealed (and verified) with the hour it arrived in. Whether a row is late is written in
//    the row when it is first stored, so sealing and verifying agree on it.
import { odata, type TableClient } from '@azure/data-tables';
import { and, partitionIs } from '../storage/keys';
import { BlockWriter } from './audit-blocks';
import { dayOf, HOUR_MS, hourKey, hourStart, ROWS, rowKeyHigh, rowKeyLow, rowKeyTime } from './audit-keys';
import type { AuditRepository } from './audit-repository';
import { readRow, rowsOf } from './audit-tables';
import { GENESIS_HASH, RowChain, rowDigest, type SealEntry, type SealKey, sealHash } from './seal-format';
import type { LateIndexEntry, Seal, SealStore } from './seal-store';

/** Longer than the outbox sweep's grace plus its interval; see above. */
export const SEAL_DELAY_MS = 15 * 60_000;

/** The rows of one hour in a day table, in RowKey order. */
export function periodFilter(periodMs: number): string {
  return and(
    partitionIs(ROWS),
    odata`RowKey ge ${rowKeyLow(periodMs + HOUR_MS - 1)}`,
    odata`RowKey lt ${rowKeyHigh(periodMs)}`,
  );
}

/** `{day}|{rowKey}` of the late registry. */
export function splitRegistryKey(key: string): { day: string; rowKey: string } {
  return { day: key.slice(0, 10), rowKey: key.slice(11) };
}

export interface SealRun {
  sealed: number;
  /** End of the last sealed hour, ISO. */
  sealedThrough?: string;
  /** The hash of the newest seal: the end of the chain. */
  headHash?: string;
}

export class AuditSealer {
  constructor(
    private readonly repo: AuditRepository,
    private readonly seals: SealStore,
    private readonly key?: SealKey,
  ) {}

  /** Seals every closed hour up to `now - SEAL_DELAY_MS`, oldest first, within the budget. */
  async sealDue(now: Date, budget: { maxPeriods?: number; deadline?: number } = {}): Promise<SealRun> {
    await this.repo.tables.ensure(this.seals.table);
    const latest = await this.seals.latest();
    let next = latest ? latest.periodMs + HOUR_MS : await this.genesis();
    let prevHash = latest?.hash ?? GENESIS_HASH;
    let sealed = 0;
    const max = budget.maxPeriods ?? 24 * 31;
    while (
      next !== undefined &&
      next + HOUR_MS + SEAL_DELAY_MS <= now.getTime() &&
      sealed < max &&
      (budget.deadline === undefined || Date.now() < budget.deadline)
    ) {
      const seal = await this.sealPeriod(next, prevHash, now);
      prevHash = seal.hash;
      next += HOUR_MS;
      sealed++;
    }
    const anySeal = next !== undefined && (latest !== undefined || sealed > 0);
    return {
      sealed,
      ...(anySeal ? { sealedThrough: new Date(next as number).toISOString(), headHash: prevHash } : {}),
    };
  }

  // The chain starts at the first hour of the oldest day with rows.
  private async genesis(): Promise<number | undefined> {
    for await (const day of this.repo.days()) return Date.parse(`${day}T00:00:00.000Z`);
    return undefined;
  }

  private async sealPeriod(periodMs: number, prevHash: string, now: Date): Promise<Seal> {
    const period = new Date(periodMs).toISOString();
    const day = dayOf(periodMs);
    const tables = this.repo.tables;
    const chain = new RowChain(period);
    const late: { rowPeriod: number; rowKey: string; entry: LateIndexEntry }[] = [];
    let rowCount = 0;
    const seals = this.seals;
    const blocks = new BlockWriter(tables.day(day), periodMs);
    async function* entries(): AsyncGenerator<SealEntry> {
      for await (const row of rowsOf(tables.day(day), periodFilter(periodMs))) {
        if (row.late === true) continue;
        const e = { day, rowKey: String(row.rowKey), digest: rowDigest(day, row) };
        chain.add(e);
        rowCount++;
        await blocks.add(e.rowKey, String(row.data));
        yield e;
      }
      yield* lateEntries(tables.catalog, tables.day.bind(tables), seals, periodMs, period, chain, late);
    }
    const chunkCount = await this.seals.writeManifest(periodMs, entries());
    const { blocksHash } = await blocks.finish();
    for (const l of late) await this.seals.addLateIndex(l.rowPeriod, l.rowKey, l.entry);
    const fields = { period, rowCount, lateCount: late.length, rowsHash: chain.hex, blocksHash, prevHash };
    const hash = sealHash(fields);
    const seal: Seal = {
      ...fields,
      periodMs,
      hash,
      chunkCount,
      sealedDateTime: now.toISOString(),
      ...(this.key ? { signature: this.key.sign(hash), keyId: this.key.id } : {}),
    };
    if (await this.seals.create(seal)) return seal;
    // Another run sealed it first: continue from its seal.
    return (await this.seals.get(periodMs)) ?? seal;
  }
}

// Late rows that arrived during the hour and are not sealed yet, in registry order.
async function* lateEntries(
  catalog: TableClient,
  dayTable: (day: string) => TableClient,
  seals: SealStore,
  periodMs: number,
  period: string,
  chain: RowChain,
  out: { rowPeriod: number; rowKey: string; entry: LateIndexEntry }[],
): AsyncGenerator<SealEntry> {
  for await (const reg of rowsOf(catalog, partitionIs(`late:${hourKey(periodMs)}`))) {
    const { day, rowKey } = splitRegistryKey(String(reg.rowKey));
    const rowPeriod = hourStart(rowKeyTime(rowKey));
    if (await seals.lateIndex(rowPeriod, rowKey)) continue; // sealed with an earlier hour
    const row = await readRow(dayTable(day), ROWS, rowKey);
    // A registration whose row is missing or on time was a retry of a row stored earlier.
    if (row?.late !== true) continue;
    const e = { day, rowKey, digest: rowDigest(day, row) };
    chain.add(e);
    out.push({ rowPeriod, rowKey, entry: { seal: period, digest: e.digest } });
    yield e;
  }
}
