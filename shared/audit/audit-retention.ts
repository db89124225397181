// Retention (AUDIT_RETENTION_DAYS): days older than the setting are deleted, oldest first, once
// every hour of the day is sealed. A day goes whole: its table is dropped (one call, however many
// rows) with its index tables, then the catalog rows that pointed into it. The seals stay, so the chain still verifies;
// a purge record (signed like the seals) written before anything is deleted says the day went
// under retention, and a crashed purge resumes from it on the next run.
import { partitionIs } from '../storage/keys';
import { catalogPartition, DAY_MS, dayKey, dayMs, HOUR_MS, hourKey, keyPart, ROWS } from './audit-keys';
import type { AuditRepository } from './audit-repository';
import { deleteRow, rowsOf } from './audit-tables';
import { DirectoryAudit, idTime, initiatorId } from './directory-audit';
import { purgeText, type SealKey } from './seal-format';
import { deletePartition, type SealStore } from './seal-store';

export interface PurgeRun {
  purgedDays: string[];
}

export class AuditRetention {
  constructor(
    private readonly repo: AuditRepository,
    private readonly seals: SealStore,
    private readonly key?: SealKey,
  ) {}

  async purgeDue(
    now: Date,
    retentionDays: number,
    budget: { maxDays?: number; deadline?: number } = {},
  ): Promise<PurgeRun> {
    const latest = await this.seals.latest();
    const purgedDays: string[] = [];
    if (!latest) return { purgedDays };
    const cutoff = now.getTime() - retentionDays * DAY_MS;
    const sealedUntil = latest.periodMs + HOUR_MS;
    for await (const day of this.repo.days()) {
      const end = dayMs(day) + DAY_MS;
      if (end > cutoff || end > sealedUntil) break;
      if (purgedDays.length >= (budget.maxDays ?? 7)) break;
      if (budget.deadline !== undefined && Date.now() > budget.deadline) break;
      await this.purgeDay(day, now, retentionDays);
      purgedDays.push(day);
    }
    return { purgedDays };
  }

  private async purgeDay(day: string, now: Date, retentionDays: number): Promise<void> {
    const start = dayMs(day);
    const fields = { day, purgedDateTime: now.toISOString(), retentionDays };
    await this.repo.tables.ensure(this.seals.table);
    await this.seals.addPurge(start, {
      ...fields,
      ...(this.key ? { signature: this.key.sign(purgeText(fields)), keyId: this.key.id } : {}),
    });
    const { catalog } = this.repo.tables;
    const table = this.repo.tables.day(day);
    // Catalog rows that point into this day: per-key day lists and id pointers.
    const dk = dayKey(start);
    const pointers = new Set<string>();
    for await (const row of rowsOf(table, partitionIs(ROWS), ['data'])) {
      for (const [pk, rk] of catalogRowsOf(row.data, dk)) pointers.add(`${pk}\n${rk}`);
    }
    await inParallel([...pointers], 16, (p) => {
      const [pk, rk] = p.split('\n') as [string, string];
      return deleteRow(this.repo.tables.catalogFor(pk), pk, rk);
    });
    for (let h = 0; h < 24; h++) {
      const hour = start + h * HOUR_MS;
      await deletePartition(catalog, `late:${hourKey(hour)}`);
      await this.seals.deleteManifest(hour);
    }
    for (const t of this.repo.tables.dayTables(day).reverse()) {
      try {
        await t.deleteTable();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
      this.repo.tables.forget(t);
    }
    await deleteRow(this.repo.tables.catalogFor('days'), 'days', dk);
  }
}

function catalogRowsOf(data: unknown, dk: string): [string, string][] {
  if (typeof data !== 'string') return [];
  let audit: DirectoryAudit;
  try {
    audit = DirectoryAudit.parse(JSON.parse(data));
  } catch {
    return [];
  }
  const out: [string, string][] = [[catalogPartition('correlation', audit.correlationId), dk]];
  const initiator = initiatorId(audit);
  if (initiator) out.push([catalogPartition('initiator', initiator), dk]);
  for (const t of audit.targetResources) out.push([catalogPartition('target', t.id), dk]);
  if (idTime(audit.id) !== Date.parse(audit.activityDateTime)) out.push([`id:${keyPart(audit.id)}`, 'row']);
  return out;
}

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
