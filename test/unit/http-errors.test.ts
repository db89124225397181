import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  badRequest,
  conflict,
  errorEnvelope,
  forbidden,
  HttpError,
  invalidInput,
  notFound,
  preconditionFailed,
  tooManyRequests,
  unauthorized,
  zodDetails,
} from '../../shared/http/errors';
import { addErrorMapper, httpHandler, json } from '../../shared/http/handler';
import { ciEnum, parseOrThrow, parseQuery, readJsonBody } from '../../shared/http/validation';
import { body, context, header, request } from './http-fixtures';

const Expiration = z.strictObject({
  type: ciEnum(['afterDuration', 'afterDateTime', 'noExpiration']),
  duration: z.string().optional(),
});
const RequestBody = z.strictObject({
  action: ciEnum(['selfActivate', 'adminAssign']),
  principalId: z.string(),
  justification: z.string().max(5),
  scheduleInfo: z.object({ expiration: Expiration }),
  tags: z.array(z.string()).optional(),
});

describe('Graph error envelope', () => {
  it('has code, message, details and innerError', () => {
    const inner = { 'request-id': 'r', 'client-request-id': 'c', date: '2026-01-01T00:00:00.000Z' };
    expect(errorEnvelope('BadRequest', 'nope', [{ target: 'a', message: 'b' }], inner)).toEqual({
      error: {
        code: 'BadRequest',
        message: 'nope',
        details: [{ target: 'a', message: 'b' }],
        innerError: inner,
      },
    });
    expect(new HttpError(409, 'RoleAssignmentExists', 'exists').toEnvelope()).toEqual({
      error: { code: 'RoleAssignmentExists', message: 'exists', details: [] },
    });
  });

  it('helpers carry Graph status codes and error codes', () => {
    const cases: [HttpError, number, string][] = [
      [badRequest('x'), 400, 'BadRequest'],
      [unauthorized(), 401, 'InvalidAuthenticationToken'],
      [forbidden(), 403, 'Authorization_RequestDenied'],
      [notFound(), 404, 'ResourceNotFound'],
      [notFound('no user', 'Request_ResourceNotFound'), 404, 'Request_ResourceNotFound'],
      [conflict('exists', 'RoleAssignmentExists'), 409, 'RoleAssignmentExists'],
      [preconditionFailed(), 412, 'PreconditionFailed'],
      [tooManyRequests('slow down', 2.5), 429, 'TooManyRequests'],
    ];
    for (const [err, status, code] of cases) expect([err.status, err.code]).toEqual([status, code]);
    expect(unauthorized().headers['WWW-Authenticate']).toBe('Bearer');
    expect(unauthorized('expired "now"', true).headers['WWW-Authenticate']).toBe(
      'Bearer error="invalid_token", error_description="expired now"',
    );
    expect(tooManyRequests('x', 2.5).headers['Retry-After']).toBe('3');
  });
});

describe('zod errors -> 400 with every bad field', () => {
  const bad = {
    action: 'nonsense',
    justification: 'far too long',
    scheduleInfo: { expiration: { type: 'Never', extra: 1 } },
    tags: ['ok', 7],
    unknownField: true,
  };

  it('lists each bad field with its dotted path', () => {
    const result = RequestBody.safeParse(bad);
    expect(result.success).toBe(false);
    const targets = zodDetails(result.error!).map((d) => d.target);
    expect(targets.sort()).toEqual(
      [
        'action',
        'principalId',
        'justification',
        'scheduleInfo.expiration.type',
        'scheduleInfo.expiration.extra',
        'tags.1',
        'unknownField',
      ].sort(),
    );
  });

  it('parseOrThrow makes a 400 whose message names the first problem and says Required', () => {
    let caught: HttpError | undefined;
    try {
      parseOrThrow(RequestBody, bad);
    } catch (err) {
      caught = err as HttpError;
    }
    expect(caught).toBeInstanceOf(HttpError);
    expect(caught!.status).toBe(400);
    expect(caught!.details).toHaveLength(7);
    expect(caught!.details.find((d) => d.target === 'principalId')?.message).toBe('Required.');
    expect(caught!.message).toMatch(/^Invalid request body: .+ \(and 6 more; see details\)$/);
  });

  it('invalidInput prefixes targets', () => {
    const err = invalidInput(z.object({ n: z.number() }).safeParse({}).error!, 'query string', 'query');
    expect(err.details[0]?.target).toBe('query.n');
  });
});

describe('ciEnum', () => {
  const type = ciEnum(['afterDuration', 'afterDateTime', 'noExpiration']);

  it('accepts any case and outputs the canonical value', () => {
    expect(type.parse('AfterDuration')).toBe('afterDuration');
    expect(type.parse('NOEXPIRATION')).toBe('noExpiration');
    expect(type.parse('afterDateTime')).toBe('afterDateTime');
  });

  it('rejects other values and non-strings, naming the allowed values', () => {
    const r = type.safeParse('later');
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain('afterDuration');
    expect(type.safeParse(1).success).toBe(false);
  });

  it('shows the canonical values in JSON Schema', () => {
    expect(z.toJSONSchema(type, { io: 'input' })).toMatchObject({
      type: 'string',
      enum: ['afterDuration', 'afterDateTime', 'noExpiration'],
    });
  });
});

describe('readJsonBody and parseQuery', () => {
  const Small = z.object({ a: z.number() });

  it('parses a valid body', async () => {
    const req = request('http://h/x', { method: 'POST', body: '{"a":1}' });
    expect(await readJsonBody(req, Small)).toEqual({ a: 1 });
  });

  it.each([
    ['', /A JSON request body is required/],
    ['{"a":', /not valid JSON/],
    ['{"a":"1"}', /Invalid request body: a:/],
  ])('400 for %j', async (text, message) => {
    const req = request('http://h/x', { method: 'POST', body: text });
    await expect(readJsonBody(req, Small)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(message),
    });
  });

  it('413 for a huge body', async () => {
    const req = request('http://h/x', { method: 'POST', body: `{"a":"${'x'.repeat(1024 * 1024)}"}` });
    await expect(readJsonBody(req, Small)).rejects.toMatchObject({ status: 413 });
  });

  it.each([
    ['text/plain', 415],
    ['application/x-www-form-urlencoded', 415],
    ['application/json; charset=utf-8', 'ok'],
    ['application/merge-patch+json', 'ok'],
  ])('a body sent as %s: %s', async (type, expected) => {
    const req = request('http://h/x', { method: 'POST', body: '{"a":1}', headers: { 'content-type': type } });
    if (expected === 'ok') await expect(readJsonBody(req, Small)).resolves.toEqual({ a: 1 });
    else
      await expect(readJsonBody(req, Small)).rejects.toMatchObject({
        status: 415,
        code: 'UnsupportedMediaType',
      });
  });

  it('cuts a long quoted value in an error message', () => {
    const e = new HttpError(404, 'Request_ResourceNotFound', `User '${'x'.repeat(5000)}' does not exist.`);
    expect(e.message).toBe(`User '${'x'.repeat(100)}…' does not exist.`);
    expect(new HttpError(404, 'X', "User 'abc' does not exist.").message).toBe("User 'abc' does not exist.");
  });

  it('validates query parameters other than $ options', () => {
    const q = new URLSearchParams('format=CSV&$top=3');
    expect(parseQuery(q, z.strictObject({ format: ciEnum(['csv', 'jsonl']) }))).toEqual({ format: 'csv' });
    expect(() =>
      parseQuery(new URLSearchParams('format=xml'), z.object({ format: ciEnum(['csv']) })),
    ).toThrow(HttpError);
  });
});

describe('httpHandler', () => {
  it('adds request-id, echoes client-request-id and labels JSON', async () => {
    const handler = httpHandler(async (_req, _ctx, info) => json(200, { id: info.requestId }));
    const res = await handler(
      request('http://h/x', { headers: { 'client-request-id': 'abc-123' } }),
      context().context,
    );
    const requestId = header(res, 'request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(header(res, 'client-request-id')).toBe('abc-123');
    expect(header(res, 'content-type')).toBe('application/json');
    expect(body(res)).toEqual({ id: requestId });
  });

  it('uses the request id as client-request-id when none (or an unusable one) is sent', async () => {
    const handler = httpHandler(async () => json(204));
    const variants: Record<string, string>[] = [{}, { 'client-request-id': 'x'.repeat(200) }];
    for (const headers of variants) {
      const res = await handler(request('http://h/x', { headers }), context().context);
      expect(header(res, 'client-request-id')).toBe(header(res, 'request-id'));
      expect(header(res, 'content-type')).toBeNull();
    }
  });

  it('turns a thrown HttpError into the envelope with its headers', async () => {
    const handler = httpHandler(async () => {
      throw unauthorized('expired', true);
    });
    const res = await handler(request('http://h/x'), context().context);
    expect(res.status).toBe(401);
    expect(header(res, 'www-authenticate')).toContain('invalid_token');
    const b = body(res);
    expect(b.error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'expired', details: [] });
    expect(b.error.innerError['request-id']).toBe(header(res, 'request-id'));
    expect(Date.parse(b.error.innerError.date)).not.toBeNaN();
  });

  it('turns anything unexpected into a 500 without the stack, and logs the stack', async () => {
    const { context: ctx, logs } = context();
    const handler = httpHandler(async () => {
      throw new Error('secret detail');
    });
    const res = await handler(request('http://h/x'), ctx);
    expect(res.status).toBe(500);
    const text = String(res.body);
    expect(text).not.toContain('secret detail');
    expect(text).not.toContain('at ');
    expect(body(res).error.code).toBe('InternalServerError');
    expect(logs.some((l) => l.level === 'error' && l.text.includes('secret detail'))).toBe(true);
  });

  it('maps other layers’ errors through registered mappers', async () => {
    class DomainGone extends Error {}
    addErrorMapper((err) => (err instanceof DomainGone ? notFound('gone') : undefined));
    const handler = httpHandler(async () => {
      throw new DomainGone();
    });
    const res = await handler(request('http://h/x'), context().context);
    expect(res.status).toBe(404);
  });
});
