// Graph's `@odata.context` on every successful GET under /api/v1.0: where the answer's shape is
// described, e.g. `.../api/v1.0/$metadata#roleManagement/directory/roleDefinitions` for a list and
// `...#roleManagement/directory/roleDefinitions/$entity` for one of them. Added here, once, to the
// serialized body, so no endpoint can forget it and none pays for a second serialization.
import type { HttpRequest } from '@azure/functions';

const VERSION_SEGMENT = '/api/v1.0/';

/** The context URL of a GET's answer, or undefined when the request is not a Graph-style resource. */
export function odataContext(req: HttpRequest, isCollection: boolean): string | undefined {
  const url = new URL(req.url);
  const at = url.pathname.indexOf(VERSION_SEGMENT);
  if (at !== 0) return undefined;
  const segments = url.pathname.slice(VERSION_SEGMENT.length).split('/').filter(Boolean).map(decodeSegment);
  // A bound function (filterByCurrentUser) answers with the collection it filters.
  if (segments.at(-1)?.startsWith('filterByCurrentUser(')) segments.pop();
  if (isCollection) return `${url.origin}/api/v1.0/$metadata#${segments.join('/')}`;
  // One item: its collection's path (the key segment is a route parameter) and /$entity.
  const keys = new Set(Object.values(req.params ?? {}));
  if (segments.length > 1 && keys.has(segments.at(-1)!)) segments.pop();
  return `${url.origin}/api/v1.0/$metadata#${segments.join('/')}/$entity`;
}

/** A serialized Graph collection: `{"value":[...]}`, or with `$count=true` `{"@odata.count":n,"value":[...]}`. */
export function isCollectionBody(body: string): boolean {
  return body.startsWith('{"value":[') || body.startsWith('{"@odata.count":');
}

/** Prefixes a JSON object body with its `@odata.context`, unless it has one. */
export function withOdataContext(req: HttpRequest, body: string): string {
  if (!body.startsWith('{') || body.startsWith('{"@odata.context"')) return body;
  const context = odataContext(req, isCollectionBody(body));
  if (!context) return body;
  const rest = body.slice(1);
  return `{"@odata.context":${JSON.stringify(context)}${rest.startsWith('}') ? '' : ','}${rest}`;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
