import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError } from '../../shared/http/errors';
import {
  collectionBody,
  decodeSkipToken,
  encodeSkipToken,
  type FilterFields,
  nextLink,
  parseCollectionQuery,
  parseTop,
  rejectUnsupportedOptions,
} from '../../shared/http/odata';
import { request } from './http-fixtures';

const Continuation = z.object({ pk: z.string(), rk: z.string() });
const q = (s: string) => new URLSearchParams(s);

function status(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err.status;
    throw err;
  }
  return undefined;
}

describe('$top', () => {
  it('defaults to 100 or the caller default and accepts 1..999', () => {
    expect(parseTop(q(''))).toBe(100);
    expect(parseTop(q(''), 25)).toBe(25);
    expect(parseTop(q('$top=1'))).toBe(1);
    expect(parseTop(q('$top=999'))).toBe(999);
  });

  it.each(['0', '1000', '-1', '1.5', 'abc', '', ' 5', '99999'])('400 for $top=%j', (value) => {
    expect(status(() => parseTop(q(`$top=${encodeURIComponent(value)}`)))).toBe(400);
  });

  it('400 when given twice', () => {
    expect(status(() => parseTop(q('$top=1&$top=2')))).toBe(400);
  });
});

describe('$skiptoken', () => {
  it('round-trips an opaque continuation', () => {
    const token = encodeSkipToken({ pk: 'p', rk: 'r' }, "id eq 'a'");
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSkipToken(token, Continuation, "id eq 'a'")).toEqual({ pk: 'p', rk: 'r' });
  });

  it('is 400 when tampered, malformed, foreign to the query or of the wrong shape', () => {
    const token = encodeSkipToken({ pk: 'p', rk: 'r' });
    const flipped = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
    const forged = Buffer.from(JSON.stringify({ v: 1, q: 'x', c: { pk: 'p', rk: 'r' } })).toString(
      'base64url',
    );
    const wrongShape = encodeSkipToken({ pk: 1 });
    for (const bad of [flipped, 'not base64!', '', 'e30', forged, wrongShape, 'A'.repeat(5000)]) {
      expect(status(() => decodeSkipToken(bad, Continuation))).toBe(400);
    }
    expect(status(() => decodeSkipToken(encodeSkipToken({ pk: 'p', rk: 'r' }, 'a'), Continuation, 'b'))).toBe(
      400,
    );
  });
});

describe('@odata.nextLink', () => {
  it('is the request URL with $skiptoken replaced, other parameters as written', () => {
    const url =
      "http://127.0.0.1:7071/api/v1.0/auditLogs/directoryAudits?$filter=category%20eq%20'Policy'&$top=2&$skiptoken=old";
    expect(nextLink(url, 'NEW')).toBe(
      // (The URL parser percent-encodes the quotes; the query is the same.)
      'http://127.0.0.1:7071/api/v1.0/auditLogs/directoryAudits?$filter=category%20eq%20%27Policy%27&$top=2&$skiptoken=NEW',
    );
    expect(nextLink('http://h/api/x', 'T')).toBe('http://h/api/x?$skiptoken=T');
    expect(nextLink('http://h/api/x?%24skiptoken=old&a=1', 'T')).toBe('http://h/api/x?a=1&$skiptoken=T');
  });

  it('appears in the collection body only when there is a next page', () => {
    expect(collectionBody([1], 'http://h/api/x')).toEqual({ value: [1] });
    expect(collectionBody([1], 'http://h/api/x', 'T')).toEqual({
      value: [1],
      '@odata.nextLink': 'http://h/api/x?$skiptoken=T',
    });
  });
});

describe('parseCollectionQuery', () => {
  const filter: FilterFields = { id: { type: 'string', operators: ['eq'] } };

  it('reads $top, $filter and a $skiptoken bound to the filter', () => {
    const first = parseCollectionQuery(request("http://h/api/x?$top=2&$filter=id eq 'a'"), {
      filter,
      continuation: Continuation,
    });
    expect(first).toMatchObject({ top: 2, filter: { property: 'id', value: 'a' }, continuation: undefined });
    const token = first.skipToken({ pk: 'p', rk: 'r' });
    const second = parseCollectionQuery(request(nextLink("http://h/api/x?$top=2&$filter=id eq 'a'", token)), {
      filter,
      continuation: Continuation,
    });
    expect(second.continuation).toEqual({ pk: 'p', rk: 'r' });
    // The same token with another filter is refused.
    expect(
      status(() =>
        parseCollectionQuery(request(`http://h/api/x?$filter=id eq 'b'&$skiptoken=${token}`), {
          filter,
          continuation: Continuation,
        }),
      ),
    ).toBe(400);
  });

  it('refuses $ options the endpoint does not support, naming them', () => {
    expect(() =>
      parseCollectionQuery(request('http://h/api/x?$orderby=id'), { filter, continuation: Continuation }),
    ).toThrow(/Query option '\$orderby' is not supported/);
    expect(
      status(() =>
        parseCollectionQuery(request("http://h/api/x?$filter=id eq 'a'"), { continuation: Continuation }),
      ),
    ).toBe(400);
    expect(() => rejectUnsupportedOptions(q('$count=true&plain=1'), ['$count'])).not.toThrow();
  });
});
