// Tamper evidence on Azurite: hours sealed with a hash chain, and every direct edit, deletion,
// insertion and reordering of rows (or of seals) named by verification; late rows sealed with the
// hour they arrived in; retention deleting whole days while the chain still verifies.
import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROWS } from '../../shared/audit/audit-keys';
import { type AuditCriteria, AuditRepository } from '../../shared/audit/audit-repository';
import { AuditRetention } from '../../shared/audit/audit-retention';
import { AuditSealer } from '../../shared/audit/audit-seal';
import { rowsOf } from '../../shared/audit/audit-tables';
import { AuditVerifier, type Verification } from '../../shared/audit/audit-verify';
import { auditEvent, type DirectoryAudit } from '../../shared/audit/directory-audit';
import { streamByTime } from '../../shared/audit/export-walk';
import { RowChain, rowDigest, SealKey, sealHash } from '../../shared/audit/seal-format';
import { SealStore } from '../../shared/audit/seal-store';
import type { Row } from '../../shared/storage/paging';
import { isolateTables, TestClock } from './services-fixtures';

isolateTables();

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const alice = { id: randomUUID(), displayName: 'Alice' };

function event(at: string, note = 'row'): DirectoryAudit {
  return auditEvent({
    category: 'RoleManagement',
    activityDisplayName: 'Add member to role in PIM completed (timebound)',
    operationType: 'Assign',
    initiatedBy: { user: alice },
    correlationId: randomUUID(),
    targetResources: [{ id: randomUUID(), type: 'Role', displayName: 'Security Reader' }],
    details: { Justification: note },
    at: new Date(at),
  });
}

interface World {
  clock: TestClock;
  repo: AuditRepository;
  seals: SealStore;
  key: SealKey | undefined;
  /** Publishes rows the way the outbox does, a second after their activity time. */
  publish(rows: DirectoryAudit[], delayMs?: number): Promise<void>;
  seal(): Promise<void>;
  verify(from?: string, to?: string): Promise<Verification>;
  day(day: string): TableClient;
}

function world(key?: SealKey): World {
  // A fresh prefix per world: each test starts from an empty log.
  process.env.TABLE_PREFIX = `t${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const clock = new TestClock(new Date('2030-03-01T00:00:00.000Z'));
  const repo = new AuditRepository({ now: clock.now });
  const seals = new SealStore(repo.tables.seals);
  return {
    clock,
    repo,
    seals,
    key,
    async publish(rows, delayMs = 1000) {
      for (const r of rows) {
        clock.current = new Date(Date.parse(r.activityDateTime) + delayMs);
        await repo.append([r]);
      }
    },
    async seal() {
      await new AuditSealer(repo, seals, key).sealDue(clock.now());
    },
    verify(from, to) {
      return new AuditVerifier(repo, seals, key, clock.now()).verify(
        from ? new Date(from) : undefined,
        to ? new Date(to) : clock.now(),
      );
    },
    day: (d) => repo.tables.day(d),
  };
}

// The stored records of a day in RowKey order, read without creating the table.
async function rowsOfDay(
  w: World,
  day: string,
): Promise<(Row & { rowKey: string; activityDateTime: string })[]> {
  const out: (Row & { rowKey: string; activityDateTime: string })[] = [];
  for await (const r of rowsOf(w.day(day), `PartitionKey eq '${ROWS}'`)) {
    out.push(r as Row & { rowKey: string; activityDateTime: string });
  }
  return out;
}

async function sealedWorld(key?: SealKey): Promise<{ w: World; rows: DirectoryAudit[] }> {
  const w = world(key);
  const rows = [
    event('2030-03-01T09:10:00.000Z'),
    event('2030-03-01T10:05:00.000Z', 'first of ten'),
    event('2030-03-01T10:20:00.000Z', 'second of ten'),
    event('2030-03-01T10:40:00.000Z', 'third of ten'),
    event('2030-03-01T11:30:00.000Z'),
  ];
  await w.publish(rows);
  w.clock.current = new Date('2030-03-01T12:30:00.000Z');
  await w.seal();
  return { w, rows };
}

function broken(v: Verification) {
  expect(v.verified).toBe(false);
  return v.firstBroken!;
}

describe('sealing', () => {
  it('seals closed hours (after the grace delay) and verifies them', async () => {
    const { w } = await sealedWorld();
    const v = await w.verify();
    expect(v).toMatchObject({
      verified: true,
      sealedThrough: '2030-03-01T12:00:00.000Z',
      periods: { verified: 12, purged: 0 },
      rows: 5,
      firstBroken: null,
    });
    // Hours not sealed yet are counted, not walked (a far 'to' costs nothing).
    expect(await w.verify(undefined, '2100-01-01T00:00:00.000Z')).toMatchObject({
      verified: true,
      periods: {
        unsealed: Math.floor((Date.parse('2100-01-01') - Date.parse('2030-03-01T12:00:00Z')) / HOUR) + 1,
      },
    });
    // 12:00-13:00 is not closed yet; sealing again changes nothing.
    await w.seal();
    expect((await w.seals.latest())?.period).toBe('2030-03-01T11:00:00.000Z');
    w.clock.current = new Date('2030-03-01T13:14:00.000Z');
    await w.seal();
    expect((await w.seals.latest())?.period).toBe('2030-03-01T11:00:00.000Z'); // grace not over
    w.clock.current = new Date('2030-03-01T13:15:00.000Z');
    await w.seal();
    expect((await w.seals.latest())?.period).toBe('2030-03-01T12:00:00.000Z');
  });
});

describe('tampering with rows directly in the table is detected', () => {
  let w: World;
  let rows: DirectoryAudit[];
  let stored: Awaited<ReturnType<typeof rowsOfDay>>;
  beforeEach(async () => {
    ({ w, rows } = await sealedWorld());
    stored = await rowsOfDay(w, '2030-03-01');
  });
  const byNote = (note: string) => stored.find((r) => String(r.data).includes(note))!;
  const idOf = (note: string) => rows.find((r) => r.additionalDetails[0]?.value === note)!.id;

  it('an edited value', async () => {
    const row = byNote('second of ten');
    await w.day('2030-03-01').updateEntity(
      {
        partitionKey: ROWS,
        rowKey: row.rowKey,
        data: String(row.data).replace('second of ten', 'nothing to see'),
      },
      'Merge',
    );
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-01T10:00:00.000Z',
      reason: 'rowModified',
      row: { id: idOf('second of ten'), activityDateTime: '2030-03-01T10:20:00.000Z' },
    });
  });

  it('an edited column outside the JSON, and an added column', async () => {
    const row = byNote('third of ten');
    await w
      .day('2030-03-01')
      .updateEntity({ partitionKey: ROWS, rowKey: row.rowKey, category: 'Policy' }, 'Merge');
    expect(broken(await w.verify())).toMatchObject({
      reason: 'rowModified',
      row: { id: idOf('third of ten') },
    });
    await w
      .day('2030-03-01')
      .updateEntity({ partitionKey: ROWS, rowKey: row.rowKey, category: 'RoleManagement' }, 'Merge');
    expect((await w.verify()).verified).toBe(true); // put back as it was: whole again
    await w.day('2030-03-01').updateEntity({ partitionKey: ROWS, rowKey: row.rowKey, note: 'x' }, 'Merge');
    expect(broken(await w.verify())).toMatchObject({
      reason: 'rowModified',
      row: { id: idOf('third of ten') },
    });
  });

  it('a deleted row', async () => {
    await w.day('2030-03-01').deleteEntity(ROWS, byNote('first of ten').rowKey);
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-01T10:00:00.000Z',
      reason: 'rowDeleted',
      row: { id: idOf('first of ten') },
    });
  });

  it('an inserted row', async () => {
    const fake = event('2030-03-01T10:30:00.000Z', 'inserted later');
    await new AuditRepository({ now: () => new Date('2030-03-01T10:30:01.000Z') }).append([fake]);
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-01T10:00:00.000Z',
      reason: 'rowInserted',
      row: { id: fake.id },
    });
  });

  it('an inserted row marked late, to dodge its hour', async () => {
    const fake = event('2030-03-01T10:30:00.000Z', 'inserted as late');
    await new AuditRepository({ now: () => new Date('2030-03-01T11:00:00.000Z') }).append([fake]);
    expect(broken(await w.verify())).toMatchObject({ reason: 'lateRowNotSealed', row: { id: fake.id } });
  });

  it('two rows swapped (their contents exchanged)', async () => {
    const a = byNote('first of ten');
    const b = byNote('third of ten');
    const table = w.day('2030-03-01');
    const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...ca } = a;
    const { partitionKey: _p2, rowKey: _r2, etag: _e2, timestamp: _t2, ...cb } = b;
    await table.updateEntity({ partitionKey: ROWS, rowKey: a.rowKey, ...cb }, 'Replace');
    await table.updateEntity({ partitionKey: ROWS, rowKey: b.rowKey, ...ca }, 'Replace');
    const first = [a, b].sort((x, y) => (x.rowKey < y.rowKey ? -1 : 1))[0]!;
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-01T10:00:00.000Z',
      reason: 'rowModified',
      row: { rowKey: first.rowKey },
    });
  });

  it('a row moved in time within its hour (same content, another row key)', async () => {
    const a = byNote('second of ten');
    const table = w.day('2030-03-01');
    const { partitionKey: _p, rowKey, etag: _e, timestamp: _t, ...columns } = a;
    await table.deleteEntity(ROWS, rowKey);
    const moved = `${String(Number(rowKey.slice(0, 15)) - 60_000).padStart(15, '0')}${rowKey.slice(15)}`;
    await table.createEntity({ partitionKey: ROWS, rowKey: moved, ...columns });
    const v = broken(await w.verify());
    expect(v.period).toBe('2030-03-01T10:00:00.000Z');
    expect(['rowInserted', 'rowDeleted']).toContain(v.reason);
    expect(v.row?.id).toBe(idOf('second of ten'));
  });

  it('an altered seal, a row rewritten with its seal recomputed, a deleted seal', async () => {
    const ten = (await w.seals.get(Date.parse('2030-03-01T10:00:00.000Z')))!;
    const key = {
      partitionKey: 'seal',
      rowKey: String(999_999_999_999_999 - ten.periodMs).padStart(15, '0'),
    };

    await w.seals.table.updateEntity({ ...key, rowsHash: 'f'.repeat(64) }, 'Merge');
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-01T10:00:00.000Z',
      reason: 'sealAltered',
    });
    await w.seals.table.updateEntity({ ...key, rowsHash: ten.rowsHash }, 'Merge');
    expect((await w.verify()).verified).toBe(true);

    // Someone with write access rewrites a row and recomputes that hour's seal: the next one
    // still links to the original.
    const row = byNote('second of ten');
    await w.day('2030-03-01').updateEntity(
      {
        partitionKey: ROWS,
        rowKey: row.rowKey,
        data: String(row.data).replace('second of ten', 'rewritten'),
      },
      'Merge',
    );
    const chain = new RowChain(ten.period);
    for (const r of await rowsOfDay(w, '2030-03-01')) {
      if (r.activityDateTime.startsWith('2030-03-01T10:')) {
        chain.add({ day: '2030-03-01', rowKey: r.rowKey, digest: rowDigest('2030-03-01', r) });
      }
    }
    const forged = { ...ten, rowsHash: chain.hex };
    await w.seals.table.updateEntity({ ...key, rowsHash: forged.rowsHash, hash: sealHash(forged) }, 'Merge');
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-01T11:00:00.000Z',
      reason: 'chainBroken',
    });

    await w.seals.table.deleteEntity(key.partitionKey, key.rowKey);
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-01T10:00:00.000Z',
      reason: 'sealMissing',
    });
  });

  it('a range starting mid-chain is anchored on the seal before it', async () => {
    expect(await w.verify('2030-03-01T10:00:00.000Z', '2030-03-01T10:59:59.999Z')).toMatchObject({
      verified: true,
      periods: { verified: 1 },
      rows: 3,
    });
    await w.day('2030-03-01').deleteEntity(ROWS, byNote('first of ten').rowKey);
    expect((await w.verify('2030-03-01T11:00:00.000Z')).verified).toBe(true); // hour 11 alone is whole
    expect(broken(await w.verify('2030-03-01T10:00:00.000Z')).reason).toBe('rowDeleted');
  });
});

describe('export blocks', () => {
  const exported = async (w: World, c: AuditCriteria = {}) => {
    const out: string[] = [];
    for await (const json of streamByTime(w.repo, w.seals, c)) out.push(JSON.parse(json).id);
    return out;
  };
  const listed = async (w: World, c: AuditCriteria = {}) => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await w.repo.query({ criteria: c, top: 2, continuationToken: token });
      out.push(...page.items.map((r) => r.id));
      token = page.continuationToken;
    } while (token);
    return out;
  };

  it('an export of sealed hours reads their blocks: the same rows, late ones merged in order', async () => {
    const { w } = await sealedWorld();
    const late = event('2030-03-01T10:30:00.000Z', 'published by the sweeper');
    w.clock.current = new Date('2030-03-01T12:40:00.000Z');
    await w.repo.append([late]);
    const fresh = event('2030-03-01T12:35:00.000Z', 'not sealed yet');
    w.clock.current = new Date('2030-03-01T12:35:01.000Z');
    await w.repo.append([fresh]);
    expect(await exported(w)).toEqual(await listed(w));
    expect(await exported(w)).toHaveLength(7);
    const window = { from: new Date('2030-03-01T10:10:00.000Z'), to: new Date('2030-03-01T12:36:00.000Z') };
    expect(await exported(w, window)).toEqual(await listed(w, window));
    expect(await exported(w, { ...window, category: ['Policy'] })).toEqual([]);
  });

  it('an edited block is detected', async () => {
    const { w } = await sealedWorld();
    const table = w.day('2030-03-01');
    let block: Row | undefined;
    for await (const b of rowsOf(table, "PartitionKey eq 'blocks'")) block ??= b;
    await table.updateEntity(
      {
        partitionKey: 'blocks',
        rowKey: String(block!.rowKey),
        t00: String(block!.t00).replace('Security Reader', 'Nothing'),
      },
      'Merge',
    );
    expect(broken(await w.verify())).toMatchObject({ reason: 'blocksAltered' });
  });
});

describe('with a signing key (AUDIT_SEAL_KEY)', () => {
  it('a seal recomputed by someone without the key fails its signature', async () => {
    const key = new SealKey(Buffer.alloc(32, 7));
    const { w } = await sealedWorld(key);
    expect(await w.verify()).toMatchObject({ verified: true, signaturesChecked: true });
    const ten = (await w.seals.get(Date.parse('2030-03-01T10:00:00.000Z')))!;
    const rk = String(999_999_999_999_999 - ten.periodMs).padStart(15, '0');
    await w.seals.table.updateEntity(
      { partitionKey: 'seal', rowKey: rk, signature: new SealKey(Buffer.alloc(32, 8)).sign(ten.hash) },
      'Merge',
    );
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-01T10:00:00.000Z',
      reason: 'signatureInvalid',
    });
  });
});

describe('late rows', () => {
  it('a row published after its hour was sealed is sealed with the hour it arrived in', async () => {
    const { w } = await sealedWorld();
    // The sweeper publishes a crashed request's row from 10:30 at 12:40, after 10:00 was sealed.
    const late = event('2030-03-01T10:30:00.000Z', 'published by the sweeper');
    w.clock.current = new Date('2030-03-01T12:40:00.000Z');
    await w.repo.append([late]);
    expect(await w.verify()).toMatchObject({ verified: true, rows: 5 }); // waiting for its seal
    // Publishing it again (the request and the sweeper racing) keeps the first arrival.
    w.clock.current = new Date('2030-03-01T12:50:00.000Z');
    await w.repo.append([late]);
    w.clock.current = new Date('2030-03-01T13:20:00.000Z');
    await w.seal();
    expect(await w.verify()).toMatchObject({ verified: true, rows: 6 });
    const twelve = await w.seals.get(Date.parse('2030-03-01T12:00:00.000Z'));
    expect(twelve).toMatchObject({ rowCount: 0, lateCount: 1 });
    expect(await w.repo.get(late.id)).toEqual(late);

    // Once sealed, editing it is detected like any other row.
    const stored = (await rowsOfDay(w, '2030-03-01')).find((r) => r.late === true)!;
    await w
      .day('2030-03-01')
      .updateEntity({ partitionKey: ROWS, rowKey: stored.rowKey, activityDisplayName: 'x' }, 'Merge');
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-01T10:00:00.000Z',
      reason: 'rowModified',
      row: { id: late.id },
    });
  });

  it('a row a minute late but before its hour is sealed lands once, in a seal', async () => {
    const w = world();
    await w.publish([event('2030-03-01T10:58:00.000Z', 'slow')], 5 * 60_000); // arrives 11:03
    w.clock.current = new Date('2030-03-01T12:30:00.000Z');
    await w.seal();
    expect(await w.verify()).toMatchObject({ verified: true, rows: 1 });
    expect(await w.seals.get(Date.parse('2030-03-01T10:00:00.000Z'))).toMatchObject({
      rowCount: 0,
      lateCount: 0,
    });
    expect(await w.seals.get(Date.parse('2030-03-01T11:00:00.000Z'))).toMatchObject({
      rowCount: 0,
      lateCount: 1,
    });
  });
});

describe('retention', () => {
  async function twoDays(key?: SealKey) {
    const w = world(key);
    const day1 = [
      event('2030-03-01T08:00:00.000Z', 'day one a'),
      event('2030-03-01T20:00:00.000Z', 'day one b'),
    ];
    const day2 = [event('2030-03-02T08:00:00.000Z', 'day two')];
    await w.publish([...day1, ...day2]);
    w.clock.current = new Date('2030-03-03T06:00:00.000Z');
    await w.seal();
    return { w, day1, day2 };
  }

  it('deletes days past retention whole and keeps the chain verifiable', async () => {
    const { w, day1, day2 } = await twoDays();
    const run = await new AuditRetention(w.repo, w.seals).purgeDue(w.clock.now(), 1);
    expect(run.purgedDays).toEqual(['2030-03-01']);
    expect(await w.repo.get(day1[0]!.id)).toBeUndefined();
    expect(await w.repo.get(day2[0]!.id)).toEqual(day2[0]);
    expect((await w.repo.query({ criteria: { initiatorId: alice.id } })).items.map((r) => r.id)).toEqual([
      day2[0]!.id,
    ]);
    expect(await rowsOfDay(w, '2030-03-01')).toEqual([]);
    expect(await w.verify()).toMatchObject({
      verified: true,
      periods: { purged: 24 },
      rows: 1,
    });
    // Running again finds nothing more to delete.
    expect((await new AuditRetention(w.repo, w.seals).purgeDue(w.clock.now(), 1)).purgedDays).toEqual([]);
  });

  it('a deletion passed off as retention is detected', async () => {
    const { w } = await twoDays();
    // Day two is not past retention: a purge record for it does not fit its retention period.
    await w.seals.addPurge(Date.parse('2030-03-02T00:00:00.000Z'), {
      day: '2030-03-02',
      purgedDateTime: w.clock.now().toISOString(),
      retentionDays: 1,
    });
    await w.day('2030-03-02').deleteTable();
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-02T00:00:00.000Z',
      reason: 'purgeInvalid',
    });
  });

  it('a day deleted without a purge record names its first row', async () => {
    const { w, day2 } = await twoDays();
    await w.day('2030-03-02').deleteTable();
    expect(broken(await w.verify())).toMatchObject({
      period: '2030-03-02T08:00:00.000Z',
      reason: 'rowDeleted',
      row: { id: day2[0]!.id },
    });
  });
});

describe('days to come', () => {
  it('sealing a long quiet stretch chains empty hours', async () => {
    const w = world();
    await w.publish([event('2030-03-01T00:30:00.000Z')]);
    w.clock.current = new Date(Date.parse('2030-03-01T00:00:00.000Z') + 3 * DAY);
    await w.seal();
    expect((await w.seals.latest())?.periodMs).toBe(
      Date.parse('2030-03-01T00:00:00.000Z') + 3 * DAY - 2 * HOUR,
    );
    expect(await w.verify()).toMatchObject({ verified: true, rows: 1, periods: { verified: 71 } });
  });
});
