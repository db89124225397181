// Checks a response body against Graph v1.0's published metadata for the PIM types
// (shared/openapi/graph-types-v1.0.json, extracted from microsoftgraph/msgraph-metadata): every
// structural property is present (null only where Graph allows it), of Graph's type, an enum value
// Graph lists, and nothing else is there but `@odata.*` annotations.
import fs from 'node:fs';
import path from 'node:path';

interface Prop {
  name: string;
  type: string;
  nullable: boolean;
  nav: boolean;
}
interface TypeDef {
  kind: 'EntityType' | 'ComplexType';
  props: Record<string, Prop>;
}
interface Metadata {
  types: Record<string, TypeDef>;
  enums: Record<string, string[]>;
}

const metadata: Metadata = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'shared', 'openapi', 'graph-types-v1.0.json'), 'utf8'),
);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const short = (t: string) => t.replace(/^graph\./, '').replace(/^microsoft\.graph\./, '');

/** Problems of `value` as an instance of Graph type `typeName` (e.g. 'directoryAudit'). */
export function shapeProblems(value: unknown, typeName: string, at = typeName): string[] {
  const out: string[] = [];
  check(value, typeName, at, out);
  return out;
}

function check(value: unknown, type: string, at: string, out: string[]): void {
  const collection = /^Collection\((.+)\)$/.exec(type);
  if (collection) {
    if (!Array.isArray(value)) return void out.push(`${at}: expected an array, got ${JSON.stringify(value)}`);
    for (const [i, v] of value.entries()) check(v, collection[1], `${at}[${i}]`, out);
    return;
  }
  switch (type) {
    case 'Edm.String':
    case 'Edm.Duration':
      if (typeof value !== 'string') out.push(`${at}: expected a string, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.DateTimeOffset':
      if (typeof value !== 'string' || !ISO.test(value))
        out.push(`${at}: expected a date-time, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.Boolean':
      if (typeof value !== 'boolean') out.push(`${at}: expected a boolean, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.Int32':
    case 'Edm.Int64':
      if (!Number.isInteger(value)) out.push(`${at}: expected an integer, got ${JSON.stringify(value)}`);
      return;
  }
  const name = short(type);
  const members = metadata.enums[name];
  if (members) {
    if (typeof value !== 'string' || !members.includes(value))
      out.push(`${at}: ${JSON.stringify(value)} is not one of ${name} (${members.join(', ')})`);
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return void out.push(`${at}: expected a ${name} object, got ${JSON.stringify(value)}`);
  const record = value as Record<string, unknown>;
  // A derived type names itself (rules, approvers); else the declared type.
  const declared =
    typeof record['@odata.type'] === 'string' ? short(String(record['@odata.type']).replace(/^#/, '')) : name;
  const def = metadata.types[declared] ?? metadata.types[name];
  if (!def) return; // a type outside the extract (e.g. graph.identity's subtypes): not checked
  for (const prop of Object.values(def.props)) {
    if (prop.nav) continue;
    const v = record[prop.name];
    const where = `${at}.${prop.name}`;
    if (v === undefined)
      out.push(`${where}: missing (Graph returns it${prop.nullable ? ', null when empty' : ''})`);
    else if (v === null) {
      if (!prop.nullable) out.push(`${where}: null, but Graph never returns null here`);
    } else check(v, prop.type, where, out);
  }
  for (const key of Object.keys(record)) {
    if (key.startsWith('@odata.') || key.includes('@odata.')) continue;
    if (def.props[key]) continue;
    out.push(`${at}.${key}: not a property of ${declared}`);
  }
}
