// The $filter subset as data: what a caller may filter on (the allow-list) and the parsed tree.

export type ComparisonOperator = 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt';
export type FilterOperator = ComparisonOperator | 'in';
export type FilterValueType = 'string' | 'number' | 'boolean' | 'datetime';

/** A literal: datetimes (unquoted in the query, Graph style) become Dates. */
export type FilterValue = string | number | boolean | Date | null;

export interface ScalarField {
  type: FilterValueType;
  operators: readonly FilterOperator[];
  /** String enums: literals match case-insensitively and are replaced by the canonical value. */
  enum?: readonly string[];
}

/** A collection filtered with the lambda `name/any(x: x/prop eq ...)`. */
export interface CollectionField {
  type: 'collection';
  items: FilterFields;
}

export type FilterField = ScalarField | CollectionField;

/** Allowed properties by path (`/` between segments, e.g. `initiatedBy/user/id`). */
export type FilterFields = Readonly<Record<string, FilterField>>;

export type FilterNode =
  | { kind: 'and'; clauses: FilterNode[] }
  | { kind: 'compare'; property: string; operator: ComparisonOperator; value: FilterValue }
  | { kind: 'in'; property: string; values: FilterValue[] }
  /** `property/any(...)`; paths in `predicate` are relative to one item of the collection. */
  | { kind: 'any'; property: string; predicate: FilterNode };
