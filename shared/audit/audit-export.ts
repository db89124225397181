// Exports of the audit log: CSV (RFC 4180) or JSON Lines, produced as the caller reads them.
// The body is a pull stream over the repository's page walk: a chunk of ~64 KiB is made only when
// the previous one was taken, so memory stays flat whatever the size of the export.
import { ReadableStream } from 'node:stream/web';
import type { DirectoryAudit } from './directory-audit';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

export const CSV_COLUMNS = [
  'id',
  'activityDateTime',
  'category',
  'activityDisplayName',
  'operationType',
  'result',
  'resultReason',
  'loggedByService',
  'correlationId',
  'initiatedByUserId',
  'initiatedByUserDisplayName',
  'initiatedByUserPrincipalName',
  'initiatedByAppDisplayName',
  'targetResources',
  'additionalDetails',
] as const;

// A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); a leading
// apostrophe makes it text and shows the value unchanged.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: neutralised, then quoted when it holds a comma, quote, CR or LF (RFC 4180). */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
}

/** A row as a CSV record (CRLF-terminated). Lists (targets, details) are JSON inside their field. */
export function csvRecord(a: Partial<DirectoryAudit>): string {
  const user = a.initiatedBy?.user;
  const values = [
    a.id,
    a.activityDateTime,
    a.category,
    a.activityDisplayName,
    a.operationType,
    a.result,
    a.resultReason,
    a.loggedByService,
    a.correlationId,
    user?.id,
    user?.displayName,
    user?.userPrincipalName,
    a.initiatedBy?.app?.displayName,
    a.targetResources ? JSON.stringify(a.targetResources) : '',
    a.additionalDetails ? JSON.stringify(a.additionalDetails) : '',
  ];
  return `${values.map((v) => csvField(text(v))).join(',')}\r\n`;
}

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;

const CHUNK_BYTES = 64 * 1024;

/** The export body: `rows` are stored row JSON, newest first. */
export function exportBody(rows: AsyncIterable<string>, format: ExportFormat): ReadableStream<Uint8Array> {
  const iterator = rows[Symbol.asyncIterator]();
  let started = false;
  const line = (json: string): string => {
    if (format === 'jsonl') return `${json}\n`;
    let parsed: Partial<DirectoryAudit>;
    try {
      parsed = JSON.parse(json) as Partial<DirectoryAudit>;
    } catch {
      parsed = {};
    }
    return csvRecord(parsed);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk = '';
        if (!started) {
          started = true;
          if (format === 'csv') chunk = CSV_HEADER;
        }
        while (chunk.length < CHUNK_BYTES) {
          const next = await iterator.next();
          if (next.done) {
            if (chunk) controller.enqueue(Buffer.from(chunk, 'utf8'));
            controller.close();
            return;
          }
          chunk += line(next.value);
        }
        controller.enqueue(Buffer.from(chunk, 'utf8'));
      },
      async cancel() {
        await iterator.return?.(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
