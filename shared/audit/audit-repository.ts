// Audit rows in table `AuditLogs`, laid out for GET /auditLogs/directoryAudits (newest first):
//
//   PartitionKey                 RowKey                       what
//   day:{yyyy-mm-dd}             {invertedMs}|{auditId}       every row, by UTC day of activityDateTime
//   days                         {invertedMs of day start}    one row per day that has audit rows
//   initiator:{userId}           {invertedMs}|{auditId}       copy, for initiatedBy/user/id eq
//   target:{objectId}            {invertedMs}|{auditId}       copy per target, for targetResources/any(...)
//   correlation:{correlationId}  {invertedMs}|{auditId}       copy, for correlationId eq
//   id:{auditId}                 row                          copy, for GET .../directoryAudits/{id}
//
// Inverted milliseconds make ascending RowKey order newest first, and a time window a RowKey range.
// A window spanning days is a few partition queries, newest day first (the `days` partition says
// which days exist); a filter on initiator, target or correlation id reads one partition. Every row
// is written with upsert and a RowKey derived from the event, so publishing an event again (after a
// crash, or by the sweeper and the request at once) rewrites identical rows: idempotent.
// Rows are append-only: nothing here updates or deletes.
import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { ValidationError } from '../domain/errors';
import { and, assertKey, invertedTime, isForbiddenKeyChar, partitionIs } from '../storage/keys';
import { getRow, type Page, queryPage, type Row } from '../storage/paging';
import { appTable, ensureTable, TableName } from '../storage/tables';
import { type AuditCategory, DirectoryAudit, initiatorId } from './directory-audit';

const DAY_MS = 86_400_000;
const DAYS = 'days';

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

// Ids from callers (a client-request-id, a $filter literal) may hold characters keys refuse;
// percent-encoding them keeps the key valid and the mapping one-to-one.
function keyPart(value: string): string {
  const encoded = [...value]
    .map((c) =>
      c === '%' || isForbiddenKeyChar(c) ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c,
    )
    .join('');
  // Keys are at most 1 KiB; ids longer than this are not ids.
  return encoded.slice(0, 400);
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

function rowKeyOf(audit: DirectoryAudit): string {
  return `${invertedTime(Date.parse(audit.activityDateTime))}|${assertKey(audit.id, 'audit id')}`;
}

// Continuations: single-partition queries pass the SDK's token through; the day walk also needs
// to know which day it is on.
const Continuation = z.union([
  z.object({ k: z.literal('p'), t: z.string().max(2048) }),
  z.object({
    k: z.literal('d'),
    d: z.iso.date(),
    t: z.string().max(2048).optional(),
    next: z.boolean().optional(),
  }),
]);
type Continuation = z.infer<typeof Continuation>;

function encode(c: Continuation): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decode(token: string): Continuation {
  try {
    return Continuation.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw new ValidationError('The continuation token is not valid for this query.', [
      { target: '$skiptoken', message: 'invalid' },
    ]);
  }
}

export class AuditRepository {
  constructor(private readonly table: TableClient = appTable(TableName.auditLogs)) {}

  /** Writes the rows of each event (idempotent: the same event always produces the same rows). */
  async append(audits: readonly DirectoryAudit[]): Promise<void> {
    if (audits.length === 0) return;
    await ensureTable(this.table);
    await Promise.all(audits.map((a) => this.appendOne(DirectoryAudit.parse(a))));
  }

  private async appendOne(audit: DirectoryAudit): Promise<void> {
    const ms = Date.parse(audit.activityDateTime);
    const rk = rowKeyOf(audit);
    const columns = {
      category: audit.category,
      activityDisplayName: audit.activityDisplayName,
      activityDateTime: audit.activityDateTime,
      correlationId: audit.correlationId,
      initiatorId: initiatorId(audit) ?? '',
      data: JSON.stringify(audit),
    };
    const partitions = new Set<string>([
      `day:${dayOf(ms)}`,
      `correlation:${keyPart(audit.correlationId)}`,
      ...(initiatorId(audit) ? [`initiator:${keyPart(initiatorId(audit)!)}`] : []),
      ...audit.targetResources.map((t) => `target:${keyPart(t.id)}`),
    ]);
    await Promise.all([
      ...[...partitions].map((pk) =>
        this.table.upsertEntity({ partitionKey: pk, rowKey: rk, ...columns }, 'Replace'),
      ),
      this.table.upsertEntity(
        { partitionKey: `id:${keyPart(audit.id)}`, rowKey: 'row', ...columns },
        'Replace',
      ),
      this.table.upsertEntity(
        { partitionKey: DAYS, rowKey: invertedTime(dayStart(ms)), day: dayOf(ms) },
        'Replace',
      ),
    ]);
  }

  async get(id: string): Promise<DirectoryAudit | undefined> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) return undefined;
    const row = await getRow(this.table, `id:${id}`, 'row');
    return row ? parseRow(row) : undefined;
  }

  /** Newest first. Uses the most selective index: initiator, then target, then correlation, else days. */
  async query(q: AuditQuery): Promise<Page<DirectoryAudit>> {
    const c = q.criteria ?? {};
    const top = q.top ?? 100;
    if (c.from && c.to && c.from.getTime() > c.to.getTime()) return { items: [] };
    const index = c.initiatorId
      ? `initiator:${keyPart(c.initiatorId)}`
      : c.targetId
        ? `target:${keyPart(c.targetId)}`
        : c.correlationId
          ? `correlation:${keyPart(c.correlationId)}`
          : undefined;
    const token = q.continuationToken === undefined ? undefined : decode(q.continuationToken);
    if (index !== undefined) {
      if (token && token.k !== 'p') throw decodeError();
      const page = await queryPage(
        this.table,
        and(partitionIs(index), this.conditions(c)),
        {
          top,
          continuationToken: token?.t,
        },
        (row) => keep(row, c),
      );
      return {
        items: page.items,
        ...(page.continuationToken
          ? { continuationToken: encode({ k: 'p', t: page.continuationToken }) }
          : {}),
      };
    }
    if (token && token.k !== 'd') throw decodeError();
    return this.queryDays(c, top, token);
  }

  // Walks day partitions newest first until the page is full or the window is exhausted.
  private async queryDays(
    c: AuditCriteria,
    top: number,
    token: Extract<Continuation, { k: 'd' }> | undefined,
  ): Promise<Page<DirectoryAudit>> {
    const items: DirectoryAudit[] = [];
    let day = token ? (token.next ? await this.olderDay(token.d, c) : token.d) : await this.newestDay(c);
    let sdkToken = token?.next ? undefined : token?.t;
    while (day !== undefined) {
      const page = await queryPage(
        this.table,
        and(partitionIs(`day:${day}`), this.conditions(c)),
        { top: top - items.length, continuationToken: sdkToken },
        (row) => keep(row, c),
      );
      items.push(...page.items);
      if (page.continuationToken) {
        return { items, continuationToken: encode({ k: 'd', d: day, t: page.continuationToken }) };
      }
      if (items.length >= top) return { items, continuationToken: encode({ k: 'd', d: day, next: true }) };
      day = await this.olderDay(day, c);
      sdkToken = undefined;
    }
    return { items };
  }

  /** Time window and column filters, all values through `odata`. */
  private conditions(c: AuditCriteria): string {
    const parts: string[] = [];
    if (c.to) parts.push(odata`RowKey ge ${invertedTime(Math.max(0, c.to.getTime()))}`);
    if (c.from) parts.push(odata`RowKey lt ${`${invertedTime(Math.max(0, c.from.getTime()))}}`}`);
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

  private async newestDay(c: AuditCriteria): Promise<string | undefined> {
    const bound = c.to ? odata`RowKey ge ${invertedTime(dayStart(Math.max(0, c.to.getTime())))}` : undefined;
    return this.firstDay(and(partitionIs(DAYS), bound, this.oldestBound(c)));
  }

  private async olderDay(day: string, c: AuditCriteria): Promise<string | undefined> {
    const current = invertedTime(Date.parse(`${day}T00:00:00.000Z`));
    return this.firstDay(and(partitionIs(DAYS), odata`RowKey gt ${current}`, this.oldestBound(c)));
  }

  private oldestBound(c: AuditCriteria): string | undefined {
    return c.from ? odata`RowKey le ${invertedTime(dayStart(Math.max(0, c.from.getTime())))}` : undefined;
  }

  private async firstDay(filter: string): Promise<string | undefined> {
    const page = await queryPage(this.table, filter, { top: 1 }, (row) =>
      typeof row.day === 'string' ? row.day : undefined,
    );
    return page.items[0];
  }
}

function decodeError(): ValidationError {
  return new ValidationError('The continuation token is not valid for this query.', [
    { target: '$skiptoken', message: 'invalid' },
  ]);
}

function parseRow(row: Row): DirectoryAudit | undefined {
  return typeof row.data === 'string' ? DirectoryAudit.parse(JSON.parse(row.data)) : undefined;
}

// The target filter is checked in memory when another index was chosen (a row has several targets).
function keep(row: Row, c: AuditCriteria): DirectoryAudit | undefined {
  const audit = parseRow(row);
  if (!audit) return undefined;
  if (c.targetId !== undefined && !audit.targetResources.some((t) => t.id === c.targetId)) return undefined;
  return audit;
}
