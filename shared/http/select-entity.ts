// `$select` on one item (GET /groups/{id}?$select=displayName), as on lists: only the named
// properties, `id` and the `@odata` annotations. Applied once to the serialized answer of a GET,
// so every item endpoint under /api/v1.0 has it; lists apply their own (functions/directory-common.ts).
import type { HttpRequest } from '@azure/functions';
import { badRequest } from './errors';
import { isCollectionBody } from './odata-context';

const PROPERTY = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** The names `$select` asks for (with `id`), or undefined without one; a non-name is a 400. */
export function selectedNames(req: HttpRequest): string[] | undefined {
  const raw = req.query.get('$select');
  if (raw === null) return undefined;
  const names = raw.split(',').map((n) => n.trim());
  const bad = names.find((n) => !PROPERTY.test(n));
  if (bad !== undefined)
    throw badRequest(`$select: '${bad.slice(0, 64)}' is not a property name.`, [
      { target: '$select', message: bad.slice(0, 64) },
    ]);
  return [...new Set(['id', ...names])];
}

/** The properties of `item` that `select` names; one it does not have is a 400, as in Graph. */
export function pickSelected(
  item: Record<string, unknown>,
  select: readonly string[],
): Record<string, unknown> {
  const missing = select.find((n) => !(n in item));
  if (missing !== undefined)
    throw badRequest(`Could not find a property named '${missing}' on this resource.`, [
      { target: '$select', message: missing },
    ]);
  return Object.fromEntries(
    Object.entries(item).filter(([k]) => k.startsWith('@odata.') || select.includes(k)),
  );
}

/** A single item's serialized answer with `$select` applied; lists and other bodies pass. */
export function selectOnEntity(req: HttpRequest, body: string): string {
  if (!req.query.has('$select') || !body.startsWith('{') || isCollectionBody(body)) return body;
  if (!new URL(req.url).pathname.startsWith('/api/v1.0/')) return body;
  const select = selectedNames(req);
  const item = JSON.parse(body) as Record<string, unknown>;
  if (!select || Array.isArray(item.value)) return body;
  return JSON.stringify(pickSelected(item, select));
}
