// OData `$expand` on the PIM lists, as Graph clients use it: `roleDefinition`, `principal` and
// `directoryScope` on role schedules, instances and requests; `group` and `principal` on the group
// ones. Each distinct id is read once per answer (role definitions and groups are cached besides).
import type { HttpRequest } from '@azure/functions';
import { toGraphGroup } from '../shared/domain/groups';
import { toGraphRoleDefinition } from '../shared/domain/roles';
import { toGraphUser } from '../shared/domain/users';
import { badRequest } from '../shared/http/errors';
import { type OperationContext, services } from '../shared/services';

export const ROLE_EXPANDS = ['roleDefinition', 'principal', 'directoryScope'] as const;
export const GROUP_EXPANDS = ['group', 'principal'] as const;
export type Expandable = (typeof ROLE_EXPANDS)[number] | (typeof GROUP_EXPANDS)[number];

/** `$expand=a,b`: each one the resource offers; anything else is a 400 naming it. */
export function expandOf(req: HttpRequest, offered: readonly Expandable[]): Expandable[] {
  const raw = req.query.get('$expand');
  if (raw === null) return [];
  const names = [...new Set(raw.split(',').map((n) => n.trim()))];
  const bad = names.find((n) => !(offered as readonly string[]).includes(n));
  if (bad !== undefined)
    throw badRequest(
      `$expand: '${bad.slice(0, 64)}' cannot be expanded here; expandable: ${offered.join(', ')}.`,
      [{ target: '$expand', message: bad.slice(0, 64) }],
    );
  return names as Expandable[];
}

type Item = Record<string, unknown>;

/** Adds the expanded objects to each item (null when the object no longer exists). */
export async function expandItems(
  ctx: OperationContext,
  items: Item[],
  expand: readonly Expandable[],
): Promise<void> {
  if (expand.length === 0) return;
  const s = services();
  const once = new Map<string, Promise<unknown>>();
  const memo = (key: string, load: () => Promise<unknown>) => {
    if (!once.has(key))
      once.set(
        key,
        load().catch(() => null),
      );
    return once.get(key)!;
  };
  const loaders: Record<Expandable, (item: Item) => Promise<unknown>> = {
    roleDefinition: (item) =>
      memo(`r:${item.roleDefinitionId}`, async () =>
        toGraphRoleDefinition((await s.roleDefinitions.get(ctx, String(item.roleDefinitionId))).value),
      ),
    group: (item) =>
      memo(`g:${item.groupId}`, async () =>
        toGraphGroup((await s.groups.get(ctx, String(item.groupId))).value),
      ),
    principal: (item) => memo(`p:${item.principalId}`, () => principalOf(ctx, String(item.principalId))),
    // The whole directory ('/') is no object of its own; Graph answers null for it too.
    directoryScope: async (item) => (item.directoryScopeId === '/' ? null : { id: item.directoryScopeId }),
  };
  await Promise.all(
    items.flatMap((item) =>
      expand.map(async (name) => {
        item[name] = await loaders[name](item);
      }),
    ),
  );
}

async function principalOf(ctx: OperationContext, id: string): Promise<unknown> {
  const s = services();
  const user = await s.users.get(ctx, id).catch(() => undefined);
  if (user) return { '@odata.type': '#microsoft.graph.user', ...toGraphUser(user) };
  const group = await s.groups.get(ctx, id).catch(() => undefined);
  return group ? { '@odata.type': '#microsoft.graph.group', ...toGraphGroup(group.value) } : null;
}
