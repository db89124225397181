// Audit rows, laid out for GET /auditLogs/directoryAudits (newest first) and for retention:
//
//   table Audit{yyyymmdd}, one per UTC day of activityDateTime (retention drops whole tables)
//     rows                    {invertedMs}|{auditId}   every row of the day: the record that seals cover
//   tables AuditInitiator{yyyymmdd}, AuditTarget{...}, AuditCorrelation{...}: the day's copies by key
//     initiator:{userId}      {invertedMs}|{auditId}   copy, for initiatedBy/user/id eq
//     target:{objectId}       {invertedMs}|{auditId}   copy per target, for targetResources/any(...)
//     correlation:{id}        {invertedMs}|{auditId}   copy, for correlationId eq
//   the catalog (a table per kind, audit-tables.ts):
//     AuditDays  days                {invertedDayStart}   one row per day that has rows
//     Audit{Kind}Days {kind}Days:{key} {invertedDayStart}  the days on which a key has rows
//   table AuditLogs
//     id:{auditId}            row                      where a row is, for ids that do not encode their time
//     late:{hourStart}        {day}|{rowKey}           rows that arrived late, by hour of arrival (see audit-seal.ts)
//
// Inverted milliseconds make ascending RowKey order newest first and a time window a RowKey range.
// A query reads one partition per day, walking the days its catalog lists newest first, so no
// query scans a table; ids are UUIDv7 of the activity time, so GET by id is one point read.
//
// Rows are append-only: the record and its copies are created, never replaced. Publishing an event
// again (after a crash, or the sweeper racing the request) finds the record there and keeps it as
// it is, with its first arrival time; only missing copies are added.
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { now as clockNow } from '../clock';
import { ValidationError } from '../domain/errors';
import { and, assertKey, partitionIs } from '../storage/keys';
import type { Page, Row } from '../storage/paging';
import {
  auditRowKey,
  catalogPartition,
  dayKey,
  dayMs,
  dayOf,
  hourKey,
  type IndexKind,
  indexPartition,
  keyPart,
  ROWS,
  rowKeyHigh,
  rowKeyLow,
} from './audit-keys';
import { type AuditTables, auditTables, createOnce, pageOf, readRow } from './audit-tables';
import { type AuditCategory, DirectoryAudit, idTime, initiatorId } from './directory-audit';

const DAYS = 'days';
// An export reads only the JSON (and the key its continuation needs).
const EXPORT_COLUMNS = ['RowKey', 'data'];
/** Days listed per catalog read. */
const CATALOG_READ = 64;

/**
 * A row published more than this after its activity time is "late": it may reach a period that is
 * already sealed, so it is registered by hour of arrival and sealed with that hour (audit-seal.ts).
 */
export const LATE_AFTER_MS = 60_000;

/** The stored columns of a row (the record and each copy carry the same). */
export const ROW_COLUMNS = [
  'category',
  'activityDisplayName',
  'activityDateTime',
  'correlationId',
  'initiatorId',
  'arrivedDateTime',
  'late',
  'data',
] as const;

/** Filters of GET /auditLogs/directoryAudits, already parsed. All present ones must hold. */
export interface AuditCriteria {
  /** activityDateTime >= from */
  from?: Date;
  /** activityDateTime <= to */
  to?: Date;
  category?: AuditCategory[];
  activityDisplayName?: string;
  initiatorId?: string;
  targetId?: string;
  correlationId?: string;
}

export interface AuditQuery {
  criteria?: AuditCriteria;
  top?: number;
  continuationToken?: string;
}

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** Everything one event writes, by table. Pure: the bench writes the same rows in bulk. */
export interface AuditEntities {
  day: string;
  rowKey: string;
  late: boolean;
  /** The record, in `rows` of the day table. */
  record: Entity;
  /** Index partitions of the day table that get a copy. */
  copyPartitions: string[];
  /** Catalog rows: days, per-key days, id pointer, late registry. */
  catalog: Entity[];
}

export function auditEntities(audit: DirectoryAudit, arrivedMs: number): AuditEntities {
  const ms = Date.parse(audit.activityDateTime);
  const day = dayOf(ms);
  const rowKey = auditRowKey(ms, assertKey(audit.id, 'audit id'));
  const late = arrivedMs - ms > LATE_AFTER_MS;
  const initiator = initiatorId(audit);
  const record: Entity = {
    partitionKey: ROWS,
    rowKey,
    category: audit.category,
    activityDisplayName: audit.activityDisplayName,
    activityDateTime: audit.activityDateTime,
    correlationId: audit.correlationId,
    initiatorId: initiator ?? '',
    arrivedDateTime: new Date(arrivedMs).toISOString(),
    ...(late ? { late: true } : {}),
    data: JSON.stringify(audit),
  };
  const keys: [IndexKind, string][] = [
    ['correlation', audit.correlationId],
    ...(initiator ? [['initiator', initiator] as [IndexKind, string]] : []),
    ...audit.targetResources.map((t) => ['target', t.id] as [IndexKind, string]),
  ];
  const dk = dayKey(ms);
  const catalog: Entity[] = [{ partitionKey: DAYS, rowKey: dk, day }];
  const copies = new Set<string>();
  for (const [kind, key] of keys) {
    copies.add(indexPartition(kind, key));
    catalog.push({ partitionKey: catalogPartition(kind, key), rowKey: dk, day });
  }
  if (idTime(audit.id) !== ms) {
    catalog.push({ partitionKey: `id:${keyPart(audit.id)}`, rowKey: 'row', day, recordKey: rowKey });
  }
  if (late) catalog.push({ partitionKey: `late:${hourKey(arrivedMs)}`, rowKey: `${day}|${rowKey}`, day });
  return {
    day,
    rowKey,
    late,
    record,
    copyPartitions: [...copies],
    catalog: dedupe(catalog, (e) => `${e.partitionKey}\n${e.rowKey}`),
  };
}

function dedupe<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) seen.set(key(item), item);
  return [...seen.values()];
}

const MAX_BATCH = 100;

function catalogKey(table: TableClient, e: Entity): string {
  return `${table.tableName}\n${e.partitionKey}\n${e.rowKey}`;
}

/** Entities grouped by table and partition: what one batch transaction may hold. */
class Batches {
  private readonly byKey = new Map<
    string,
    { table: TableClient; entities: Entity[]; rowKeys: Set<string> }
  >();

  add(table: TableClient, e: Entity): void {
    const key = `${table.tableName}\n${e.partitionKey}`;
    let group = this.byKey.get(key);
    if (!group) {
      group = { table, entities: [], rowKeys: new Set() };
      this.byKey.set(key, group);
    }
    if (group.rowKeys.has(e.rowKey)) return; // one operation per entity in a transaction
    group.rowKeys.add(e.rowKey);
    group.entities.push(e);
  }

  groups(): { table: TableClient; entities: Entity[] }[] {
    return [...this.byKey.values()];
  }
}

function submit(table: TableClient, batch: Entity[], op: 'create' | 'upsert'): Promise<unknown> {
  if (batch.length === 1) {
    return op === 'create' ? table.createEntity(batch[0]!) : table.upsertEntity(batch[0]!, 'Replace');
  }
  return table.submitTransaction(
    batch.map((e): TransactionAction => (op === 'create' ? ['create', e] : ['upsert', e, 'Replace'])),
  );
}

/** The stored columns of a row read back (no keys, no service metadata). */
export function columnsOf(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of ROW_COLUMNS) if (row[c] !== undefined) out[c] = row[c];
  return out;
}

// Continuations: the day and the last RowKey returned, and which index the query walks, so a
// token cannot be replayed against another index.
const Continuation = z.object({
  i: z.string().max(420),
  d: z.iso.date(),
  k: z.string().min(16).max(100),
});
type Continuation = z.infer<typeof Continuation>;

function encode(c: Continuation): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decode(token: string): Continuation {
  try {
    return Continuation.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw invalidToken();
  }
}

function invalidToken(): ValidationError {
  return new ValidationError('The continuation token is not valid for this query.', [
    { target: '$skiptoken', message: 'invalid' },
  ]);
}

interface Walk {
  /** Catalog partition listing the days. */
  catalog: string;
  /** Partition read in each day's table (`rows`) or index table (a key's copies). */
  partition: string;
  index: boolean;
}

/** Whether the criteria read a key's index (initiator, target, correlation) rather than days. */
export function usesKeyIndex(c: AuditCriteria): boolean {
  return walkOf(c).index;
}

function walkOf(c: AuditCriteria): Walk {
  // The most selective index: initiator, then target, then correlation; else every row.
  const pick: [IndexKind, string] | undefined = c.initiatorId
    ? ['initiator', c.initiatorId]
    : c.targetId
      ? ['target', c.targetId]
      : c.correlationId
        ? ['correlation', c.correlationId]
        : undefined;
  return pick
    ? { catalog: catalogPartition(...pick), partition: indexPartition(...pick), index: true }
    : { catalog: DAYS, partition: ROWS, index: false };
}

export interface AuditRepositoryOptions {
  tables?: AuditTables;
  /** When a row arrives (decides "late"); the app's clock by default. */
  now?: () => Date;
}

export class AuditRepository {
  readonly tables: AuditTables;
  private readonly now: () => Date;
  /** Catalog rows this process wrote already (they never change): saves a write per event. */
  private readonly written = new Set<string>();

  constructor(options: AuditRepositoryOptions = {}) {
    this.tables = options.tables ?? auditTables();
    this.now = options.now ?? clockNow;
  }

  /**
   * Writes the rows of each event (idempotent: the same event always produces the same rows).
   * Events are written together: one batch per table partition for the catalog, the day's rows
   * and each index key, so publishing many events costs a few requests, not a few per event.
   */
  async append(audits: readonly DirectoryAudit[]): Promise<void> {
    if (audits.length === 0) return;
    const arrived = this.now().getTime();
    const plans = dedupe(
      audits.map((a) => auditEntities(DirectoryAudit.parse(a), arrived)),
      (p) => `${p.day}\n${p.rowKey}`,
    );
    // Catalog first: a pointer to a row not yet written is harmless, a row no catalog lists is hidden.
    const catalog = new Batches();
    for (const e of plans.flatMap((p) => p.catalog)) {
      const table = this.tables.catalogFor(e.partitionKey);
      if (!this.written.has(catalogKey(table, e))) catalog.add(table, e);
    }
    await Promise.all(catalog.groups().map((g) => this.write(g.table, g.entities, 'upsert')));
    for (const g of catalog.groups()) {
      for (const e of g.entities) {
        if (e.partitionKey !== DAYS && !e.partitionKey.includes('Days:')) continue;
        if (this.written.size > 100_000) this.written.clear();
        this.written.add(catalogKey(g.table, e));
      }
    }
    // The records, in their days' tables. One published before keeps its columns (first arrival
    // time included), and its copies must match them.
    const records = new Batches();
    for (const p of plans) records.add(this.tables.day(p.day), p.record);
    const existing = new Map<string, Row>();
    await Promise.all(
      records.groups().map(async (g) => {
        for (const rowKey of await this.write(g.table, g.entities, 'create')) {
          const stored = await readRow(g.table, ROWS, rowKey);
          if (stored) existing.set(`${g.table.tableName}\n${rowKey}`, stored);
        }
      }),
    );
    const copies = new Batches();
    for (const p of plans) {
      const stored = existing.get(`${this.tables.day(p.day).tableName}\n${p.rowKey}`);
      const columns = columnsOf((stored ?? p.record) as Row);
      for (const pk of p.copyPartitions) {
        copies.add(this.tables.indexFor(p.day, pk), { ...columns, partitionKey: pk, rowKey: p.rowKey });
      }
    }
    await Promise.all(copies.groups().map((g) => this.write(g.table, g.entities, 'create')));
  }

  /**
   * Writes entities of one table partition: batches of 100, creating the table on first use (and
   * again when retention dropped it). For 'create', rows already there are kept and their row
   * keys returned.
   */
  private async write(table: TableClient, entities: Entity[], op: 'create' | 'upsert'): Promise<string[]> {
    await this.tables.ensure(table);
    const existing: string[] = [];
    for (let i = 0; i < entities.length; i += MAX_BATCH) {
      const batch = entities.slice(i, i + MAX_BATCH);
      try {
        await submit(table, batch, op);
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404) {
          // The day's table was dropped by retention since this process created it.
          this.tables.forget(table);
          await this.tables.ensure(table);
        } else if (status !== 409 || op !== 'create') throw err;
        // Some rows exist (a republished event): one by one, keeping those.
        for (const e of batch) {
          if (op === 'upsert') await table.upsertEntity(e, 'Replace');
          else if (!(await createOnce(table, e))) existing.push(e.rowKey);
        }
      }
    }
    return existing;
  }

  async get(id: string): Promise<DirectoryAudit | undefined> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) return undefined;
    const t = idTime(id);
    if (t !== undefined) {
      const row = await readRow(this.tables.day(dayOf(t)), ROWS, auditRowKey(t, id));
      if (row) return parseRow(row);
    }
    const ptr = await readRow(this.tables.catalog, `id:${keyPart(id)}`, 'row');
    if (!ptr || typeof ptr.day !== 'string' || typeof ptr.recordKey !== 'string') return undefined;
    const row = await readRow(this.tables.day(ptr.day), ROWS, ptr.recordKey);
    return row ? parseRow(row) : undefined;
  }

  /** Newest first, one page. */
  async query(q: AuditQuery): Promise<Page<DirectoryAudit>> {
    const c = q.criteria ?? {};
    const page = await this.page(c, q.top ?? 100, q.continuationToken, undefined);
    return {
      items: page.items.map((row) => keep(row, c)).filter((a): a is DirectoryAudit => a !== undefined),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  }

  /**
   * Every matching row as its stored JSON, newest first, for exports: pages of 1,000 with the
   * next page fetched while the caller consumes this one; nothing else is held.
   */
  async *stream(criteria: AuditCriteria = {}): AsyncGenerator<string> {
    const checkTarget =
      criteria.targetId !== undefined &&
      walkOf(criteria).partition !== indexPartition('target', criteria.targetId);
    let next: Promise<Page<Row>> | undefined = this.page(criteria, 1000, undefined, EXPORT_COLUMNS);
    while (next) {
      const page: Page<Row> = await next;
      next = page.continuationToken
        ? this.page(criteria, 1000, page.continuationToken, EXPORT_COLUMNS)
        : undefined;
      for (const row of page.items) {
        if (typeof row.data !== 'string' || (checkTarget && !keep(row, criteria))) continue;
        yield row.data;
      }
    }
  }

  // Walks the days of the chosen index newest first until the page is full or the window ends.
  // One catalog read lists many days; day pages are fetched concurrently in groups that grow
  // (1, 4, 16 days) when days are sparse, so a sparse index costs a few round trips, not one per
  // day, and a dense one reads no more than it needs. A full page resumes after its last RowKey.
  private async page(
    c: AuditCriteria,
    top: number,
    continuationToken: string | undefined,
    select: string[] | undefined,
  ): Promise<Page<Row>> {
    if (c.from && c.to && c.from.getTime() > c.to.getTime()) return { items: [] };
    const walk = walkOf(c);
    const token = continuationToken === undefined ? undefined : decode(continuationToken);
    if (token && token.i !== walk.partition) throw invalidToken();
    const items: Row[] = [];
    let below: string | undefined; // walk days older than this one
    let group = 1;
    for (;;) {
      const days = await this.catalogDays(walk, c, token && below === undefined ? token.d : below, !below);
      for (let g = 0; g < days.length; ) {
        const batch = days.slice(g, g + group);
        g += batch.length;
        const after = (day: string) => (token && day === token.d ? token.k : undefined);
        const pages = batch.map((day) => this.dayPage(day, walk, c, top, after(day), undefined, select));
        // Pages fetched ahead may go unread when the page fills first: never an unhandled rejection.
        for (const p of pages) p.catch(() => undefined);
        for (const [n, day] of batch.entries()) {
          let page = await (pages[n] as Promise<Page<Row>>);
          let last = after(day);
          for (;;) {
            for (const row of page.items) {
              items.push(row);
              last = String(row.rowKey);
              if (items.length === top) {
                return { items, continuationToken: encode({ i: walk.partition, d: day, k: last }) };
              }
            }
            if (!page.continuationToken) break;
            page = await this.dayPage(day, walk, c, top - items.length, last, page.continuationToken, select);
          }
        }
        group = Math.min(group * 4, 16);
      }
      if (days.length < CATALOG_READ) return { items };
      below = days[days.length - 1];
    }
  }

  private dayPage(
    day: string,
    walk: Walk,
    c: AuditCriteria,
    top: number,
    after: string | undefined,
    sdkToken: string | undefined,
    select: string[] | undefined,
  ): Promise<Page<Row>> {
    const filter = and(
      partitionIs(walk.partition),
      after === undefined || sdkToken !== undefined ? undefined : odata`RowKey gt ${after}`,
      conditions(c),
    );
    const table = walk.index ? this.tables.indexFor(day, walk.partition) : this.tables.day(day);
    return pageOf(table, filter, top, sdkToken, select);
  }

  /** Up to CATALOG_READ days of the walk, newest first: from `start` (inclusive) or below it. */
  private async catalogDays(
    walk: Walk,
    c: AuditCriteria,
    start: string | undefined,
    inclusive: boolean,
  ): Promise<string[]> {
    const newest =
      start !== undefined
        ? inclusive
          ? odata`RowKey ge ${dayKey(dayMs(start))}`
          : odata`RowKey gt ${dayKey(dayMs(start))}`
        : undefined;
    const bound = c.to ? odata`RowKey ge ${dayKey(Math.max(0, c.to.getTime()))}` : undefined;
    const page = await pageOf(
      this.tables.catalogFor(walk.catalog),
      and(partitionIs(walk.catalog), newest, bound, oldestBound(c)),
      CATALOG_READ,
    );
    return page.items.map((r) => r.day).filter((d): d is string => typeof d === 'string');
  }

  /** The days with rows in the criteria's window, newest first (the `days` catalog). */
  async *daysNewestFirst(c: AuditCriteria): AsyncGenerator<string> {
    const walk = walkOf({});
    let below: string | undefined;
    for (;;) {
      const days = await this.catalogDays(walk, c, below, false);
      yield* days;
      if (days.length < CATALOG_READ) return;
      below = days[days.length - 1];
    }
  }

  /** Days that have rows, oldest first, from `fromMs` on (one catalog partition, a row a day). */
  async *days(fromMs = 0): AsyncGenerator<string> {
    const all: string[] = [];
    const filter = and(partitionIs(DAYS), odata`RowKey le ${dayKey(Math.max(0, fromMs))}`);
    let token: string | undefined;
    do {
      const page = await pageOf(this.tables.catalogFor(DAYS), filter, 1000, token);
      for (const r of page.items) if (typeof r.day === 'string') all.push(r.day);
      token = page.continuationToken;
    } while (token);
    yield* all.reverse();
  }
}

function oldestBound(c: AuditCriteria): string | undefined {
  return c.from ? odata`RowKey le ${dayKey(Math.max(0, c.from.getTime()))}` : undefined;
}

/** Time window and column filters, all values through `odata`. */
export function conditions(c: AuditCriteria): string {
  const parts: string[] = [];
  if (c.to) parts.push(odata`RowKey ge ${rowKeyLow(c.to.getTime())}`);
  if (c.from) parts.push(odata`RowKey lt ${rowKeyHigh(c.from.getTime())}`);
  if (c.category && c.category.length > 0) {
    parts.push(c.category.map((cat) => odata`category eq ${cat}`).join(' or '));
  }
  if (c.activityDisplayName !== undefined) {
    parts.push(odata`activityDisplayName eq ${c.activityDisplayName}`);
  }
  if (c.correlationId !== undefined) parts.push(odata`correlationId eq ${c.correlationId}`);
  if (c.initiatorId !== undefined) parts.push(odata`initiatorId eq ${c.initiatorId}`);
  return and(...parts);
}

function parseRow(row: Row): DirectoryAudit | undefined {
  if (typeof row.data !== 'string') return undefined;
  try {
    const parsed = DirectoryAudit.safeParse(JSON.parse(row.data));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: an unreadable row is left out of lists; GET .../verify names it
  }
  console.warn(`audit: row ${String(row.partitionKey)}/${String(row.rowKey)} is not a directoryAudit`);
  return undefined;
}

// The target filter is checked in memory when another index was chosen (a row has several targets).
function keep(row: Row, c: AuditCriteria): DirectoryAudit | undefined {
  const audit = parseRow(row);
  if (!audit) return undefined;
  if (c.targetId !== undefined && !audit.targetResources.some((t) => t.id === c.targetId)) return undefined;
  return audit;
}
