// JSON Schemas of Graph v1.0's PIM types, made from Graph's own metadata (graph-types-v1.0.json,
// extracted from microsoftgraph/msgraph-metadata), so the OpenAPI document describes the answers
// in Graph's words: `#/components/schemas/microsoft.graph.<type>`. Properties are typed as Graph
// types them; derived types (policy rules, approvers) may carry their own properties besides.
import metadata from './graph-types-v1.0.json';

type JsonObject = Record<string, unknown>;

interface Prop {
  name: string;
  type: string;
  nullable: boolean;
  nav: boolean;
}

const types = metadata.types as unknown as Record<string, { props: Record<string, Prop> }>;
const enums = metadata.enums as Record<string, string[]>;

export type GraphTypeName = keyof typeof metadata.types;

/** The component name of a Graph type, as Graph's own OpenAPI names it. */
export const graphSchemaName = (type: string) => `microsoft.graph.${type}`;

export function graphRef(type: GraphTypeName): JsonObject {
  return { $ref: `#/components/schemas/${graphSchemaName(type)}` };
}

/** The property names Graph gives the type (structural and navigation). */
export function graphPropertyNames(type: GraphTypeName): string[] {
  return Object.keys(types[type]?.props ?? {});
}

/** `{value: [...], @odata.nextLink?, @odata.count?}` of one Graph type. */
export function graphCollection(type: GraphTypeName): JsonObject {
  return {
    type: 'object',
    properties: {
      '@odata.context': { type: 'string' },
      '@odata.count': { type: 'integer' },
      '@odata.nextLink': { type: 'string' },
      value: { type: 'array', items: graphRef(type) },
    },
    required: ['value'],
  };
}

/** Every type and enum of the extract, as components. */
export function graphComponents(): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const [name, def] of Object.entries(types)) {
    const properties: JsonObject = {};
    for (const p of Object.values(def.props)) properties[p.name] = propertySchema(p.type, p.nullable);
    out[graphSchemaName(name)] = { type: 'object', properties };
  }
  for (const [name, members] of Object.entries(enums))
    out[graphSchemaName(name)] = { type: 'string', enum: members };
  return out;
}

function propertySchema(type: string, nullable: boolean): JsonObject {
  const collection = /^Collection\((.+)\)$/.exec(type);
  if (collection) return orNull({ type: 'array', items: propertySchema(collection[1]!, false) }, nullable);
  switch (type) {
    case 'Edm.String':
    case 'Edm.Duration':
      return orNull({ type: 'string' }, nullable);
    case 'Edm.DateTimeOffset':
      return orNull({ type: 'string', format: 'date-time' }, nullable);
    case 'Edm.Date':
      return orNull({ type: 'string', format: 'date' }, nullable);
    case 'Edm.Boolean':
      return orNull({ type: 'boolean' }, nullable);
    case 'Edm.Int32':
    case 'Edm.Int64':
      return orNull({ type: 'integer' }, nullable);
  }
  const name = type.replace(/^(microsoft\.)?graph\./, '');
  // A type outside the extract (an identity's subtypes, say) is an object Graph describes elsewhere.
  if (!types[name] && !enums[name]) return orNull({ type: 'object' }, nullable);
  return orNull({ $ref: `#/components/schemas/${graphSchemaName(name)}` }, nullable);
}

function orNull(schema: JsonObject, nullable: boolean): JsonObject {
  return nullable ? { anyOf: [schema, { type: 'null' }] } : schema;
}
