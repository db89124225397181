// Operations register themselves here at module load, with the same zod schemas that validate
// their requests; ./render turns the registry into the OpenAPI document, so the two cannot drift.
import type { z } from 'zod';
import type { FilterFields } from '../http/filter/ast';
import type { GraphTypeName } from './graph-schemas';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  /** Body schema (output side); omitted for bodiless answers such as 204. */
  schema?: z.ZodType;
  /** Or a Graph v1.0 type (./graph-schemas.ts), one item or a collection of them. */
  graph?: GraphTypeName;
  collection?: boolean;
}

export interface OperationSpec {
  method: HttpMethod | Uppercase<HttpMethod>;
  /** Relative to the server URL `/api`, e.g. `/v1.0/roleManagement/directory/roleDefinitions/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  operationId?: string;
  requestBody?: z.ZodType;
  /** Query parameters other than OData's `$` options, as an object schema. */
  query?: z.ZodObject;
  /** A collection: documents $top and $skiptoken (unless `paged` is false), and $filter when `filter` is given. */
  collection?: {
    filter?: FilterFields;
    paged?: boolean;
    expand?: readonly string[];
    orderBy?: string;
    /** `$count=true` is answered. */
    count?: boolean;
  };
  /** Status -> response. Error statuses default to Graph's error envelope. */
  responses: Record<number, ResponseSpec | string>;
  /** No bearer token needed (health, OpenAPI, JWKS). */
  anonymous?: boolean;
}

const operations = new Map<string, OperationSpec>();
let version = 0;

/** Registers (or, when a module is loaded again, replaces) the operation for method + path. */
export function registerOperation(spec: OperationSpec): void {
  if (!spec.path.startsWith('/')) throw new Error(`OpenAPI path must start with '/': ${spec.path}`);
  operations.set(`${spec.method.toLowerCase()} ${spec.path}`, spec);
  version++;
}

export function registeredOperations(): readonly OperationSpec[] {
  return [...operations.values()];
}

/** Changes whenever an operation is registered; lets the renderer cache its output. */
export function registryVersion(): number {
  return version;
}
