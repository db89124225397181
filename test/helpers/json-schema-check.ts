// Checks a JSON value against a schema of the service's OpenAPI document: the subset of JSON Schema
// the document uses ($ref into components, type (with "null"), properties, required,
// additionalProperties: false, items, enum, const, anyOf/oneOf, format date-time). Returns the
// problems, each with where it is; an empty list means the value fits.
type Schema = Record<string, unknown>;

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function schemaProblems(
  value: unknown,
  schema: Schema,
  components: Record<string, Schema>,
  at = '$',
): string[] {
  const out: string[] = [];
  check(value, schema, components, at, out);
  return out;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (Number.isInteger(v)) return 'integer';
  return typeof v;
}

function fits(actual: string, wanted: string): boolean {
  return actual === wanted || (wanted === 'number' && actual === 'integer');
}

function check(
  value: unknown,
  schema: Schema,
  components: Record<string, Schema>,
  at: string,
  out: string[],
): void {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = components[name];
    if (!target) return void out.push(`${at}: unknown schema ${schema.$ref}`);
    check(value, target, components, at, out);
    return;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (!options) continue;
    const results = options.map((o) => schemaProblems(value, o, components, at));
    const ok = results.filter((r) => r.length === 0).length;
    if (ok === 0) out.push(`${at}: fits none of ${key} (${results.map((r) => r[0]).join(' | ')})`);
    return;
  }
  if ('const' in schema && value !== schema.const)
    return void out.push(`${at}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    return void out.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  const types =
    schema.type === undefined ? undefined : ([] as string[]).concat(schema.type as string | string[]);
  const actual = typeOf(value);
  if (types && !types.some((t) => fits(actual, t)))
    return void out.push(
      `${at}: expected ${types.join(' or ')}, got ${actual} ${JSON.stringify(value)?.slice(0, 80)}`,
    );
  if (schema.format === 'date-time' && typeof value === 'string' && !DATE_TIME.test(value))
    out.push(`${at}: ${JSON.stringify(value)} is not a date-time`);
  if (actual === 'array' && schema.items)
    for (const [i, v] of (value as unknown[]).entries())
      check(v, schema.items as Schema, components, `${at}[${i}]`, out);
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required as string[] | undefined) ?? [])
      if (!(name in record)) out.push(`${at}.${name}: missing`);
    for (const [name, v] of Object.entries(record)) {
      if (properties[name]) check(v, properties[name], components, `${at}.${name}`, out);
      else if (schema.additionalProperties === false && !name.startsWith('@odata.'))
        out.push(`${at}.${name}: not in the schema`);
    }
  }
}
