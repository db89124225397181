// Evaluates a parsed $filter against plain objects, for lists filtered in memory and for the part
// of a filter a table query cannot express. Semantics follow OData: `ne` is the negation of `eq`
// (so an absent property is `ne 'x'`), ordering against a missing or mistyped value is false.
import type { ComparisonOperator, FilterNode, FilterValue } from './ast';

export function matchesFilter(node: FilterNode | undefined, item: unknown): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'and':
      return node.clauses.every((c) => matchesFilter(c, item));
    case 'compare':
      return compare(resolve(item, node.property), node.operator, node.value);
    case 'in': {
      const actual = resolve(item, node.property);
      return node.values.some((v) => compare(actual, 'eq', v));
    }
    case 'any': {
      const items = resolve(item, node.property);
      return Array.isArray(items) && items.some((i) => matchesFilter(node.predicate, i));
    }
  }
}

/** Follows `a/b/c` through own properties only. */
export function resolve(item: unknown, path: string): unknown {
  let current = item;
  for (const segment of path.split('/')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function compare(actual: unknown, operator: ComparisonOperator, expected: FilterValue): boolean {
  if (operator === 'ne') return !compare(actual, 'eq', expected);
  if (expected === null) return operator === 'eq' && (actual === null || actual === undefined);
  const a = comparable(actual, expected);
  const b = expected instanceof Date ? expected.getTime() : expected;
  if (a === undefined) return false;
  switch (operator) {
    case 'eq':
      return a === b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
  }
}

/** The stored value in the literal's domain, or undefined when it has another type. */
function comparable(
  actual: unknown,
  expected: Exclude<FilterValue, null>,
): string | number | boolean | undefined {
  if (expected instanceof Date) {
    const ms =
      actual instanceof Date
        ? actual.getTime()
        : typeof actual === 'string'
          ? Date.parse(actual)
          : Number.NaN;
    return Number.isNaN(ms) ? undefined : ms;
  }
  return typeof actual === typeof expected ? (actual as string | number | boolean) : undefined;
}
