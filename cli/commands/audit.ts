// jit audit: the audit log for a time window, as a table, JSON, or the service's CSV export.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { paths } from '../api-paths';
import { type CommonOptions, signedIn } from '../context';
import { parsePointInTime } from '../duration';
import { CliError, ExitCode } from '../exit-codes';
import { table } from '../output';

interface AuditRow {
  id: string;
  activityDateTime: string;
  category: string;
  activityDisplayName: string;
  result: string;
  initiatedBy?: { user?: { displayName?: string | null; id?: string } | null } | null;
  targetResources?: { displayName?: string | null; id?: string }[];
}

export interface AuditOptions extends CommonOptions {
  since?: string;
  until?: string;
  csv?: boolean;
  /** Only rows the caller initiated: needs no reader role. */
  mine?: boolean;
}

export async function audit(options: AuditOptions): Promise<void> {
  const { client, out } = signedIn(options);
  if (options.csv && options.json) throw new CliError('Give --csv or --json, not both.', ExitCode.usage);
  if (options.csv && options.mine) {
    throw new CliError('The CSV export is for readers: give --csv or --mine, not both.', ExitCode.usage);
  }
  // "1d" means a day back from the service's clock, which may run ahead of this machine's.
  const now = await client.now();
  const since = parsePointInTime(options.since ?? '1d', now);
  const until = options.until ? parsePointInTime(options.until, now) : undefined;
  if (until && until < since) throw new CliError('--until is before --since.', ExitCode.usage);
  const filter = [
    `activityDateTime ge ${since.toISOString()}`,
    ...(until ? [`activityDateTime le ${until.toISOString()}`] : []),
  ].join(' and ');
  const query = `$filter=${encodeURIComponent(filter)}`;

  if (options.csv) {
    const res = await client.stream(`${paths.auditExport}?format=csv&${query}`);
    if (!res.body) return;
    for await (const chunk of Readable.fromWeb(res.body as WebReadableStream<Uint8Array>))
      await out.write(chunk);
    return;
  }
  const source = options.mine ? paths.myAudits : paths.audits;
  const rows = await client.list<AuditRow>(`${source}?$top=999&${query}`);
  out.result({ since: since.toISOString(), until: until?.toISOString() ?? null, value: rows }, () => {
    if (!rows.length) return `No audit rows since ${since.toISOString()}.`;
    return table(
      ['TIME', 'RESULT', 'ACTIVITY', 'BY', 'TARGET'],
      rows.map((r) => [
        r.activityDateTime,
        r.result,
        r.activityDisplayName,
        r.initiatedBy?.user?.displayName ?? '',
        (r.targetResources ?? []).map((t) => t.displayName ?? t.id).join(', '),
      ]),
    );
  });
}
