// Functions-style route templates: literal segments, `{name}`, `{name?}` (last segment only),
// `{*rest}` catch-all, and constraints such as `{id:int}`, `{name:alpha}`, `{id:guid}`,
// `{s:minlength(3)}`, `{s:regex(^a+$)}`. Literals match case-insensitively, as in ASP.NET routing.

export interface CompiledRoute<T> {
  template: string;
  regex: RegExp;
  params: ParamSpec[];
  /** Lower sorts first: literal segments beat parameters, which beat optional and catch-alls. */
  rank: number[];
  value: T;
}

interface ParamSpec {
  name: string;
  constraints: string[];
  optional: boolean;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileRoute<T>(template: string, value: T): CompiledRoute<T> {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : trimmed.split('/');
  const params: ParamSpec[] = [];
  const rank: number[] = [];
  let pattern = '^';
  segments.forEach((segment, index) => {
    const whole = /^\{(\*)?([A-Za-z_][\w]*)(?::([^}?]+(?:\([^)]*\))?(?::[^}?]+)*))?(\?)?\}$/.exec(segment);
    if (whole) {
      const [, catchAll, name, constraintText, optional] = whole;
      const constraints = constraintText ? splitConstraints(constraintText) : [];
      params.push({ name, constraints, optional: Boolean(optional) || Boolean(catchAll) });
      if (catchAll) {
        pattern += index === 0 ? '(.*)' : '(?:/(.*))?';
        rank.push(4);
      } else if (optional) {
        pattern += index === 0 ? '([^/]*)' : '(?:/([^/]+))?';
        rank.push(3);
      } else {
        pattern += (index === 0 ? '' : '/') + '([^/]+)';
        rank.push(constraints.length > 0 ? 1 : 2);
      }
      return;
    }
    // A literal segment, possibly with embedded parameters such as `{name}.json`.
    let segmentPattern = '';
    let last = 0;
    let hasParam = false;
    for (const m of segment.matchAll(/\{([A-Za-z_]\w*)(?::([^}]+))?\}/g)) {
      hasParam = true;
      segmentPattern += escapeRegex(segment.slice(last, m.index)) + '([^/]+?)';
      params.push({ name: m[1], constraints: m[2] ? splitConstraints(m[2]) : [], optional: false });
      last = (m.index ?? 0) + m[0].length;
    }
    segmentPattern += escapeRegex(segment.slice(last));
    pattern += (index === 0 ? '' : '/') + segmentPattern;
    rank.push(hasParam ? 1 : 0);
  });
  pattern += '/?$';
  return { template, regex: new RegExp(pattern, 'i'), params, rank, value };
}

function splitConstraints(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  if (current) out.push(current);
  return out;
}

function satisfies(value: string, constraint: string): boolean {
  const m = /^(\w+)(?:\((.*)\))?$/s.exec(constraint);
  if (!m) return true;
  const [, kind, arg] = m;
  const n = Number(arg);
  switch (kind.toLowerCase()) {
    case 'int':
    case 'long':
      return /^-?\d+$/.test(value);
    case 'double':
    case 'decimal':
    case 'float':
      return value.trim() !== '' && Number.isFinite(Number(value));
    case 'bool':
      return /^(true|false)$/i.test(value);
    case 'alpha':
      return /^[A-Za-z]+$/.test(value);
    case 'guid':
      return /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i.test(value);
    case 'datetime':
      return !Number.isNaN(Date.parse(value));
    case 'minlength':
      return value.length >= n;
    case 'maxlength':
      return value.length <= n;
    case 'length': {
      const [a, b] = (arg ?? '').split(',').map(Number);
      return b === undefined ? value.length === a : value.length >= a && value.length <= b;
    }
    case 'min':
      return Number(value) >= n;
    case 'max':
      return Number(value) <= n;
    case 'range': {
      const [a, b] = (arg ?? '').split(',').map(Number);
      return Number(value) >= a && Number(value) <= b;
    }
    case 'regex':
      return new RegExp(arg ?? '').test(value);
    default:
      return true;
  }
}

export function matchRoute<T>(route: CompiledRoute<T>, path: string): Record<string, string> | undefined {
  const m = route.regex.exec(path);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.params.length; i++) {
    const spec = route.params[i];
    const raw = m[i + 1];
    if (raw === undefined || raw === '') {
      if (!spec.optional) return undefined;
      continue;
    }
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (!spec.constraints.every((c) => satisfies(value, c))) return undefined;
    params[spec.name] = value;
  }
  return params;
}

export function compareRoutes<T>(a: CompiledRoute<T>, b: CompiledRoute<T>): number {
  const len = Math.max(a.rank.length, b.rank.length);
  for (let i = 0; i < len; i++) {
    const x = a.rank[i] ?? -1;
    const y = b.rank[i] ?? -1;
    if (x !== y) return x - y;
  }
  return 0;
}
