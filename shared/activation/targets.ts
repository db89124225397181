// What can be activated: a directory role at a scope, or a privileged group's member/owner access
// (the directory's own Target), and the table key activation keeps per principal and target.
import type { Target } from '../domain/schedules';
import { keyPart } from './tables';

export type { Target } from '../domain/schedules';

/** RowKey of a target within a principal's partition (ids and scopes compare case-insensitively). */
export function targetKey(t: Target): string {
  return t.kind === 'role'
    ? `role|${keyPart(t.roleDefinitionId.toLowerCase())}|${keyPart(t.directoryScopeId.toLowerCase())}`
    : `group|${keyPart(t.groupId.toLowerCase())}|${t.accessId}`;
}
