// "A change is never stored without its audit row, even if the process dies between the two
// writes." Each test kills the write path at one step (a hook that throws), then restarts (new
// services, sweep) and checks: the change exists if and only if exactly one audit row for it does.
import { randomUUID } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import type { CrashPoint } from '../../shared/audit/outbox';
import type { Services } from '../../shared/services';
import { systemContext } from '../../shared/services/context';
import { queryAll } from '../../shared/storage/paging';
import { appTable, TableName } from '../../shared/storage/tables';
import { isolateTables, makeServices, TestClock } from './services-fixtures';

isolateTables();

const clock = new TestClock();

function crashOnce(point: CrashPoint) {
  let armed = true;
  return (at: CrashPoint) => {
    if (armed && at === point) {
      armed = false;
      throw new Error(`simulated crash at ${at}`);
    }
  };
}

async function createGroup(s: Services, id: string): Promise<unknown> {
  return s.groups
    .create(
      systemContext('test'),
      { displayName: `Crash ${id.slice(0, 6)}`, isAssignableToRole: true },
      { id },
    )
    .then(
      () => undefined,
      (err: unknown) => err,
    );
}

/** What storage says about one group change: the row, its audit rows, its catalog copy. */
async function observe(s: Services, id: string) {
  const group = await s.stores.roleManagement.group(id);
  const audits = await s.stores.audit.query({ criteria: { targetId: id }, top: 100 });
  const catalog = (await s.stores.index.groups({ top: 1000 })).items.some((g) => g.id === id);
  const outboxRows = await queryAll(
    appTable(TableName.roleManagement),
    odata`PartitionKey eq ${`group:${id}`} and RowKey ge ${'~outbox|'} and RowKey lt ${'~outbox}'}`,
    (r) => r,
  );
  return {
    changed: group !== undefined,
    auditRows: audits.items.length,
    catalog,
    outboxRows: outboxRows.length,
  };
}

const pendingMarkers = () =>
  queryAll(appTable(TableName.auditOutbox), odata`PartitionKey eq ${'pending'}`, (r) => r).then(
    (r) => r.length,
  );

describe('audit outbox', () => {
  it('publishes inline: the change, its audit row and its index copy, and nothing left pending', async () => {
    const s = makeServices(clock);
    const id = randomUUID();
    expect(await createGroup(s, id)).toBeUndefined();
    expect(await observe(s, id)).toEqual({ changed: true, auditRows: 1, catalog: true, outboxRows: 0 });
  });

  const points: CrashPoint[] = [
    'afterMarker',
    'afterCommit',
    'afterAuditWritten',
    'afterProjected',
    'afterOutboxDeleted',
  ];
  it.each(points)(
    'a crash %s is repaired by the sweeper, never leaving a change without its row',
    async (point) => {
      const crashing = makeServices(clock, { crashAt: crashOnce(point), onPublishError: () => undefined });
      const id = randomUUID();
      const error = await createGroup(crashing, id);

      const before = await observe(crashing, id);
      if (point === 'afterMarker') {
        expect(String(error)).toMatch(/simulated crash/);
        expect(before).toMatchObject({ changed: false, auditRows: 0 });
      } else if (point === 'afterCommit') {
        // The window the design is about: the change is stored, its audit row not yet published...
        expect(String(error)).toMatch(/simulated crash/);
        expect(before).toMatchObject({ changed: true, auditRows: 0, outboxRows: 1 });
      } else {
        // Publication failed after the commit; the request itself succeeded.
        expect(error).toBeUndefined();
        expect(before.changed).toBe(true);
      }
      // ...but the audit row is stored with it, in the outbox row of the same transaction.
      if (before.changed && before.auditRows === 0) expect(before.outboxRows).toBe(1);

      // Restart: a new process sweeps (no request in flight, so no grace period).
      const restarted = makeServices(clock);
      await restarted.sweepAuditOutbox(0);
      const after = await observe(restarted, id);
      expect(after.changed ? after.auditRows : 0).toBe(after.changed ? 1 : 0);
      expect(after.auditRows).toBe(after.changed ? 1 : 0);
      expect(after).toMatchObject({ catalog: after.changed, outboxRows: 0 });

      // Sweeping again (or a late inline publish) writes no duplicates.
      await restarted.sweepAuditOutbox(0);
      expect(await observe(restarted, id)).toEqual(after);
    },
  );

  it('the sweeper leaves young markers alone: their requests may still be publishing', async () => {
    const crashing = makeServices(clock, { crashAt: crashOnce('afterCommit') });
    const id = randomUUID();
    await createGroup(crashing, id);
    const s = makeServices(clock);
    await s.sweepAuditOutbox(60_000);
    expect((await observe(s, id)).auditRows).toBe(0);
    await s.sweepAuditOutbox(0);
    expect((await observe(s, id)).auditRows).toBe(1);
  });

  it('concurrent sweepers publish each row once', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) await createGroup(makeServices(clock, { crashAt: crashOnce('afterCommit') }), id);
    const sweepers = [makeServices(clock), makeServices(clock), makeServices(clock)];
    await Promise.all(sweepers.map((s) => s.sweepAuditOutbox(0)));
    for (const id of ids)
      expect(await observe(sweepers[0]!, id)).toMatchObject({ changed: true, auditRows: 1, outboxRows: 0 });
    expect(await pendingMarkers()).toBe(0);
  });

  it('a deep sweep finds an outbox row even without its marker', async () => {
    const id = randomUUID();
    await createGroup(makeServices(clock, { crashAt: crashOnce('afterCommit') }), id);
    const markers = appTable(TableName.auditOutbox);
    for (const m of await queryAll(markers, odata`PartitionKey eq ${'pending'}`, (r) => r)) {
      await markers.deleteEntity(String(m.partitionKey), String(m.rowKey));
    }
    const s = makeServices(clock);
    expect(await s.sweepAuditOutbox(0)).toBe(0);
    expect((await observe(s, id)).auditRows).toBe(0);
    expect(await s.stores.outbox.deepSweep(appTable(TableName.roleManagement))).toBeGreaterThanOrEqual(1);
    expect(await observe(s, id)).toMatchObject({ changed: true, auditRows: 1, catalog: true, outboxRows: 0 });
  });
});
