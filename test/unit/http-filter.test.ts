import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../shared/http/errors';
import {
  andTableFilters,
  type FilterFields,
  matchesFilter,
  parseFilter,
  toTableQuery,
} from '../../shared/http/odata';

// The audit list's allow-list (API.md), plus a number and a boolean for coverage.
const AUDIT: FilterFields = {
  activityDateTime: { type: 'datetime', operators: ['ge', 'le', 'gt', 'lt'] },
  category: {
    type: 'string',
    operators: ['eq', 'ne', 'in'],
    enum: ['RoleManagement', 'GroupManagement', 'Policy', 'AccessReview'],
  },
  activityDisplayName: { type: 'string', operators: ['eq'] },
  'initiatedBy/user/id': { type: 'string', operators: ['eq'] },
  correlationId: { type: 'string', operators: ['eq', 'ne'] },
  id: { type: 'string', operators: ['eq', 'ne', 'in'] },
  size: { type: 'number', operators: ['eq', 'ge', 'le', 'gt', 'lt'] },
  isBuiltIn: { type: 'boolean', operators: ['eq', 'ne'] },
  targetResources: { type: 'collection', items: { id: { type: 'string', operators: ['eq'] } } },
};

function badFilter(text: string): HttpError {
  try {
    parseFilter(text, AUDIT);
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    return err as HttpError;
  }
  throw new Error(`expected a 400 for: ${text}`);
}

describe('parseFilter: accepted subset', () => {
  it('is undefined for an absent or blank filter', () => {
    expect(parseFilter(undefined, AUDIT)).toBeUndefined();
    expect(parseFilter(null, AUDIT)).toBeUndefined();
    expect(parseFilter('  ', AUDIT)).toBeUndefined();
  });

  it('parses comparisons with unquoted ISO datetimes joined by and', () => {
    const ast = parseFilter(
      'activityDateTime ge 2026-01-01T00:00:00Z and activityDateTime lt 2026-02-01T12:30:00.5+01:00',
      AUDIT,
    );
    expect(ast).toEqual({
      kind: 'and',
      clauses: [
        {
          kind: 'compare',
          property: 'activityDateTime',
          operator: 'ge',
          value: new Date('2026-01-01T00:00:00Z'),
        },
        {
          kind: 'compare',
          property: 'activityDateTime',
          operator: 'lt',
          value: new Date('2026-02-01T11:30:00.5Z'),
        },
      ],
    });
  });

  it("keeps '' as one quote and does not treat quoted text as syntax", () => {
    expect(parseFilter("id eq 'x'' or PartitionKey ne '''", AUDIT)).toEqual({
      kind: 'compare',
      property: 'id',
      operator: 'eq',
      value: "x' or PartitionKey ne '",
    });
    expect(parseFilter("id eq ''", AUDIT)).toMatchObject({ value: '' });
    expect(parseFilter("id eq 'a and b eq 1'", AUDIT)).toMatchObject({ value: 'a and b eq 1' });
  });

  it('parses paths with / , in-lists, numbers, booleans and null', () => {
    expect(parseFilter("initiatedBy/user/id eq 'u1'", AUDIT)).toMatchObject({
      property: 'initiatedBy/user/id',
    });
    expect(parseFilter("id in ('a', 'b','c')", AUDIT)).toEqual({
      kind: 'in',
      property: 'id',
      values: ['a', 'b', 'c'],
    });
    expect(parseFilter('size ge -1.5e2', AUDIT)).toMatchObject({ value: -150 });
    expect(parseFilter('isBuiltIn eq TRUE', AUDIT)).toMatchObject({ value: true });
    expect(parseFilter('correlationId eq null', AUDIT)).toMatchObject({ operator: 'eq', value: null });
  });

  it('accepts operators and keywords in any case, and canonicalises enum literals', () => {
    expect(parseFilter("category EQ 'rolemanagement'", AUDIT)).toEqual({
      kind: 'compare',
      property: 'category',
      operator: 'eq',
      value: 'RoleManagement',
    });
    expect(parseFilter("category in ('policy','ACCESSREVIEW')", AUDIT)).toMatchObject({
      values: ['Policy', 'AccessReview'],
    });
  });

  it('parses the any() lambda with paths relative to the range variable', () => {
    expect(parseFilter("targetResources/any(t: t/id eq 'x') and category eq 'Policy'", AUDIT)).toEqual({
      kind: 'and',
      clauses: [
        {
          kind: 'any',
          property: 'targetResources',
          predicate: { kind: 'compare', property: 'id', operator: 'eq', value: 'x' },
        },
        { kind: 'compare', property: 'category', operator: 'eq', value: 'Policy' },
      ],
    });
  });

  it('flattens parenthesised conjunctions', () => {
    const ast = parseFilter("(id eq 'a' and (size gt 1)) and isBuiltIn eq false", AUDIT);
    expect(ast).toMatchObject({
      kind: 'and',
      clauses: [{ property: 'id' }, { property: 'size' }, { property: 'isBuiltIn' }],
    });
  });
});

describe('parseFilter: everything else is a 400 naming the part', () => {
  it.each([
    ["id eq 'a' or id eq 'b'", /operator 'or' is not supported/],
    // Injection attempts: a quote either stays inside the literal or leaves it unterminated.
    ["id eq 'x'' or PartitionKey ne ''", /unterminated string literal/],
    ["id eq 'x' or PartitionKey ne ''", /operator 'or' is not supported/],
    ["not id eq 'a'", /operator 'not' is not supported/],
    ["foo eq 'a'", /property 'foo' is not supported; supported: activityDateTime/],
    ["constructor eq 'a'", /property 'constructor' is not supported/],
    ["__proto__ eq 'a'", /property '__proto__' is not supported/],
    ["category gt 'Policy'", /operator 'gt' is not supported for 'category'; supported: eq, ne, in/],
    ["category eq 'Nope'", /'category' must be one of: RoleManagement/],
    ["startswith(id, 'a')", /function 'startswith' is not supported/],
    ["targetResources/all(t: t/id eq 'x')", /lambda 'all' is not supported/],
    ["targetResources/any(t: id eq 'x')", /inside the lambda, properties are written t\/<property>/],
    ["targetResources eq 'x'", /is a collection/],
    ["id/any(t: t/id eq 'x')", /'id' is not a collection/],
    ["activityDateTime ge '2026-01-01T00:00:00Z'", /compared with a date and time without quotes/],
    ['activityDateTime ge 2026-01-01', /needs a time and zone/],
    ['activityDateTime ge 2026-02-30T00:00:00Z', /not a valid date and time/],
    ['size eq 12abc', /unexpected character 'a'/],
    ["id eq 'unterminated", /unterminated string literal/],
    ['id eq', /expected a value for 'id', found end of input/],
    ["id 'a'", /expected an operator after 'id'/],
    ["id has 'a'", /operator 'has' is not supported/],
    ["'a' eq id", /expected a property name, found a string literal/],
    ['size eq 1 size eq 2', /unexpected 'size'/],
    ["(id eq 'a'", /expected '\)', found end of input/],
    ['size ge null', /null can only be compared with eq or ne/],
    ['isBuiltIn eq 1', /compared with true or false/],
    ["id eq 'a'; drop table", /unexpected character ';'/],
    ['id eq @p', /unexpected character '@'/],
  ])('%s', (text, message) => {
    const err = badFilter(text);
    expect(err.message).toMatch(message);
    expect(err.details[0]?.target).toBe('$filter');
  });

  it('limits length and nesting', () => {
    expect(badFilter(`id eq '${'a'.repeat(3000)}'`).message).toMatch(/longer than/);
    expect(badFilter(`${'('.repeat(40)}id eq 'a'${')'.repeat(40)}`).message).toMatch(/nested too deeply/);
  });

  it('never throws anything but HttpError(400) on random input', () => {
    const pieces = fc.constantFrom(
      'id',
      'size',
      'category',
      'targetResources/any(t:',
      't/id',
      'eq',
      'ne',
      'ge',
      'in',
      'and',
      'or',
      'not',
      '(',
      ')',
      ',',
      "'",
      "''",
      "'x'",
      '1',
      '-2.5',
      '2026-01-01T00:00:00Z',
      'null',
      'true',
      '/',
      ' ',
      ':',
      'constructor',
      '__proto__',
    );
    const inputs = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.array(pieces, { maxLength: 30 }).map((p) => p.join(' ')),
      fc.array(pieces, { maxLength: 30 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(inputs, (text) => {
        try {
          parseFilter(text, AUDIT);
        } catch (err) {
          return err instanceof HttpError && err.status === 400;
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('matchesFilter', () => {
  const row = {
    id: 'a1',
    category: 'RoleManagement',
    activityDateTime: '2026-01-15T10:00:00.000Z',
    size: 3,
    isBuiltIn: false,
    initiatedBy: { user: { id: 'u1' } },
    targetResources: [{ id: 'r1' }, { id: 'r2' }],
  };
  const matches = (text: string) => matchesFilter(parseFilter(text, AUDIT), row);

  it('evaluates comparisons, in, any, null and and', () => {
    expect(matches('')).toBe(true);
    expect(matches("initiatedBy/user/id eq 'u1'")).toBe(true);
    expect(matches("initiatedBy/user/id eq 'u2'")).toBe(false);
    expect(
      matches('activityDateTime ge 2026-01-15T10:00:00Z and activityDateTime lt 2026-01-16T00:00:00Z'),
    ).toBe(true);
    expect(matches('activityDateTime gt 2026-01-15T10:00:00Z')).toBe(false);
    expect(matches("id in ('x', 'a1')")).toBe(true);
    expect(matches("targetResources/any(t: t/id eq 'r2')")).toBe(true);
    expect(matches("targetResources/any(t: t/id eq 'r3')")).toBe(false);
    expect(matches('size gt 2 and size le 3 and isBuiltIn eq false')).toBe(true);
    expect(matches('correlationId eq null')).toBe(true);
    expect(matches('correlationId ne null')).toBe(false);
    expect(matches("correlationId ne 'x'")).toBe(true);
    expect(matches("correlationId eq 'x'")).toBe(false);
  });

  it('does not follow prototype properties', () => {
    const fields: FilterFields = { 'a/constructor': { type: 'string', operators: ['ne'] } };
    expect(matchesFilter(parseFilter("a/constructor ne 'x'", fields), { a: {} })).toBe(true);
  });
});

describe('toTableQuery', () => {
  const columns = {
    id: 'RowKey',
    category: 'Category',
    size: 'Size',
    isBuiltIn: 'IsBuiltIn',
    activityDateTime: { column: 'ActivityDateTime', encode: (v: unknown) => (v as Date).toISOString() },
  };

  it('escapes quotes in string values through the odata template', () => {
    const ast = parseFilter("id eq 'x'' or PartitionKey ne '''", AUDIT);
    expect(ast).toMatchObject({ value: "x' or PartitionKey ne '" });
    expect(toTableQuery(ast, columns)).toEqual({
      filter: "RowKey eq 'x'' or PartitionKey ne '''",
      residual: undefined,
    });
  });

  it('pushes mapped comparisons down and returns the rest as residual', () => {
    const ast = parseFilter(
      "category in ('Policy','RoleManagement') and size ge 2 and isBuiltIn eq true and activityDateTime ge 2026-01-01T00:00:00Z and targetResources/any(t: t/id eq 'r') and correlationId eq 'c'",
      AUDIT,
    );
    const q = toTableQuery(ast, columns);
    expect(q.filter).toBe(
      "(Category eq 'Policy' or Category eq 'RoleManagement') and Size ge 2 and IsBuiltIn eq true and ActivityDateTime ge '2026-01-01T00:00:00.000Z'",
    );
    expect(q.residual).toMatchObject({
      kind: 'and',
      clauses: [{ kind: 'any' }, { property: 'correlationId' }],
    });
  });

  it('encodes Dates as datetime literals when no encoder is given', () => {
    const q = toTableQuery(parseFilter('activityDateTime lt 2026-01-01T00:00:00Z', AUDIT), {
      activityDateTime: 'Timestamp',
    });
    expect(q.filter).toBe("Timestamp lt datetime'2026-01-01T00:00:00.000Z'");
  });

  it('keeps null comparisons in memory and refuses odd column names', () => {
    expect(toTableQuery(parseFilter('id eq null', AUDIT), columns)).toMatchObject({ filter: undefined });
    expect(() => toTableQuery(parseFilter("id eq 'a'", AUDIT), { id: 'RowKey or true' })).toThrow(
      /plain identifier/,
    );
  });

  it('joins filters with and', () => {
    expect(andTableFilters("PartitionKey eq 'p'", undefined, "RowKey eq 'r'")).toBe(
      "(PartitionKey eq 'p') and (RowKey eq 'r')",
    );
    expect(andTableFilters(undefined, '')).toBeUndefined();
  });

  it('every string that reaches a query is a quoted, escaped literal (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (value) => {
        const ast = parseFilter(`id eq '${value.replace(/'/g, "''")}'`, AUDIT);
        expect(ast).toMatchObject({ value });
        const filter = toTableQuery(ast, columns).filter!;
        expect(filter).toBe(`RowKey eq '${value.replace(/'/g, "''")}'`);
      }),
      { numRuns: 500 },
    );
  });
});
