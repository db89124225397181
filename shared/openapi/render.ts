// Renders the registered operations as an OpenAPI 3.1 document. Schemas come from zod 4's own
// z.toJSONSchema (JSON Schema 2020-12, which OpenAPI 3.1 uses); schemas given an `id` with
// `.meta({ id })` become shared components (`#/components/schemas/<id>`) instead of being inlined.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { FilterFields } from '../http/filter/ast';
import { graphCollection, graphComponents, graphRef } from './graph-schemas';
import { type OperationSpec, registeredOperations, registryVersion } from './registry';

type JsonObject = Record<string, unknown>;

export interface OpenApiInfo {
  title?: string;
  version: string;
  description?: string;
}

const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ target: z.string(), message: z.string() })),
      innerError: z
        .object({ 'request-id': z.string(), 'client-request-id': z.string(), date: z.string() })
        .optional(),
    }),
  })
  .meta({ id: 'ODataError', description: "Microsoft Graph's error envelope." });

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad request: malformed JSON, schema or query (every bad field in details).',
  401: 'Missing or invalid access token.',
  403: 'Authenticated, but not allowed.',
  404: 'Not found, or not visible to the caller.',
  409: 'Conflict with the current state.',
  412: 'The If-Match ETag no longer matches.',
};

let cached: { version: number; key: string; doc: JsonObject } | undefined;

export function renderOpenApi(info: OpenApiInfo): JsonObject {
  const key = JSON.stringify(info);
  if (cached?.version === registryVersion() && cached.key === key) return cached.doc;
  const doc = new Renderer().render(info, registeredOperations());
  cached = { version: registryVersion(), key, doc };
  return doc;
}

class Renderer {
  private readonly components: Record<string, unknown> = {};

  render(info: OpenApiInfo, operations: readonly OperationSpec[]): JsonObject {
    const paths: Record<string, Record<string, unknown>> = {};
    const sorted = [...operations].sort(
      (a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method),
    );
    // Response shapes claim the plain component names first; an input shape that differs from
    // its output (defaults, transforms) then becomes `<id>_input`, whatever the path order.
    for (const op of sorted) {
      for (const spec of Object.values(op.responses)) {
        if (typeof spec !== 'string' && spec.schema) this.schema(spec.schema, 'output');
      }
    }
    for (const op of sorted) {
      paths[op.path] ??= {};
      paths[op.path]![op.method.toLowerCase()] = this.operation(op);
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title ?? 'JIT Access', version: info.version, description: info.description },
      servers: [{ url: '/api' }],
      security: [{ bearer: [] }],
      paths,
      components: {
        schemas: { ...graphComponents(), ...this.components },
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    };
  }

  private operation(op: OperationSpec): JsonObject {
    const parameters = [...this.pathParameters(op.path), ...this.queryParameters(op)];
    const responses: Record<string, unknown> = {};
    // The statuses any such operation can answer, besides its own: no blanket `default`.
    const statuses = { ...op.responses };
    if (!op.anonymous) statuses[401] ??= STATUS_TEXT[401]!;
    if (op.requestBody || op.query || op.collection)
      statuses[400] ??= 'Bad input (every bad field in details)';
    if (op.requestBody) {
      statuses[413] ??= 'The body is over 1 MiB';
      statuses[415] ??= 'The body is not JSON (Content-Type: application/json)';
    }
    if (!op.anonymous) statuses[503] ??= 'Storage cannot be reached (Retry-After)';
    if (op.path.includes('{')) statuses[404] ??= 'No such object, or not one the caller may see';
    for (const [status, spec] of Object.entries(statuses)) {
      const { description, schema, graph, collection } =
        typeof spec === 'string'
          ? { description: spec, schema: undefined, graph: undefined, collection: false }
          : spec;
      const body = schema ?? (Number(status) >= 400 ? ErrorEnvelope : undefined);
      const json = graph
        ? collection
          ? graphCollection(graph)
          : graphRef(graph)
        : body
          ? this.schema(body, 'output')
          : undefined;
      responses[status] = {
        description,
        ...(json ? { content: { 'application/json': { schema: json } } } : {}),
      };
    }
    return {
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      operationId: op.operationId ?? operationId(op),
      ...(op.tags ? { tags: op.tags } : {}),
      ...(op.anonymous ? { security: [] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.requestBody
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: this.schema(op.requestBody, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }

  private pathParameters(path: string): JsonObject[] {
    return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: isGuidParameter(path, m[1]!) ? { type: 'string', format: 'uuid' } : { type: 'string' },
    }));
  }

  private queryParameters(op: OperationSpec): JsonObject[] {
    const params: JsonObject[] = [];
    if (op.collection) {
      if (op.collection.paged !== false)
        params.push(
          { name: '$top', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 999 } },
          {
            name: '$skiptoken',
            in: 'query',
            description: 'From @odata.nextLink.',
            schema: { type: 'string' },
          },
          {
            name: '$select',
            in: 'query',
            description: 'Comma-separated properties to return (id always comes too).',
            schema: { type: 'string' },
          },
        );
      if (op.collection.orderBy) {
        params.push({
          name: '$orderby',
          in: 'query',
          description: `The list's order, the one it comes in: ${op.collection.orderBy}.`,
          schema: { type: 'string', enum: [op.collection.orderBy] },
        });
      }
      if (op.collection.expand?.length)
        params.push({
          name: '$expand',
          in: 'query',
          description: `Comma-separated related objects to include: ${op.collection.expand.join(', ')}.`,
          schema: { type: 'string' },
        });
      if (op.collection.count || op.collection.expand?.length)
        params.push({
          name: '$count',
          in: 'query',
          description: 'true: the answer has @odata.count, the number of matching items on all pages.',
          schema: { type: 'boolean' },
        });
      if (op.collection.filter) {
        params.push({
          name: '$filter',
          in: 'query',
          description: describeFilter(op.collection.filter),
          schema: { type: 'string' },
        });
      }
    }
    if (op.query) {
      const json = this.schema(op.query, 'input', true) as JsonObject;
      const required = new Set((json.required as string[] | undefined) ?? []);
      for (const [name, schema] of Object.entries((json.properties as JsonObject | undefined) ?? {})) {
        params.push({ name, in: 'query', required: required.has(name), schema });
      }
    }
    return params;
  }

  /**
   * JSON Schema for `schema`, with `$defs` (zod's output for schemas with an id) hoisted into
   * components. `inline` resolves a root $ref, for query parameters that need the object itself.
   */
  private schema(schema: z.ZodType, io: 'input' | 'output', inline = false): unknown {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
    }) as JsonObject;
    const { $schema: _, $defs, ...root } = json;
    const defs = Object.entries(($defs as JsonObject | undefined) ?? {});
    const renames = new Map<string, string>();
    for (const [name, def] of defs)
      renames.set(name, this.componentName(name, rewriteRefs(def, new Map()), io));
    for (const [name, def] of defs) this.components[renames.get(name)!] ??= rewriteRefs(def, renames);
    const rewritten = rewriteRefs(root, renames) as JsonObject;
    const ref =
      typeof rewritten.$ref === 'string' ? rewritten.$ref.replace('#/components/schemas/', '') : undefined;
    return inline && ref !== undefined ? this.components[ref] : rewritten;
  }

  /** The same id can differ between input and output (defaults, transforms): suffix on conflict. */
  private componentName(name: string, def: unknown, io: 'input' | 'output'): string {
    for (const candidate of [name, `${name}_${io}`]) {
      const existing = this.components[candidate];
      if (existing === undefined || isDeepStrictEqual(existing, def)) return candidate;
    }
    throw new Error(`OpenAPI: two different schemas use the id '${name}'`);
  }
}

function rewriteRefs(value: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, renames));
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
      const name = v.slice('#/$defs/'.length);
      out[k] = `#/components/schemas/${renames.get(name) ?? name}`;
    } else {
      out[k] = rewriteRefs(v, renames);
    }
  }
  return out;
}

function describeFilter(fields: FilterFields, prefix = ''): string {
  const parts = Object.entries(fields).map(([name, field]) =>
    field.type === 'collection'
      ? `${prefix}${name}/any(x: ${describeFilter(field.items, 'x/')})`
      : `${prefix}${name} (${field.operators.join(', ')})`,
  );
  return prefix ? parts.join(', ') : `Supported: ${parts.join('; ')}. Conditions combine with 'and'.`;
}

function operationId(op: OperationSpec): string {
  const words = op.path
    .replace(/^\/v1\.0\//, '/')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return `${op.method.toLowerCase()}${words.join('')}`;
}

/**
 * Object ids in paths are GUIDs (users, groups, roles, requests, schedules, approvals, audit rows,
 * connectors, subscriptions); policy ids (`DirectoryRole_<guid>`), rule and stage ids and link tokens
 * are not.
 */
function isGuidParameter(path: string, name: string): boolean {
  if (name === 'memberId') return true;
  // Policy ids and PIM alert ids (`DirectoryRole_<type>`) are names, not GUIDs.
  return name === 'id' && !path.startsWith('/v1.0/policies/') && !path.includes('/roleManagementAlerts/');
}
