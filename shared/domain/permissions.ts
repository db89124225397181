// Resource actions (`microsoft.directory/users/password/update`) and role permissions with `*`
// wildcards. A `*` matches any run of characters, `/` included, as in Entra and Azure RBAC
// (`*` is everything, `microsoft.directory/*/read` every directory read). Matching ignores case.
// The matcher is iterative and linear in practice, so a pattern of many stars cannot make a
// regular expression backtrack exponentially.
import { z } from 'zod';

const MAX_ACTION_LENGTH = 400;
const ACTION = /^[A-Za-z0-9._/*-]+$/;

/** A pattern as stored in `allowedResourceActions`: may contain `*`. */
export const ResourceActionPattern = z
  .string()
  .max(MAX_ACTION_LENGTH)
  .regex(
    ACTION,
    'Expected a resource action such as microsoft.directory/users/read (letters, digits, . _ - / *).',
  );

/** A concrete action being checked: never a wildcard, or `*` would ask "may P do anything?". */
export const ResourceAction = z
  .string()
  .max(MAX_ACTION_LENGTH)
  .regex(/^[A-Za-z0-9._/-]+$/, 'Expected a concrete resource action (no wildcards).');

export const RolePermission = z.object({
  allowedResourceActions: z.array(ResourceActionPattern).max(500),
  excludedResourceActions: z.array(ResourceActionPattern).max(500).optional(),
  condition: z.string().max(1000).nullish(),
});
export type RolePermission = z.infer<typeof RolePermission>;

/** True when `action` matches `pattern`, where each `*` in the pattern matches any substring. */
export function actionMatches(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  let pi = 0;
  let ai = 0;
  let star = -1; // position in p of the last `*` seen
  let mark = 0; // position in a that `*` was matched up to
  while (ai < a.length) {
    if (pi < p.length && p[pi] !== '*' && p[pi] === a[ai]) {
      pi++;
      ai++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ai;
    } else if (star !== -1) {
      // Let the last star swallow one more character and retry from there.
      pi = star + 1;
      ai = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Whether one permission block grants `action`: some allowed pattern matches and no excluded one. */
export function permissionAllows(permission: RolePermission, action: string): boolean {
  const allowed = permission.allowedResourceActions.some((p) => actionMatches(p, action));
  if (!allowed) return false;
  return !(permission.excludedResourceActions ?? []).some((p) => actionMatches(p, action));
}

/** Whether a role's permission blocks grant `action` (any block suffices). */
export function permissionsAllow(permissions: readonly RolePermission[], action: string): boolean {
  return permissions.some((p) => permissionAllows(p, action));
}
