// What can be activated: a directory role at a scope, or a privileged group's member/owner access.
import { z } from 'zod';
import { normalizeScope } from '../access/catalog';
import { keyPart } from './tables';

export const Target = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('role'), roleDefinitionId: z.string(), directoryScopeId: z.string() }),
  z.object({ kind: z.literal('group'), groupId: z.string(), accessId: z.enum(['member', 'owner']) }),
]);
export type Target = z.infer<typeof Target>;

/** RowKey of a target within a principal's partition. */
export function targetKey(t: Target): string {
  return t.kind === 'role'
    ? `role|${keyPart(t.roleDefinitionId.toLowerCase())}|${keyPart(normalizeScope(t.directoryScopeId))}`
    : `group|${keyPart(t.groupId.toLowerCase())}|${t.accessId}`;
}

/** Policies are per role, and per group and access id. */
export function policyKey(t: Target): string {
  return t.kind === 'role'
    ? `role|${keyPart(t.roleDefinitionId.toLowerCase())}`
    : `group|${keyPart(t.groupId.toLowerCase())}|${t.accessId}`;
}

export function policyId(t: Target): string {
  return t.kind === 'role' ? `DirectoryRole_${t.roleDefinitionId}` : `Group_${t.groupId}_${t.accessId}`;
}
