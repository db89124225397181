// Pushes the comparisons of a parsed $filter down into an Azure Table query. Values reach the
// query only through @azure/data-tables' `odata` template, which quotes and escapes them; column
// names come from the caller's mapping (code, not input) and are checked to be plain identifiers.
// What cannot be pushed down (lambdas, null checks, unmapped properties) is returned as `residual`
// for matchesFilter, so the caller filters the rows it reads.
import { odata } from '@azure/data-tables';
import type { ComparisonOperator, FilterNode, FilterValue } from './ast';

/** A stored value as the odata template encodes it (Date -> datetime'...'). */
export type TableValue = string | number | boolean | Date;

export interface TableColumn {
  column: string;
  /** Converts a literal to the stored form, e.g. a Date to the ISO string a column holds. */
  encode?: (value: Exclude<FilterValue, null>) => TableValue;
}

/** Filter property -> table column name, or a column with an encoder. */
export type TableColumns = Readonly<Record<string, string | TableColumn>>;

export interface TableQuery {
  /** For `listEntities({ queryOptions: { filter } })`; undefined when nothing could be pushed down. */
  filter: string | undefined;
  /** What the rows still have to pass in memory; undefined when the query says it all. */
  residual: FilterNode | undefined;
}

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

export function toTableQuery(node: FilterNode | undefined, columns: TableColumns): TableQuery {
  if (!node) return { filter: undefined, residual: undefined };
  const clauses = node.kind === 'and' ? node.clauses : [node];
  const pushed: string[] = [];
  const kept: FilterNode[] = [];
  for (const clause of clauses) {
    const text = translate(clause, columns);
    if (text === undefined) kept.push(clause);
    else pushed.push(text);
  }
  return {
    filter: pushed.length === 0 ? undefined : pushed.join(' and '),
    residual: kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : { kind: 'and', clauses: kept },
  };
}

/** Joins pushed-down filters (e.g. the repository's PartitionKey condition and the caller's). */
export function andTableFilters(...filters: (string | undefined)[]): string | undefined {
  const present = filters.filter((f): f is string => f !== undefined && f !== '');
  return present.length === 0 ? undefined : present.map((f) => `(${f})`).join(' and ');
}

function translate(node: FilterNode, columns: TableColumns): string | undefined {
  if (node.kind !== 'compare' && node.kind !== 'in') return undefined;
  const mapping = Object.hasOwn(columns, node.property) ? columns[node.property] : undefined;
  if (mapping === undefined) return undefined;
  const { column, encode } = typeof mapping === 'string' ? { column: mapping, encode: undefined } : mapping;
  if (!COLUMN.test(column)) throw new Error(`table column name '${column}' is not a plain identifier`);
  const encodeValue = (value: FilterValue): TableValue | undefined => {
    if (value === null) return undefined; // Table Storage has no null: absent properties are left out.
    const stored = encode ? encode(value) : value;
    if (typeof stored === 'number' && !Number.isFinite(stored))
      throw new Error('cannot query a non-finite number');
    return stored;
  };
  if (node.kind === 'compare') {
    const value = encodeValue(node.value);
    return value === undefined ? undefined : comparison(column, node.operator, value);
  }
  const values = node.values.map(encodeValue);
  if (values.some((v) => v === undefined)) return undefined;
  return `(${(values as TableValue[]).map((v) => comparison(column, 'eq', v)).join(' or ')})`;
}

// One literal template per operator: the text before each value is never empty and never ends
// in a quote, which is what makes `odata` quote and escape a string value.
function comparison(column: string, operator: ComparisonOperator, value: TableValue): string {
  switch (operator) {
    case 'eq':
      return column + odata` eq ${value}`;
    case 'ne':
      return column + odata` ne ${value}`;
    case 'ge':
      return column + odata` ge ${value}`;
    case 'le':
      return column + odata` le ${value}`;
    case 'gt':
      return column + odata` gt ${value}`;
    case 'lt':
      return column + odata` lt ${value}`;
  }
}
