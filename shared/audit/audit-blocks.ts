// Export blocks: when an hour is sealed, its rows (as read for the seal) are also written packed,
// a few hundred to an entity, in the day table's `blocks` partition. An export of sealed hours
// reads these instead of one entity per row: fewer, larger reads, for the same bytes. The seal
// covers the blocks' hash, so a block edited later is as detectable as a row (audit-verify.ts);
// blocks go with their day table under retention.
import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { and, invertedTime, partitionIs } from '../storage/keys';
import type { Row } from '../storage/paging';
import { rowsOf } from './audit-tables';

export const BLOCKS = 'blocks';

// A string column holds 32K characters and an entity 1 MiB (UTF-16): 15 columns of 30,000.
const COLUMN_CHARS = 30_000;
const COLUMNS = 15;
const BLOCK_CHARS = COLUMN_CHARS * COLUMNS;

function blockKey(periodMs: number, seq: number): string {
  return `${invertedTime(periodMs)}|${String(seq).padStart(5, '0')}`;
}

/** The blocks of the hours starting in [fromHourMs, toHourMs], newest hour first. */
export function blocksFilter(fromHourMs: number, toHourMs: number): string {
  return and(
    partitionIs(BLOCKS),
    odata`RowKey ge ${invertedTime(toHourMs)}`,
    odata`RowKey lt ${`${invertedTime(fromHourMs)}}`}`,
  );
}

/** Packs an hour's rows, in RowKey order, as `{rowKey}\t{json}\n` lines. */
export class BlockWriter {
  private text = '';
  private seq = 0;
  private readonly hash = createHash('sha256');

  constructor(
    private readonly table: TableClient,
    private readonly periodMs: number,
  ) {}

  async add(rowKey: string, json: string): Promise<void> {
    const line = `${rowKey}\t${json}\n`;
    if (this.text.length + line.length > BLOCK_CHARS) await this.flush();
    this.text += line;
  }

  async finish(): Promise<{ blockCount: number; blocksHash: string }> {
    await this.flush();
    return { blockCount: this.seq, blocksHash: this.hash.digest('hex') };
  }

  private async flush(): Promise<void> {
    if (this.text === '') return;
    const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
      partitionKey: BLOCKS,
      rowKey: blockKey(this.periodMs, this.seq++),
    };
    for (let i = 0; i * COLUMN_CHARS < this.text.length; i++) {
      entity[`t${String(i).padStart(2, '0')}`] = this.text.slice(i * COLUMN_CHARS, (i + 1) * COLUMN_CHARS);
    }
    this.hash.update(this.text);
    await this.table.upsertEntity(entity, 'Replace');
    this.text = '';
  }
}

/** A block's text, its columns joined in order. */
export function blockText(row: Row): string {
  let text = '';
  for (let i = 0; i < COLUMNS; i++) {
    const part = row[`t${String(i).padStart(2, '0')}`];
    if (typeof part !== 'string') break;
    text += part;
  }
  return text;
}

/** The lines of a block: row key and stored JSON. */
export function* blockLines(text: string): Generator<{ rowKey: string; json: string }> {
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    const tab = line.indexOf('\t');
    if (tab > 0) yield { rowKey: line.slice(0, tab), json: line.slice(tab + 1) };
    start = end < 0 ? text.length : end + 1;
  }
}

/** Recomputes an hour's blocks hash (as its seal recorded it) from the stored blocks. */
export async function blocksHashOf(table: TableClient, periodMs: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const row of rowsOf(table, blocksFilter(periodMs, periodMs))) hash.update(blockText(row));
  return hash.digest('hex');
}
