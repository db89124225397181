// Scopes are paths: `/` (the whole directory), `/administrativeUnits/x`, `/subscriptions/x/resourceGroups/y`.
// An assignment at a scope covers that scope and everything below it, segment by segment, so `/a`
// covers `/a/b` but not `/ab`. Comparison ignores letter case, as Azure resource ids do.
import { z } from 'zod';

export const ROOT_SCOPE = '/';

const MAX_SCOPE_LENGTH = 512;
// Path segment characters of RFC 3986 minus `*` (no wildcards in scopes) and `%` (no encodings to
// normalise): what directory scope ids and Azure resource ids use.
const SEGMENT = /^[A-Za-z0-9._~:@!$&'()+,;=-]+$/;

/** True for `/` and for `/seg(/seg)*` with no empty, `.` or `..` segments and no trailing slash. */
export function isValidScope(scope: string): boolean {
  if (scope === ROOT_SCOPE) return true;
  if (scope.length > MAX_SCOPE_LENGTH || !scope.startsWith('/')) return false;
  return scope
    .slice(1)
    .split('/')
    .every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
}

export const Scope = z
  .string()
  .refine(isValidScope, "Expected a scope path: '/' or '/segment/segment' (no trailing slash).");

function segments(scope: string): string[] {
  return scope === ROOT_SCOPE ? [] : scope.slice(1).toLowerCase().split('/');
}

/** True when an assignment at `outer` applies at `inner` (equal, or `inner` lies below `outer`). */
export function scopeContains(outer: string, inner: string): boolean {
  if (!isValidScope(outer) || !isValidScope(inner)) return false;
  const o = segments(outer);
  const i = segments(inner);
  return o.length <= i.length && o.every((seg, k) => seg === i[k]);
}

export function sameScope(a: string, b: string): boolean {
  return scopeContains(a, b) && scopeContains(b, a);
}
