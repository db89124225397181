// Splits a $filter string into tokens. Every failure is a 400 that names the position.
import { badRequest, type HttpError } from '../errors';

type NameToken = { kind: 'name'; text: string; pos: number }; // identifier or path: `initiatedBy/user/id`
type NumberToken = { kind: 'number'; value: number; text: string; pos: number };
type DatetimeToken = { kind: 'datetime'; value: Date; text: string; pos: number };

export type Token =
  | NameToken
  | NumberToken
  | DatetimeToken
  | { kind: 'string'; value: string; pos: number }
  | { kind: '(' | ')' | ',' | ':'; pos: number }
  | { kind: 'end'; pos: number };

export const MAX_FILTER_LENGTH = 2048;

const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\/[A-Za-z_][A-Za-z0-9_]*)*/y;
const DATETIME = /(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})/y;
const DATE_START = /\d{4}-\d{2}-\d{2}/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENTIFIER_CHAR = /[A-Za-z0-9_]/;

export function filterError(message: string, pos?: number): HttpError {
  const where = pos === undefined ? '' : ` at position ${pos + 1}`;
  return badRequest(`Invalid $filter${where}: ${message}`, [{ target: '$filter', message }]);
}

export function tokenize(input: string): Token[] {
  if (input.length > MAX_FILTER_LENGTH) throw filterError(`longer than ${MAX_FILTER_LENGTH} characters`);
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < input.length) {
    const ch = input[pos]!;
    if (/\s/.test(ch)) {
      pos++;
    } else if (ch === '(' || ch === ')' || ch === ',' || ch === ':') {
      tokens.push({ kind: ch, pos });
      pos++;
    } else if (ch === "'") {
      const [value, next] = readString(input, pos);
      tokens.push({ kind: 'string', value, pos });
      pos = next;
    } else {
      const token = readDatetime(input, pos) ?? readNumber(input, pos) ?? readName(input, pos);
      if (!token) throw filterError(`unexpected character '${ch}'`, pos);
      tokens.push(token);
      pos += token.text.length;
      if (pos < input.length && IDENTIFIER_CHAR.test(input[pos]!) && token.kind !== 'name') {
        throw filterError(`unexpected character '${input[pos]}' after '${token.text}'`, pos);
      }
    }
  }
  tokens.push({ kind: 'end', pos });
  return tokens;
}

/** A quoted literal; `''` inside is one quote (OData's only escape). */
function readString(input: string, start: number): [string, number] {
  let value = '';
  let pos = start + 1;
  for (;;) {
    const quote = input.indexOf("'", pos);
    if (quote < 0) throw filterError('unterminated string literal', start);
    value += input.slice(pos, quote);
    if (input[quote + 1] === "'") {
      value += "'";
      pos = quote + 2;
    } else {
      return [value, quote + 1];
    }
  }
}

function readDatetime(input: string, pos: number): DatetimeToken | undefined {
  DATETIME.lastIndex = pos;
  const m = DATETIME.exec(input);
  if (!m) {
    DATE_START.lastIndex = pos;
    if (DATE_START.test(input))
      throw filterError('a date and time needs a time and zone, e.g. 2026-01-01T00:00:00Z', pos);
    return undefined;
  }
  const text = m[0];
  const value = new Date(text);
  // Date() rolls 2026-02-30 over to March; a real date must survive the round trip.
  const [, y, mo, d, h, mi, s] = m;
  const check = new Date(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)),
  );
  const valid =
    !Number.isNaN(value.getTime()) &&
    check.getUTCFullYear() === Number(y) &&
    check.getUTCMonth() === Number(mo) - 1 &&
    check.getUTCDate() === Number(d) &&
    check.getUTCHours() === Number(h) &&
    check.getUTCMinutes() === Number(mi) &&
    check.getUTCSeconds() === Number(s ?? 0);
  if (!valid) throw filterError(`'${text}' is not a valid date and time`, pos);
  return { kind: 'datetime', value, text, pos };
}

function readNumber(input: string, pos: number): NumberToken | undefined {
  NUMBER.lastIndex = pos;
  const m = NUMBER.exec(input);
  if (!m) return undefined;
  const value = Number(m[0]);
  if (!Number.isFinite(value)) throw filterError(`number '${m[0]}' is out of range`, pos);
  return { kind: 'number', value, text: m[0], pos };
}

function readName(input: string, pos: number): NameToken | undefined {
  NAME.lastIndex = pos;
  const m = NAME.exec(input);
  return m ? { kind: 'name', text: m[0], pos } : undefined;
}
