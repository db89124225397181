// GET /auditLogs/directoryAudits on Azurite: newest first across day tables, time windows,
// the initiator / target / correlation indexes, paging, and the $filter subset.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditCriteriaFromFilter, DIRECTORY_AUDIT_FILTER } from '../../shared/audit/audit-filter';
import { auditRowKey, ROWS } from '../../shared/audit/audit-keys';
import { type AuditQuery, AuditRepository } from '../../shared/audit/audit-repository';
import { readRow } from '../../shared/audit/audit-tables';
import { auditEvent, type DirectoryAudit } from '../../shared/audit/directory-audit';
import { ValidationError } from '../../shared/domain/errors';
import { parseFilter } from '../../shared/http/filter/parser';
import { isolateTables } from './services-fixtures';

isolateTables();

const alice = { id: randomUUID(), displayName: 'Alice' };
const bob = { id: randomUUID(), displayName: 'Bob' };
const role = randomUUID();
const group = randomUUID();
const corr = randomUUID();

// 3 days, 4 rows a day at 01:00, 07:00, 13:00, 23:59:59.999 (UTC), alternating people and targets.
const rows: DirectoryAudit[] = [];
for (const day of ['2030-03-01', '2030-03-02', '2030-03-04']) {
  ['01:00:00.000', '07:00:00.000', '13:00:00.000', '23:59:59.999'].forEach((time, i) => {
    rows.push(
      auditEvent({
        category: i % 2 === 0 ? 'RoleManagement' : 'GroupManagement',
        activityDisplayName:
          i === 3 ? 'Update role setting in PIM' : 'Add member to role in PIM completed (timebound)',
        operationType: 'Assign',
        initiatedBy: { user: i % 2 === 0 ? alice : bob },
        correlationId: day === '2030-03-02' ? corr : randomUUID(),
        targetResources: [
          { id: i < 2 ? role : group, type: i < 2 ? 'Role' : 'Group', displayName: null },
          { id: randomUUID(), type: 'User', displayName: 'someone' },
        ],
        details: { Justification: `row ${day} ${time}` },
        at: new Date(`${day}T${time}Z`),
      }),
    );
  });
}
const newestFirst = [...rows].sort((a, b) => Date.parse(b.activityDateTime) - Date.parse(a.activityDateTime));

let repo: AuditRepository;
beforeAll(async () => {
  repo = new AuditRepository();
  await repo.append(rows);
  await repo.append(rows.slice(0, 3)); // publishing again is harmless
});

async function all(
  q: Omit<AuditQuery, 'continuationToken'>,
): Promise<{ items: DirectoryAudit[]; pages: number }> {
  const items: DirectoryAudit[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await repo.query({ ...q, continuationToken: token });
    expect(page.items.length).toBeLessThanOrEqual(q.top ?? 100);
    items.push(...page.items);
    token = page.continuationToken;
    pages++;
    expect(pages).toBeLessThan(50);
  } while (token);
  return { items, pages };
}

const ids = (items: DirectoryAudit[]) => items.map((r) => r.id);

describe('audit queries', () => {
  it('lists everything newest first, across days, without duplicates, page by page', async () => {
    const { items, pages } = await all({ top: 5 });
    expect(ids(items)).toEqual(ids(newestFirst));
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(await repo.get(rows[0]!.id)).toEqual(rows[0]);
  });

  it('a time window is a RowKey range over the days it spans', async () => {
    const from = new Date('2030-03-01T13:00:00.000Z');
    const to = new Date('2030-03-02T07:00:00.000Z');
    const { items } = await all({ criteria: { from, to }, top: 2 });
    const expected = newestFirst.filter((r) => {
      const t = Date.parse(r.activityDateTime);
      return t >= from.getTime() && t <= to.getTime();
    });
    expect(expected).toHaveLength(4); // 13:00 and 23:59:59.999 on the 1st, 01:00 and 07:00 on the 2nd
    expect(ids(items)).toEqual(ids(expected));
    expect(
      (
        await repo.query({
          criteria: { from: new Date('2030-03-03T00:00:00Z'), to: new Date('2030-03-03T23:59:59Z') },
        })
      ).items,
    ).toEqual([]);
  });

  it('filters by initiator, by target and by correlation id through their own partitions', async () => {
    expect(ids((await all({ criteria: { initiatorId: bob.id }, top: 2 })).items)).toEqual(
      ids(newestFirst.filter((r) => r.initiatedBy.user?.id === bob.id)),
    );
    expect(ids((await all({ criteria: { targetId: role }, top: 3 })).items)).toEqual(
      ids(newestFirst.filter((r) => r.targetResources.some((t) => t.id === role))),
    );
    expect(ids((await all({ criteria: { correlationId: corr } })).items)).toEqual(
      ids(newestFirst.filter((r) => r.correlationId === corr)),
    );
    // Combined: initiator index, target checked in memory, time window in the RowKey range.
    const combined = await all({
      criteria: { initiatorId: alice.id, targetId: group, from: new Date('2030-03-02T00:00:00Z') },
      top: 1,
    });
    expect(ids(combined.items)).toEqual(
      ids(
        newestFirst.filter(
          (r) =>
            r.initiatedBy.user?.id === alice.id &&
            r.targetResources.some((t) => t.id === group) &&
            r.activityDateTime >= '2030-03-02',
        ),
      ),
    );
  });

  it('turns the $filter subset into criteria (values never pasted into queries)', async () => {
    const query = (filter: string) => {
      const criteria = auditCriteriaFromFilter(parseFilter(filter, DIRECTORY_AUDIT_FILTER));
      return criteria ? all({ criteria, top: 3 }).then((r) => r.items) : Promise.resolve([]);
    };
    expect(ids(await query(`initiatedBy/user/id eq '${alice.id}' and category eq 'rolemanagement'`))).toEqual(
      ids(newestFirst.filter((r) => r.initiatedBy.user?.id === alice.id && r.category === 'RoleManagement')),
    );
    expect(
      ids(
        await query(
          `targetResources/any(t: t/id eq '${group}') and activityDateTime lt 2030-03-04T13:00:00Z`,
        ),
      ),
    ).toEqual(
      ids(
        newestFirst.filter(
          (r) => r.targetResources.some((t) => t.id === group) && r.activityDateTime < '2030-03-04T13:00:00',
        ),
      ),
    );
    expect(
      ids(
        await query(
          `activityDisplayName eq 'Update role setting in PIM' and activityDateTime ge 2030-03-02T00:00:00Z`,
        ),
      ),
    ).toEqual(
      ids(
        newestFirst.filter(
          (r) => r.activityDisplayName === 'Update role setting in PIM' && r.activityDateTime >= '2030-03-02',
        ),
      ),
    );
    expect(
      ids(await query(`category in ('GroupManagement', 'Policy') and correlationId eq '${corr}'`)),
    ).toEqual(ids(newestFirst.filter((r) => r.category === 'GroupManagement' && r.correlationId === corr)));
    // Quotes in values are escaped by the odata template: no match, no injection.
    expect(await query(`correlationId eq 'x'' or PartitionKey ne '''`)).toEqual([]);
    expect(await query(`category eq 'Policy' and category eq 'RoleManagement'`)).toEqual([]);
  });

  it('refuses a tampered continuation token', async () => {
    await expect(repo.query({ continuationToken: 'not-a-token' })).rejects.toBeInstanceOf(ValidationError);
    const page = await repo.query({ criteria: { initiatorId: alice.id }, top: 1 });
    // A token of one query shape does not fit another.
    await expect(repo.query({ top: 1, continuationToken: page.continuationToken })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('finds a row by an id that does not encode its time (through the id pointer)', async () => {
    const fixed = auditEvent({
      category: 'Other',
      activityDisplayName: 'Activation step',
      operationType: 'Other',
      initiatedBy: { app: 'PIM' },
      correlationId: corr,
      targetResources: [],
      at: new Date('2030-03-02T05:00:00.000Z'),
      id: `${randomUUID()}-granted`,
    });
    await repo.append([fixed]);
    expect(await repo.get(fixed.id)).toEqual(fixed);
    expect(await repo.get(`${randomUUID()}-granted`)).toBeUndefined();
  });

  it('is append-only: publishing an event again keeps the stored row as it was', async () => {
    const later = new AuditRepository({ now: () => new Date('2031-01-01T00:00:00.000Z') });
    const before = await rowOf(rows[1]!);
    await later.append([rows[1]!]);
    const after = await rowOf(rows[1]!);
    expect(after.etag).toBe(before.etag);
    expect(after.arrivedDateTime).toBe(before.arrivedDateTime);
    expect(after.late).toBeUndefined();
  });
});

async function rowOf(a: DirectoryAudit) {
  const t = Date.parse(a.activityDateTime);
  const row = await readRow(repo.tables.day(a.activityDateTime.slice(0, 10)), ROWS, auditRowKey(t, a.id));
  if (!row) throw new Error('row missing');
  return row;
}
