// The activation index as the alerts read it, on Azurite: activations are counted by when they were
// asked for, a revoked copy keeps that time, and copies written before the alerts existed get it
// from the one-time backfill that startup runs.
import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { createServices, type Services } from '../../shared/services';
import { timeOrderedId } from '../../shared/time-ordered-id';
import { isolateTables } from './services-fixtures';

isolateTables();

const ROLE = randomUUID();
const NOW = Date.parse('2030-01-15T09:00:00.000Z');
let s: Services;

beforeAll(async () => {
  s = createServices({ now: () => new Date(NOW) });
  await s.startup();
});

it('backfills the start of old copies once, so that they are counted', async () => {
  const table = s.stores.activations.table;
  const principalId = randomUUID();
  const old = [timeOrderedId(NOW - 3_600_000), timeOrderedId(NOW - 1_800_000)];
  // As written before `startAt` existed: one live copy, one revoked.
  await table.upsertEntity({
    partitionKey: 'activation:role',
    rowKey: `s|${ROLE}|${old[0]}`,
    principalId,
    removed: false,
  });
  await table.upsertEntity({
    partitionKey: 'activation:role',
    rowKey: `s|${ROLE}|${old[1]}`,
    principalId,
    removed: true,
  });
  const since = new Date(NOW - 2 * 3_600_000);
  expect(await s.stores.activations.countActivations(ROLE, principalId, since)).toBe(0);

  expect(await s.stores.activations.backfillStartAt()).toBe(2);
  expect(await s.stores.activations.countActivations(ROLE, principalId, since)).toBe(2);
  expect(await s.stores.activations.backfillStartAt()).toBe(0); // idempotent
  const page = await s.stores.activations.activatedSince('role', since, { top: 10 });
  expect(page.items.filter((a) => a.principalId === principalId).map((a) => a.startDateTime)).toEqual(
    old.map((id) => new Date(NOW - (id === old[0] ? 3_600_000 : 1_800_000)).toISOString()),
  );
  // Startup records that the backfill is done: a restart does not read the partition again.
  expect(await s.alerts.store.isDone('activationStartAt')).toBe(true);
});
