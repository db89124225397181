// The audit trail over HTTP as an auditor uses it: readers query, requesters see their own rows,
// exports stream CSV (RFC 4180, formula cells neutralised) and JSON Lines, the auditSeal timer
// seals closed hours on the devhost's virtual clock, and verify names a row edited in the table.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CSV_COLUMNS } from '../../shared/audit/audit-export';
import { ROWS } from '../../shared/audit/audit-keys';
import { auditTables, rowsOf } from '../../shared/audit/audit-tables';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { eventually } from '../helpers/devhost';
import { allPages, type DirectoryHost, ROLE_BASE, startDirectoryHost, V1 } from '../helpers/directory-client';

const AUDITS = `${V1}/auditLogs/directoryAudits`;
const EXPORT = `${AUDITS}/export`;
const VERIFY = `${V1}/auditLogs/verify`;
const { megan, reader, alex } = DEMO_USERS;
const prefix = `au${randomBytes(4).toString('hex')}`;

// Caller-chosen correlation ids (client-request-id) that a spreadsheet would run as formulas.
const FORMULAS = ['=HYPERLINK("http://evil.example","click")', '+SUM(1,2)', '-2+3', '@cmd'];

let api: DirectoryHost;

beforeAll(async () => {
  api = await startDirectoryHost(prefix, { AUDIT_SEAL_KEY: randomBytes(32).toString('base64') });
  // The test reaches into the same tables to tamper with them.
  process.env.AzureWebJobsStorage = inject('storageConnectionString');
  process.env.TABLE_PREFIX = prefix;
  const assigned = await api.call('megan', 'POST', `${ROLE_BASE}/roleAssignmentScheduleRequests`, {
    body: {
      action: 'adminAssign',
      principalId: reader.id,
      roleDefinitionId: BuiltInRoleId.securityReader,
      directoryScopeId: '/',
      justification: 'Auditor',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    },
  });
  expect(assigned.status, JSON.stringify(assigned.body)).toBe(201);
  for (const [i, correlation] of FORMULAS.entries()) {
    const res = await api.call('megan', 'POST', `${V1}/groups`, {
      body: { displayName: `Audit group ${i}` },
      headers: { 'client-request-id': correlation },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
});

afterAll(async () => {
  await api?.stop();
});

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field).toBe(''); // the last record ended with CRLF
  return records;
}

describe('querying', () => {
  it('is for audit readers; requesters see their own rows through filterByCurrentUser', async () => {
    expect((await api.call(undefined, 'GET', AUDITS)).status).toBe(401);
    expect((await api.call('alex', 'GET', AUDITS)).body.error.code).toBe('Authorization_RequestDenied');
    const all = await allPages(api, 'reader', `${AUDITS}?$top=2`);
    expect(all.pages).toBeGreaterThan(2);
    expect(all.items.length).toBeGreaterThanOrEqual(1 + FORMULAS.length);
    const times = all.items.map((r) => r.activityDateTime);
    expect([...times].sort().reverse()).toEqual(times); // newest first

    const mine = await api.call('megan', 'GET', `${AUDITS}/filterByCurrentUser(on='initiator')`);
    expect(mine.status).toBe(200);
    expect(mine.body.value.length).toBeGreaterThanOrEqual(1 + FORMULAS.length);
    expect(
      mine.body.value.every(
        (r: { initiatedBy: { user: { id: string } } }) => r.initiatedBy.user.id === megan.id,
      ),
    ).toBe(true);
    // Alex's first sign-in recorded him as a user: that row is his, Megan's are not.
    const alexOwn = (await api.call('alex', 'GET', `${AUDITS}/filterByCurrentUser(on='initiator')`)).body
      .value;
    expect(alexOwn.map((r: { initiatedBy: { user: { id: string } } }) => r.initiatedBy.user.id)).toEqual(
      alexOwn.map(() => alex.id),
    );
    const aboutMe = await api.call('reader', 'GET', `${AUDITS}/filterByCurrentUser(on='target')`);
    expect(aboutMe.body.value.length).toBeGreaterThanOrEqual(1);
    expect(
      aboutMe.body.value.every((r: { targetResources: { id: string }[] }) =>
        r.targetResources.some((t) => t.id === reader.id),
      ),
    ).toBe(true);
    // Asking for someone else's rows through "mine" finds nothing.
    const filter = encodeURIComponent(`initiatedBy/user/id eq '${megan.id}'`);
    expect(
      (await api.call('alex', 'GET', `${AUDITS}/filterByCurrentUser(on='initiator')?$filter=${filter}`)).body
        .value,
    ).toEqual([]);
  });

  it('pages up to 999, opaque skip tokens, a row by its id', async () => {
    expect((await api.call('megan', 'GET', `${AUDITS}?$top=999`)).status).toBe(200);
    expect((await api.call('megan', 'GET', `${AUDITS}?$top=1000`)).status).toBe(400);
    expect((await api.call('megan', 'GET', `${AUDITS}?$skiptoken=bm90LWEtdG9rZW4`)).status).toBe(400);
    const first = (await api.call('megan', 'GET', `${AUDITS}?$top=1`)).body.value[0];
    const one = (await api.call('reader', 'GET', `${AUDITS}/${first.id}`)).body;
    expect({ ...one, '@odata.context': undefined }).toEqual(first);
    expect((await api.call('reader', 'GET', `${AUDITS}/0190b0c4-8f00-7000-8000-000000000000`)).status).toBe(
      404,
    );
    expect((await api.call('reader', 'GET', `${AUDITS}/not%20an%20id`)).status).toBe(404);
  });
});

describe('export', () => {
  it('streams CSV per RFC 4180 with formula cells neutralised', async () => {
    const listed = await allPages(api, 'megan', `${AUDITS}?$top=999`);
    const res = await api.call('reader', 'GET', `${EXPORT}?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="directoryAudits-.*\.csv"$/,
    );
    const text = res.body as string;
    const [header, ...records] = parseCsv(text);
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(records.map((r) => r[0])).toEqual(listed.items.map((r) => r.id));
    const correlations = records.map((r) => r[CSV_COLUMNS.indexOf('correlationId')]);
    for (const formula of FORMULAS) expect(correlations).toContain(`'${formula}`);
    expect(text).toContain(`"'+SUM(1,2)"`); // a comma: quoted
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`); // quotes doubled
    const targets = JSON.parse(records[0]![CSV_COLUMNS.indexOf('targetResources')]!);
    expect(targets).toEqual(listed.items[0].targetResources);
  });

  it('streams JSON Lines of a $filter', async () => {
    const filter = `category eq 'GroupManagement' and initiatedBy/user/id eq '${megan.id}'`;
    const res = await api.call(
      'megan',
      'GET',
      `${EXPORT}?format=jsonl&$filter=${encodeURIComponent(filter)}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (res.body as string)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const listed = await allPages(api, 'megan', `${AUDITS}?$filter=${encodeURIComponent(filter)}`);
    expect(lines).toEqual(listed.items);
    expect(lines.length).toBeGreaterThanOrEqual(FORMULAS.length);
  });

  it('refuses what it cannot do before streaming anything', async () => {
    expect((await api.call(undefined, 'GET', `${EXPORT}?format=csv`)).status).toBe(401);
    expect((await api.call('alex', 'GET', `${EXPORT}?format=csv`)).status).toBe(403);
    const xml = await api.call('megan', 'GET', `${EXPORT}?format=xml`);
    expect(xml.status).toBe(400);
    expect(xml.body.error.details[0].target).toBe('format');
    expect((await api.call('megan', 'GET', `${EXPORT}?format=csv&$top=5`)).status).toBe(400);
    expect(
      (await api.call('megan', 'GET', `${EXPORT}?$filter=${encodeURIComponent('resultReason eq 1')}`)).status,
    ).toBe(400);
  });
});

describe('seal and verify', () => {
  it('refuses bad ranges and non-readers', async () => {
    expect((await api.call('alex', 'GET', VERIFY)).status).toBe(403);
    expect((await api.call('megan', 'GET', `${VERIFY}?from=yesterday`)).status).toBe(400);
    expect(
      (await api.call('megan', 'GET', `${VERIFY}?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z`)).status,
    ).toBe(400);
    expect(
      (await api.call('megan', 'GET', `${VERIFY}?from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z`)).status,
    ).toBe(400);
    expect((await api.call('megan', 'GET', `${VERIFY}?since=2030-01-01T00:00:00Z`)).status).toBe(200); // not a $ option: ignored
  });

  it('the timer seals closed hours; verify recomputes them and names a row edited in the table', async () => {
    const before = await api.call('reader', 'GET', VERIFY);
    expect(before.body).toMatchObject({ verified: true, sealedThrough: null, signaturesChecked: true });
    const newest = (await api.call('megan', 'GET', `${AUDITS}?$top=1`)).body.value[0];

    await api.advanceClock('PT2H');
    const sealed = await eventually(async () => {
      const v = (await api.call('reader', 'GET', VERIFY)).body;
      return v.sealedThrough && v.sealedThrough > newest.activityDateTime ? v : undefined;
    }, 20_000);
    expect(sealed).toMatchObject({ verified: true, firstBroken: null, signaturesChecked: true });
    expect(sealed.rows).toBeGreaterThanOrEqual(1 + FORMULAS.length);
    // Sealed hours export from their blocks: the same rows as the list.
    const jsonl = await api.call('reader', 'GET', `${EXPORT}?format=jsonl`);
    const listed = await allPages(api, 'reader', `${AUDITS}?$top=999`);
    expect(
      (jsonl.body as string)
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(listed.items);

    // Someone with storage access edits the newest row's justification in place.
    const day = newest.activityDateTime.slice(0, 10);
    const table = auditTables().day(day);
    let target: { rowKey: string; data: string } | undefined;
    for await (const row of rowsOf(table, `PartitionKey eq '${ROWS}'`)) {
      if (String(row.rowKey).endsWith(newest.id))
        target = { rowKey: String(row.rowKey), data: String(row.data) };
    }
    expect(target).toBeDefined();
    await table.updateEntity(
      { partitionKey: ROWS, rowKey: target!.rowKey, data: target!.data.replace('"success"', '"failure"') },
      'Merge',
    );
    const after = (await api.call('reader', 'GET', VERIFY)).body;
    expect(after).toMatchObject({
      verified: false,
      firstBroken: {
        reason: 'rowModified',
        row: { id: newest.id, activityDateTime: newest.activityDateTime },
      },
    });
    expect(after.firstBroken.period).toBe(`${newest.activityDateTime.slice(0, 13)}:00:00.000Z`);
  });
});
