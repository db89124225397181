// An export by time (no initiator, target or correlation filter), newest first. Hours already
// sealed are read from their export blocks (audit-blocks.ts), a few hundred rows per entity, plus
// the rows marked late (left out of their hour's blocks, see audit-seal.ts), merged in by RowKey;
// hours not sealed yet are read row by row. Each read is a page fetched while the previous one is
// consumed; nothing else is held.
import { odata, type TableClient } from '@azure/data-tables';
import { and, partitionIs } from '../storage/keys';
import type { Page, Row } from '../storage/paging';
import { blockLines, blocksFilter, blockText } from './audit-blocks';
import { DAY_MS, dayMs, HOUR_MS, hourStart, ROWS, rowKeyHigh, rowKeyLow } from './audit-keys';
import { type AuditCriteria, type AuditRepository, conditions } from './audit-repository';
import { pageOf } from './audit-tables';
import type { SealStore } from './seal-store';

interface Line {
  rowKey: string;
  json: string;
}

export async function* streamByTime(
  repo: AuditRepository,
  seals: SealStore,
  c: AuditCriteria,
): AsyncGenerator<string> {
  const latest = await seals.latest();
  const sealedUntil = latest ? latest.periodMs + HOUR_MS : 0;
  const fromMs = c.from?.getTime() ?? 0;
  const toMs = c.to?.getTime() ?? Number.MAX_SAFE_INTEGER;
  // Only the category and name filters remain: the window is cut per day below.
  const columns = { category: c.category, activityDisplayName: c.activityDisplayName };
  for await (const day of repo.daysNewestFirst(c)) {
    const start = dayMs(day);
    const lo = Math.max(start, fromMs);
    const hi = Math.min(start + DAY_MS - 1, toMs);
    if (lo > hi) continue;
    const table = repo.tables.day(day);
    if (hi >= sealedUntil) {
      for await (const line of records(table, Math.max(lo, sealedUntil), hi, columns, false)) yield line.json;
    }
    if (lo < sealedUntil) yield* sealedHours(table, lo, Math.min(hi, sealedUntil - 1), columns);
  }
}

async function* pages(
  table: TableClient,
  filter: string,
  top: number,
  select?: string[],
): AsyncGenerator<Row[]> {
  let next: Promise<Page<Row>> | undefined = pageOf(table, filter, top, undefined, select);
  while (next) {
    const page: Page<Row> = await next;
    next = page.continuationToken ? pageOf(table, filter, top, page.continuationToken, select) : undefined;
    yield page.items;
  }
}

async function* records(
  table: TableClient,
  lo: number,
  hi: number,
  columns: AuditCriteria,
  lateOnly: boolean,
): AsyncGenerator<Line> {
  const filter = and(
    partitionIs(ROWS),
    odata`RowKey ge ${rowKeyLow(hi)}`,
    odata`RowKey lt ${rowKeyHigh(lo)}`,
    lateOnly ? odata`late eq ${true}` : undefined,
    conditions(columns),
  );
  for await (const rows of pages(table, filter, 1000, ['RowKey', 'data'])) {
    for (const row of rows) {
      if (typeof row.data === 'string') yield { rowKey: String(row.rowKey), json: row.data };
    }
  }
}

async function* sealedHours(
  table: TableClient,
  lo: number,
  hi: number,
  columns: AuditCriteria,
): AsyncGenerator<string> {
  const late: Line[] = [];
  for await (const line of records(table, lo, hi, columns, true)) late.push(line);
  const low = rowKeyLow(hi);
  const high = rowKeyHigh(lo);
  const keep = filterOf(columns);
  let next = 0;
  // A block holds ~450,000 characters: four per read.
  for await (const blocks of pages(table, blocksFilter(hourStart(lo), hourStart(hi)), 4)) {
    for (const block of blocks) {
      for (const line of blockLines(blockText(block))) {
        if (line.rowKey < low || line.rowKey >= high) continue;
        while (next < late.length && (late[next] as Line).rowKey < line.rowKey)
          yield (late[next++] as Line).json;
        if (keep(line.json)) yield line.json;
      }
    }
  }
  while (next < late.length) yield (late[next++] as Line).json;
}

// Blocks hold every row of their hour: the category and name filters apply here.
function filterOf(c: AuditCriteria): (json: string) => boolean {
  if (!c.category?.length && c.activityDisplayName === undefined) return () => true;
  return (json) => {
    try {
      const row = JSON.parse(json) as { category?: string; activityDisplayName?: string };
      if (c.category?.length && !c.category.includes(row.category as never)) return false;
      return c.activityDisplayName === undefined || row.activityDisplayName === c.activityDisplayName;
    } catch {
      return false;
    }
  };
}
