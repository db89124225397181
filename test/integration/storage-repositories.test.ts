// Repositories on Azurite: ETag conflicts become typed errors, pages follow continuation tokens,
// and the index follows the primary rows.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEvent } from '../../shared/audit/directory-audit';
import { ConflictError, PreconditionFailedError } from '../../shared/domain/errors';
import { defaultPolicy } from '../../shared/domain/policy';
import type { ScheduleRecord } from '../../shared/domain/schedules';
import { createStores, type Stores } from '../../shared/services/stores';
import type { Page, PageRequest } from '../../shared/storage/paging';
import { groupEntity, policyEntity, scheduleEntity } from '../../shared/storage/role-management-entities';
import type { Resource } from '../../shared/storage/role-management-keys';
import { StaleReadError } from '../../shared/storage/role-management-repository';
import { isolateTables, newUser } from './services-fixtures';

isolateTables();

let stores: Stores;
beforeAll(() => {
  stores = createStores();
});

const NOW = new Date('2030-01-15T09:00:00.000Z');
const audit = (what = 'test change') =>
  auditEvent({
    category: 'Other',
    activityDisplayName: what,
    operationType: 'Other',
    initiatedBy: { app: 'test' },
    correlationId: randomUUID(),
    targetResources: [],
    at: NOW,
  });

async function collect<T>(
  read: (p: PageRequest) => Promise<Page<T>>,
  top: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await read({ top, continuationToken: token });
    expect(page.items.length).toBeLessThanOrEqual(top);
    items.push(...page.items);
    token = page.continuationToken;
    pages++;
  } while (token);
  return { items, pages };
}

describe('UsersRepository', () => {
  it('creates once, refuses a second create, and refuses a stale replace', async () => {
    const u = newUser('Ann');
    await stores.users.create({ ...u }, audit());
    const read = await stores.users.get(u.id);
    expect(read?.value).toEqual(u);
    await expect(stores.users.create({ ...u }, audit())).rejects.toBeInstanceOf(ConflictError);

    await stores.users.replace({ ...u, displayName: 'Ann 2' }, read!.etag, audit());
    await expect(
      stores.users.replace({ ...u, displayName: 'Ann 3' }, read!.etag, audit()),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await stores.users.get(u.id))?.value.displayName).toBe('Ann 2');
  });

  it('pages through all users with continuation tokens', async () => {
    for (let i = 0; i < 5; i++) await stores.users.create(newUser('Pager'), audit());
    const { items, pages } = await collect((p) => stores.users.list(p), 2);
    expect(items.length).toBeGreaterThanOrEqual(5);
    expect(new Set(items.map((u) => u.id)).size).toBe(items.length);
    expect(pages).toBeGreaterThanOrEqual(3);
  });
});

function schedule(resource: Resource, principalId: string, endDateTime: string | null): ScheduleRecord {
  return {
    id: randomUUID(),
    level: 'assignment',
    target: { kind: 'group', groupId: resource.id, accessId: 'member' },
    principalId,
    memberType: 'Direct',
    assignmentType: 'Assigned',
    status: 'Provisioned',
    startDateTime: NOW.toISOString(),
    endDateTime,
    createdDateTime: NOW.toISOString(),
    modifiedDateTime: NOW.toISOString(),
    createdUsing: randomUUID(),
  };
}

async function newGroupResource(): Promise<Resource> {
  const resource: Resource = { kind: 'group', id: randomUUID() };
  await stores.roleManagement.commit(resource, {
    guard: 'new',
    writes: [
      {
        op: 'insert',
        entity: groupEntity({
          id: resource.id,
          displayName: 'G',
          description: null,
          mailNickname: 'G',
          mailEnabled: false,
          securityEnabled: true,
          isAssignableToRole: true,
          createdDateTime: NOW.toISOString(),
        }),
      },
    ],
    audits: [audit()],
  });
  return resource;
}

describe('RoleManagementRepository', () => {
  it('refuses to create a resource twice, and a change based on a stale head', async () => {
    const resource = await newGroupResource();
    await expect(
      stores.roleManagement.commit(resource, { guard: 'new', writes: [], audits: [audit()] }),
    ).rejects.toBeInstanceOf(StaleReadError);

    const head = (await stores.roleManagement.head(resource))!;
    await stores.roleManagement.commit(resource, {
      guard: head,
      writes: [{ op: 'insert', entity: scheduleEntity(schedule(resource, randomUUID(), null)) }],
      audits: [audit()],
    });
    // The same head again: someone changed the partition since it was read.
    const lost = stores.roleManagement.commit(resource, {
      guard: head,
      writes: [{ op: 'insert', entity: scheduleEntity(schedule(resource, randomUUID(), null)) }],
      audits: [audit()],
    });
    await expect(lost).rejects.toBeInstanceOf(StaleReadError);
    await expect(lost).rejects.toBeInstanceOf(ConflictError); // what the HTTP layer sees: 409
    expect(await stores.roleManagement.schedules(resource, 'assignment')).toHaveLength(1);
  });

  it("a caller's stale If-Match is a PreconditionFailedError (412), not a retryable race", async () => {
    const resource = await newGroupResource();
    const target = { kind: 'group', groupId: resource.id, accessId: 'owner' } as const;
    const head = (await stores.roleManagement.head(resource))!;
    await stores.roleManagement.commit(resource, {
      guard: head,
      writes: [{ op: 'insert', entity: policyEntity(target, defaultPolicy(target)) }],
      audits: [audit()],
    });
    const v1 = (await stores.roleManagement.policy(target))!;
    const edit = (description: string, etag: string) =>
      stores.roleManagement.head(resource).then((h) =>
        stores.roleManagement.commit(resource, {
          guard: h!,
          writes: [
            {
              op: 'replace',
              entity: policyEntity(target, { ...v1.value, description }),
              etag,
              callerEtag: true,
            },
          ],
          audits: [audit()],
        }),
      );
    const etags = await edit('first', v1.etag);
    expect(etags.get('policy|owner')).toBe((await stores.roleManagement.policy(target))!.etag);
    await expect(edit('second', v1.etag)).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await stores.roleManagement.policy(target))!.value.description).toBe('first');
  });

  it('an inserted row that exists is a ConflictError', async () => {
    const resource = await newGroupResource();
    const s = schedule(resource, randomUUID(), null);
    let head = (await stores.roleManagement.head(resource))!;
    await stores.roleManagement.commit(resource, {
      guard: head,
      writes: [{ op: 'insert', entity: scheduleEntity(s) }],
      audits: [audit()],
    });
    head = (await stores.roleManagement.head(resource))!;
    const again = stores.roleManagement.commit(resource, {
      guard: head,
      writes: [{ op: 'insert', entity: scheduleEntity(s) }],
      audits: [audit()],
    });
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    await expect(again).rejects.not.toBeInstanceOf(StaleReadError);
  });

  it('lists a resource partition page by page, and drops ended schedules on request', async () => {
    const resource = await newGroupResource();
    const principal = randomUUID();
    const ended = schedule(resource, principal, '2030-01-01T00:00:00.000Z');
    const live = Array.from({ length: 5 }, () => schedule(resource, randomUUID(), null));
    const head = (await stores.roleManagement.head(resource))!;
    await stores.roleManagement.commit(resource, {
      guard: head,
      writes: [ended, ...live].map((s) => ({ op: 'insert' as const, entity: scheduleEntity(s) })),
      audits: [audit()],
    });
    const all = await collect((p) => stores.roleManagement.listSchedules(resource, 'assignment', p), 2);
    expect(all.items).toHaveLength(6);
    expect(all.pages).toBe(3);
    const current = await collect(
      (p) => stores.roleManagement.listSchedules(resource, 'assignment', p, { notEndedAt: NOW }),
      10,
    );
    expect(current.items.map((s) => s.id).sort()).toEqual(live.map((s) => s.id).sort());
    const mine = await stores.roleManagement.schedules(resource, 'assignment', { principalId: principal });
    expect(mine.map((s) => s.value.id)).toEqual([ended.id]);
  });
});

describe('RoleManagementIndex', () => {
  it('holds copies by principal, by id and by kind, and drops them when the row goes', async () => {
    const resource = await newGroupResource();
    const principal = randomUUID();
    const s = schedule(resource, principal, null);
    let head = (await stores.roleManagement.head(resource))!;
    await stores.roleManagement.commit(resource, {
      guard: head,
      writes: [{ op: 'insert', entity: scheduleEntity(s) }],
      audits: [audit()],
    });

    const byPrincipal = await stores.index.schedulesOfPrincipal(principal, 'group', 'assignment', {
      top: 10,
    });
    expect(byPrincipal.items).toEqual([s]);
    expect(await stores.index.locate(s.id)).toEqual({
      partitionKey: `group:${resource.id}`,
      rowKey: `asgn|${s.id}`,
    });
    expect(
      (await stores.index.schedulesOfPrincipal(principal, 'role', 'assignment', { top: 10 })).items,
    ).toEqual([]);
    const groups = await collect((p) => stores.index.groups(p), 100);
    expect(groups.items.map((g) => g.id)).toContain(resource.id);

    head = (await stores.roleManagement.head(resource))!;
    await stores.roleManagement.commit(resource, {
      guard: head,
      writes: [{ op: 'delete', entity: scheduleEntity(s) }],
      audits: [audit()],
    });
    expect(
      (await stores.index.schedulesOfPrincipal(principal, 'group', 'assignment', { top: 10 })).items,
    ).toEqual([]);
    expect(await stores.index.locate(s.id)).toBeUndefined();
  });

  it('a late, stale sync cannot leave an old copy behind', async () => {
    const resource = await newGroupResource();
    const principal = randomUUID();
    const s = schedule(resource, principal, null);
    let head = (await stores.roleManagement.head(resource))!;
    await stores.roleManagement.commit(resource, {
      guard: head,
      writes: [{ op: 'insert', entity: scheduleEntity(s) }],
      audits: [audit()],
    });
    const changed = { ...s, endDateTime: '2030-02-01T00:00:00.000Z' };
    const stored = (await stores.roleManagement.schedule(resource, 'assignment', s.id))!;
    head = (await stores.roleManagement.head(resource))!;
    await stores.roleManagement.commit(resource, {
      guard: head,
      writes: [{ op: 'replace', entity: scheduleEntity(changed), etag: stored.etag }],
      audits: [audit()],
    });
    // Replaying the first change's projection (as a slow sweeper would) re-reads the primary row.
    await stores.index.sync({
      partitionKey: `group:${resource.id}`,
      rowKey: `asgn|${s.id}`,
      principalId: principal,
    });
    expect(
      (await stores.index.schedulesOfPrincipal(principal, 'group', 'assignment', { top: 10 })).items,
    ).toEqual([changed]);
  });
});
