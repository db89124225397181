// Export formatting: RFC 4180 fields, spreadsheet formula injection neutralised, JSON Lines, and a
// body that pulls rows only as it is read.
import type { ReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, csvField, csvRecord, exportBody } from '../../shared/audit/audit-export';
import { auditEvent } from '../../shared/audit/directory-audit';

async function readAll(body: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of body) text += Buffer.from(chunk).toString('utf8');
  return text;
}

describe('CSV fields', () => {
  it('quotes commas, quotes and line breaks, doubling quotes (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rlf')).toBe('"cr\rlf"');
    expect(csvField('')).toBe('');
  });

  it('makes cells a spreadsheet would run as formulas plain text', () => {
    expect(csvField('=1+2')).toBe("'=1+2");
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\rx')).toBe(`"'\rx"`);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('a=b')).toBe('a=b'); // only a leading one counts
  });

  it('writes a record per row, CRLF-terminated, lists as JSON in one field', () => {
    const row = auditEvent({
      category: 'Policy',
      activityDisplayName: 'Update role setting in PIM',
      operationType: 'Update',
      initiatedBy: { user: { id: 'u1', displayName: '=cmd' } },
      correlationId: 'c1',
      targetResources: [{ id: 't1', type: 'Role', displayName: 'Reader, Security' }],
      details: { Justification: 'why, "because"' },
      at: new Date('2030-03-01T10:00:00.000Z'),
    });
    const line = csvRecord(row);
    expect(line.endsWith('\r\n')).toBe(true);
    expect(line).toContain(`,'=cmd,`);
    expect(line).toContain(`"[{""id"":""t1"",""type"":""Role"",""displayName"":""Reader, Security""}]"`);
    expect(CSV_HEADER.split(',')[0]).toBe('id');
  });
});

describe('export body', () => {
  async function* rows(n: number, pulled: { count: number }): AsyncGenerator<string> {
    for (let i = 0; i < n; i++) {
      pulled.count++;
      yield JSON.stringify({ id: `r${i}`, correlationId: `c${i}` });
    }
  }

  it('JSON Lines: the stored JSON, one per line', async () => {
    const text = await readAll(exportBody(rows(3, { count: 0 }), 'jsonl'));
    expect(text.split('\n')).toEqual([
      '{"id":"r0","correlationId":"c0"}',
      '{"id":"r1","correlationId":"c1"}',
      '{"id":"r2","correlationId":"c2"}',
      '',
    ]);
  });

  it('CSV: the header, then a record per row', async () => {
    const text = await readAll(exportBody(rows(2, { count: 0 }), 'csv'));
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(CSV_HEADER.trimEnd());
    expect(lines[1]?.startsWith('r0,')).toBe(true);
    expect(lines).toHaveLength(4);
  });

  it('pulls rows only as the reader takes chunks: memory stays flat', async () => {
    const pulled = { count: 0 };
    const reader = exportBody(rows(1_000_000, pulled), 'jsonl').getReader();
    const first = await reader.read();
    expect(first.value!.length).toBeGreaterThan(60_000);
    // One chunk (about 64 KiB) and at most one more queued: a few thousand rows, not a million.
    expect(pulled.count).toBeLessThan(5_000);
    await reader.cancel();
  });
});
