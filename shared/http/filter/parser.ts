// Parses the documented $filter subset against a caller's allow-list into a FilterNode tree.
// Grammar:  filter := clause ('and' clause)*
//           clause := '(' filter ')' | path op literal | path 'in' '(' literal (',' literal)* ')'
//                   | path '/any(' var ':' filter ')'        (paths inside start with var '/')
// Anything else is a 400 that names the unsupported part; nothing here ever reaches storage as text.
import type {
  ComparisonOperator,
  FilterField,
  FilterFields,
  FilterNode,
  FilterOperator,
  FilterValue,
  ScalarField,
} from './ast';
import { filterError, type Token, tokenize } from './lexer';

const COMPARISONS: readonly string[] = ['eq', 'ne', 'ge', 'le', 'gt', 'lt'];
const OTHER_OPERATORS: readonly string[] = ['or', 'not', 'has', 'add', 'sub', 'mul', 'div', 'mod'];
const MAX_DEPTH = 16;
const MAX_IN_VALUES = 100;

interface Scope {
  fields: FilterFields;
  /** The lambda's range variable, when inside `any(...)`. */
  variable?: string;
}

/** Parses `$filter`. Absent or blank -> undefined (no filter). */
export function parseFilter(input: string | null | undefined, fields: FilterFields): FilterNode | undefined {
  if (input === null || input === undefined || input.trim() === '') return undefined;
  return new Parser(tokenize(input), fields).parse();
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly fields: FilterFields,
  ) {}

  parse(): FilterNode {
    const node = this.conjunction({ fields: this.fields });
    const next = this.peek();
    if (next.kind !== 'end') throw filterError(`unexpected ${describe(next)}`, next.pos);
    return node;
  }

  private conjunction(scope: Scope): FilterNode {
    if (++this.depth > MAX_DEPTH) throw filterError('nested too deeply', this.peek().pos);
    const clauses = [this.clause(scope)];
    while (this.isKeyword(this.peek(), 'and')) {
      this.index++;
      clauses.push(this.clause(scope));
    }
    const next = this.peek();
    if (next.kind === 'name' && OTHER_OPERATORS.includes(next.text.toLowerCase())) {
      throw filterError(`operator '${next.text}' is not supported; only 'and' combines conditions`, next.pos);
    }
    this.depth--;
    const flat = clauses.flatMap((c) => (c.kind === 'and' ? c.clauses : [c]));
    return flat.length === 1 ? flat[0]! : { kind: 'and', clauses: flat };
  }

  private clause(scope: Scope): FilterNode {
    const token = this.next();
    if (token.kind === '(') {
      const inner = this.conjunction(scope);
      this.expect(')');
      return inner;
    }
    if (token.kind !== 'name')
      throw filterError(`expected a property name, found ${describe(token)}`, token.pos);
    const lower = token.text.toLowerCase();
    if (OTHER_OPERATORS.includes(lower)) {
      throw filterError(`operator '${token.text}' is not supported`, token.pos);
    }
    if (this.peek().kind === '(') return this.lambda(token, scope);
    return this.predicate(token, scope);
  }

  private predicate(name: Token & { kind: 'name' }, scope: Scope): FilterNode {
    const property = this.relativePath(name, scope);
    const field = lookup(scope.fields, property);
    if (!field) throw unsupportedProperty(name.text, scope);
    if (field.type === 'collection') {
      throw filterError(
        `'${name.text}' is a collection; use ${name.text}/any(x: x/<property> eq ...)`,
        name.pos,
      );
    }
    const opToken = this.next();
    const op = opToken.kind === 'name' ? opToken.text.toLowerCase() : '';
    if (op !== 'in' && !COMPARISONS.includes(op)) {
      if (OTHER_OPERATORS.includes(op)) throw filterError(`operator '${op}' is not supported`, opToken.pos);
      throw filterError(`expected an operator after '${name.text}', found ${describe(opToken)}`, opToken.pos);
    }
    if (!field.operators.includes(op as FilterOperator)) {
      throw filterError(
        `operator '${op}' is not supported for '${name.text}'; supported: ${field.operators.join(', ')}`,
        opToken.pos,
      );
    }
    if (op === 'in') {
      this.expect('(');
      const values = [this.literal(field, name.text, 'in')];
      while (this.peek().kind === ',') {
        this.index++;
        values.push(this.literal(field, name.text, 'in'));
      }
      this.expect(')');
      if (values.length > MAX_IN_VALUES) {
        throw filterError(`'in' takes at most ${MAX_IN_VALUES} values`, opToken.pos);
      }
      return { kind: 'in', property, values };
    }
    const operator = op as ComparisonOperator;
    return { kind: 'compare', property, operator, value: this.literal(field, name.text, operator) };
  }

  private lambda(name: Token & { kind: 'name' }, scope: Scope): FilterNode {
    const slash = name.text.lastIndexOf('/');
    const fn = name.text.slice(slash + 1);
    if (slash < 0 || (fn.toLowerCase() !== 'any' && fn.toLowerCase() !== 'all')) {
      throw filterError(`function '${name.text}' is not supported`, name.pos);
    }
    if (fn.toLowerCase() === 'all') throw filterError(`lambda 'all' is not supported; use 'any'`, name.pos);
    const collection = { ...name, text: name.text.slice(0, slash) };
    const property = this.relativePath(collection, scope);
    const field = lookup(scope.fields, property);
    if (!field) throw unsupportedProperty(collection.text, scope);
    if (field.type !== 'collection') throw filterError(`'${collection.text}' is not a collection`, name.pos);
    this.expect('(');
    const variable = this.next();
    if (variable.kind !== 'name' || variable.text.includes('/')) {
      throw filterError(`expected a range variable such as 't' in ${name.text}(t: ...)`, variable.pos);
    }
    this.expect(':');
    const predicate = this.conjunction({ fields: field.items, variable: variable.text });
    this.expect(')');
    return { kind: 'any', property, predicate };
  }

  /** Strips the lambda variable (`t/id` -> `id`); outside a lambda the path is used as written. */
  private relativePath(name: Token & { kind: 'name' }, scope: Scope): string {
    if (!scope.variable) return name.text;
    const prefix = `${scope.variable}/`;
    if (!name.text.startsWith(prefix)) {
      throw filterError(`inside the lambda, properties are written ${prefix}<property>`, name.pos);
    }
    return name.text.slice(prefix.length);
  }

  private literal(field: ScalarField, property: string, op: ComparisonOperator | 'in'): FilterValue {
    const token = this.next();
    let value: FilterValue;
    if (token.kind === 'string' || token.kind === 'number' || token.kind === 'datetime') value = token.value;
    else if (this.isKeyword(token, 'true')) value = true;
    else if (this.isKeyword(token, 'false')) value = false;
    else if (this.isKeyword(token, 'null')) value = null;
    else throw filterError(`expected a value for '${property}', found ${describe(token)}`, token.pos);
    return checkType(value, field, property, op, token.pos);
  }

  private isKeyword(token: Token, word: string): boolean {
    return token.kind === 'name' && token.text.toLowerCase() === word;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private expect(kind: '(' | ')' | ':'): void {
    const token = this.next();
    if (token.kind !== kind) throw filterError(`expected '${kind}', found ${describe(token)}`, token.pos);
  }
}

// Own keys only: `constructor` or `__proto__` must not find Object.prototype's members.
function lookup(fields: FilterFields, property: string): FilterField | undefined {
  return Object.hasOwn(fields, property) ? fields[property] : undefined;
}

function checkType(
  value: FilterValue,
  field: ScalarField,
  property: string,
  op: ComparisonOperator | 'in',
  pos: number,
): FilterValue {
  if (value === null) {
    if (op === 'eq' || op === 'ne') return null;
    throw filterError(`null can only be compared with eq or ne`, pos);
  }
  const expected = {
    string: 'a quoted string',
    number: 'a number',
    boolean: 'true or false',
    datetime: 'a date and time without quotes, e.g. 2026-01-01T00:00:00Z',
  }[field.type];
  const ok =
    (field.type === 'string' && typeof value === 'string') ||
    (field.type === 'number' && typeof value === 'number') ||
    (field.type === 'boolean' && typeof value === 'boolean') ||
    (field.type === 'datetime' && value instanceof Date);
  if (!ok) throw filterError(`'${property}' is compared with ${expected}`, pos);
  if (field.enum && typeof value === 'string') {
    const canonical = field.enum.find((e) => e.toLowerCase() === value.toLowerCase());
    if (!canonical) throw filterError(`'${property}' must be one of: ${field.enum.join(', ')}`, pos);
    return canonical;
  }
  return value;
}

function unsupportedProperty(path: string, scope: Scope) {
  const names = Object.keys(scope.fields).map((f) => (scope.variable ? `${scope.variable}/${f}` : f));
  return filterError(`property '${path}' is not supported; supported: ${names.join(', ')}`);
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of input';
    case 'name':
    case 'number':
    case 'datetime':
      return `'${token.text}'`;
    case 'string':
      return 'a string literal';
    default:
      return `'${token.kind}'`;
  }
}
