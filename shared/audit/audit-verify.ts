// GET /auditLogs/verify: recomputes the seal chain over a time range and names the first broken
// hour and, where it can, the row. Per hour: the seal's own hash, its link to the previous seal,
// its signature (with AUDIT_SEAL_KEY), then the chain over the hour's rows as they are now. When
// that differs, a second pass compares the rows with the seal's manifest to say which row was
// edited, deleted or inserted. Rows purged under retention are accounted for by purge records.

import type { Row } from '../storage/paging';
import { blocksHashOf } from './audit-blocks';
import { DAY_MS, dayOf, dayStart, HOUR_MS, hourStart, ROWS, rowKeyId, rowKeyTime } from './audit-keys';
import type { AuditRepository } from './audit-repository';
import { periodFilter } from './audit-seal';
import { readRow, rowsOf } from './audit-tables';
import {
  GENESIS_HASH,
  purgeText,
  RowChain,
  rowDigest,
  type SealEntry,
  type SealKey,
  sealHash,
} from './seal-format';
import type { PurgeRecord, Seal, SealStore } from './seal-store';

export type BreakReason =
  | 'sealMissing'
  | 'sealAltered'
  | 'chainBroken'
  | 'signatureInvalid'
  | 'rowModified'
  | 'rowDeleted'
  | 'rowInserted'
  | 'lateRowNotSealed'
  | 'rowsDoNotMatchSeal'
  | 'blocksAltered'
  | 'purgeInvalid';

export interface BrokenAt {
  /** Start of the broken hour, ISO. */
  period: string;
  reason: BreakReason;
  message: string;
  row?: { id: string; rowKey: string; activityDateTime: string };
}

export interface Verification {
  verified: boolean;
  from: string;
  to: string;
  /** End of the last sealed hour (later rows are not sealed yet), or null. */
  sealedThrough: string | null;
  /** Whether seal signatures were checked (AUDIT_SEAL_KEY set). */
  signaturesChecked: boolean;
  periods: { verified: number; purged: number; unsealed: number };
  rows: number;
  firstBroken: BrokenAt | null;
}

const CLOCK_SKEW_MS = 5 * 60_000;

function rowRef(rowKey: string): NonNullable<BrokenAt['row']> {
  const ms = rowKeyTime(rowKey);
  return {
    id: rowKeyId(rowKey),
    rowKey,
    activityDateTime: Number.isFinite(ms) ? new Date(ms).toISOString() : '',
  };
}

class Broken extends Error {
  constructor(readonly at: BrokenAt) {
    super(at.message);
  }
}

export class AuditVerifier {
  private readonly purges = new Map<string, Promise<PurgeRecord | undefined>>();
  private readonly lateManifests = new Map<number, Promise<SealEntry[]>>();

  constructor(
    private readonly repo: AuditRepository,
    private readonly seals: SealStore,
    private readonly key: SealKey | undefined,
    private readonly now: Date,
  ) {}

  /** Without `from`: from the first seal, but not more than `maxSpanMs` before `to`. */
  async verify(
    from: Date | undefined,
    to: Date,
    maxSpanMs = Number.POSITIVE_INFINITY,
  ): Promise<Verification> {
    const latest = await this.seals.latest();
    const first = from?.getTime() ?? (await this.seals.oldest())?.periodMs ?? to.getTime();
    const start = hourStart(from ? first : Math.max(first, to.getTime() - maxSpanMs));
    const toMs = to.getTime();
    const result: Verification = {
      verified: true,
      from: new Date(start).toISOString(),
      to: to.toISOString(),
      sealedThrough: latest ? new Date(latest.periodMs + HOUR_MS).toISOString() : null,
      signaturesChecked: this.key !== undefined,
      periods: { verified: 0, purged: 0, unsealed: 0 },
      rows: 0,
      firstBroken: null,
    };
    const headEnd = latest ? latest.periodMs + HOUR_MS : start;
    try {
      if (latest) await this.walk(start, Math.min(toMs + 1, headEnd), latest, result);
    } catch (err) {
      if (!(err instanceof Broken)) throw err;
      result.verified = false;
      result.firstBroken = err.at;
      return result;
    }
    // Hours after the last seal are not sealed yet: not broken, just not provable.
    const firstUnsealed = Math.max(start, headEnd);
    if (firstUnsealed <= toMs) result.periods.unsealed += Math.floor((toMs - firstUnsealed) / HOUR_MS) + 1;
    return result;
  }

  private async walk(start: number, end: number, latest: Seal, result: Verification): Promise<void> {
    const anchor = await this.seals.before(start);
    let expectedPrev = anchor?.hash ?? GENESIS_HASH;
    let chainStarted = anchor !== undefined;
    let rowsSinceLastPurge = false;
    for (let day = dayStart(start); day < end; day += DAY_MS) {
      const from = Math.max(day, start);
      const until = Math.min(day + DAY_MS, end);
      const seals = new Map((await this.seals.range(from, until)).map((s) => [s.periodMs, s]));
      const purge = await this.purgeOf(dayOf(day));
      for (let p = from; p < until; p += HOUR_MS) {
        const period = new Date(p).toISOString();
        const seal = seals.get(p);
        if (!seal) {
          if (!chainStarted) {
            result.periods.unsealed++; // before the first seal
            continue;
          }
          throw new Broken({ period, reason: 'sealMissing', message: `The seal of ${period} is missing.` });
        }
        chainStarted = true;
        this.checkSeal(seal, expectedPrev);
        expectedPrev = seal.hash;
        if (purge) {
          this.checkPurge(purge, day, period, rowsSinceLastPurge);
          result.periods.purged++;
          continue;
        }
        result.rows += await this.checkRows(seal, latest);
        if (seal.rowCount + seal.lateCount > 0) rowsSinceLastPurge = true;
        result.periods.verified++;
      }
    }
  }

  private checkSeal(seal: Seal, expectedPrev: string): void {
    const period = seal.period;
    if (sealHash(seal) !== seal.hash) {
      throw new Broken({ period, reason: 'sealAltered', message: `The seal of ${period} was altered.` });
    }
    if (seal.prevHash !== expectedPrev) {
      throw new Broken({
        period,
        reason: 'chainBroken',
        message: `The seal of ${period} does not link to the previous seal (a seal was removed or replaced).`,
      });
    }
    if (this.key && !this.key.verify(seal.hash, seal.signature)) {
      throw new Broken({
        period,
        reason: 'signatureInvalid',
        message: `The seal of ${period} is not signed with the configured key.`,
      });
    }
  }

  private checkPurge(purge: PurgeRecord, dayMs: number, period: string, rowsBefore: boolean): void {
    const purged = Date.parse(purge.purgedDateTime);
    const invalid = (why: string) =>
      new Broken({ period, reason: 'purgeInvalid', message: `The purge record of ${purge.day} ${why}.` });
    if (this.key && !this.key.verify(purgeText(purge), purge.signature))
      throw invalid('is not signed with the configured key');
    if (
      !Number.isInteger(purge.retentionDays) ||
      purge.retentionDays < 1 ||
      Number.isNaN(purged) ||
      purged < dayMs + DAY_MS + purge.retentionDays * DAY_MS ||
      purged > this.now.getTime() + CLOCK_SKEW_MS
    ) {
      throw invalid('does not fit its retention period');
    }
    // Retention deletes the oldest days first: a purged day after kept rows was not retention.
    if (rowsBefore) throw invalid('comes after days that were kept');
  }

  /** Recomputes the hour's chain from the rows as stored now; returns how many rows it covered. */
  private async checkRows(seal: Seal, latest: Seal): Promise<number> {
    const day = dayOf(seal.periodMs);
    const chain = new RowChain(seal.period);
    for await (const row of rowsOf(this.repo.tables.day(day), periodFilter(seal.periodMs))) {
      if (row.late === true) {
        await this.checkLateRow(seal, day, row, latest);
        continue;
      }
      chain.add({ day, rowKey: String(row.rowKey), digest: rowDigest(day, row) });
    }
    let index = 0;
    for await (const m of this.seals.manifest(seal.periodMs, seal.chunkCount)) {
      if (index++ < seal.rowCount) continue;
      if (!m) break;
      const row = await readRow(this.repo.tables.day(m.day), ROWS, m.rowKey);
      if (!row && (await this.purgeOf(m.day))) chain.add(m);
      else if (row) chain.add({ ...m, digest: rowDigest(m.day, row) });
    }
    if (chain.hex !== seal.rowsHash) throw new Broken(await this.locate(seal));
    if ((await blocksHashOf(this.repo.tables.day(day), seal.periodMs)) !== seal.blocksHash) {
      throw new Broken({
        period: seal.period,
        reason: 'blocksAltered',
        message: `The export copy of ${seal.period} (its blocks) was altered.`,
      });
    }
    return chain.count;
  }

  // A row marked late is left out of its own hour's seal; it must be in the seal of the hour it
  // arrived in, or still waiting for that seal.
  private async checkLateRow(seal: Seal, day: string, row: Row, latest: Seal): Promise<void> {
    const rowKey = String(row.rowKey);
    const digest = rowDigest(day, row);
    const notSealed = new Broken({
      period: seal.period,
      reason: 'lateRowNotSealed',
      message: `A row marked late in ${seal.period} is in no seal: it was inserted or altered after sealing.`,
      row: rowRef(rowKey),
    });
    const index = await this.seals.lateIndex(seal.periodMs, rowKey);
    if (!index) {
      const arrived = Date.parse(String(row.arrivedDateTime));
      const pending = arrived >= latest.periodMs + HOUR_MS && arrived <= this.now.getTime() + CLOCK_SKEW_MS;
      if (pending) return;
      throw notSealed;
    }
    const holder = await this.lateManifest(Date.parse(index.seal));
    if (!holder.some((e) => e.day === day && e.rowKey === rowKey && e.digest === digest)) {
      throw new Broken({
        period: seal.period,
        reason: 'rowModified',
        message: `A late row of ${seal.period} differs from what the seal of ${index.seal} holds.`,
        row: rowRef(rowKey),
      });
    }
  }

  private lateManifest(periodMs: number): Promise<SealEntry[]> {
    let entries = this.lateManifests.get(periodMs);
    if (!entries) {
      entries = (async () => {
        const seal = await this.seals.get(periodMs);
        if (!seal) return [];
        const out: SealEntry[] = [];
        let i = 0;
        for await (const m of this.seals.manifest(periodMs, seal.chunkCount)) {
          if (i++ >= seal.rowCount && m) out.push(m);
        }
        return out;
      })();
      this.lateManifests.set(periodMs, entries);
    }
    return entries;
  }

  // Second pass, only for a broken hour: rows against the manifest, both in RowKey order.
  private async locate(seal: Seal): Promise<BrokenAt> {
    const day = dayOf(seal.periodMs);
    const period = seal.period;
    const manifest = this.seals.manifest(seal.periodMs, seal.chunkCount)[Symbol.asyncIterator]();
    let listed = 0;
    const nextListed = async (): Promise<SealEntry | undefined> => {
      if (listed >= seal.rowCount) return undefined;
      listed++;
      const r = await manifest.next();
      return r.done ? undefined : r.value;
    };
    const at = (reason: BreakReason, rowKey: string, what: string): BrokenAt => ({
      period,
      reason,
      message: `In ${period}, ${what}.`,
      row: rowRef(rowKey),
    });
    let m = await nextListed();
    for await (const row of rowsOf(this.repo.tables.day(day), periodFilter(seal.periodMs))) {
      if (row.late === true) continue;
      const rowKey = String(row.rowKey);
      if (!m || rowKey < m.rowKey) return at('rowInserted', rowKey, 'a row was inserted after sealing');
      if (rowKey > m.rowKey) return at('rowDeleted', m.rowKey, 'a sealed row was deleted');
      if (m.digest !== rowDigest(day, row)) return at('rowModified', rowKey, 'a sealed row was modified');
      m = await nextListed();
    }
    if (m) return at('rowDeleted', m.rowKey, 'a sealed row was deleted');
    // Own rows match the manifest: the late rows the seal holds.
    for (;;) {
      const r = await manifest.next();
      if (r.done || !r.value) break;
      const e = r.value;
      const row = await readRow(this.repo.tables.day(e.day), ROWS, e.rowKey);
      if (!row) {
        if (await this.purgeOf(e.day)) continue;
        return at('rowDeleted', e.rowKey, 'a late row this seal holds was deleted');
      }
      if (rowDigest(e.day, row) !== e.digest)
        return at('rowModified', e.rowKey, 'a late row this seal holds was modified');
    }
    return {
      period,
      reason: 'rowsDoNotMatchSeal',
      message: `The rows of ${period} do not match its seal, and its manifest was altered too.`,
    };
  }

  private purgeOf(day: string): Promise<PurgeRecord | undefined> {
    let p = this.purges.get(day);
    if (!p) {
      p = this.seals.purge(Date.parse(`${day}T00:00:00.000Z`));
      this.purges.set(day, p);
    }
    return p;
  }
}
