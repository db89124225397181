// The CLI's HTTP client against a small local server: Graph's error envelope to exit codes, paged
// collections, and retries of a 503 that keep the client-request-id (so the service can answer a
// repeated command with its first result instead of acting twice).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, ExitCode } from '../../cli/exit-codes';
import { ApiClient, retryAfterMs } from '../../cli/http-client';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const fast = { attempts: 3, firstDelayMs: 1, maxDelayMs: 5 };
let handler: Handler = (_req, res) => res.end();
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function answer(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function failure(call: Promise<unknown>): Promise<CliError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('the call succeeded');
}

describe('ApiClient', () => {
  it('sends the token and retries a 503 with the same client-request-id', async () => {
    const seen: { id: string | undefined; auth: string | undefined }[] = [];
    handler = (req, res) => {
      seen.push({ id: req.headers['client-request-id'] as string, auth: req.headers.authorization });
      if (seen.length < 3)
        answer(res, 503, { error: { code: 'ServiceUnavailable', message: 'x' } }, { 'retry-after': '0' });
      else answer(res, 201, { id: 'r1', status: 'Provisioned' });
    };
    const client = new ApiClient(baseUrl, 'token-1', fast);
    expect(await client.post('/api/v1.0/things', { a: 1 })).toEqual({ id: 'r1', status: 'Provisioned' });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.id)).size).toBe(1);
    expect(seen[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[0].auth).toBe('Bearer token-1');
  });

  it('gives up on a 503 after the last attempt with exit code 1', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      answer(
        res,
        503,
        { error: { code: 'ServiceUnavailable', message: 'Storage is unreachable.' } },
        { 'request-id': 'req-9' },
      );
    };
    const err = await failure(new ApiClient(baseUrl, 't', fast).get('/api/v1.0/x'));
    expect(calls).toBe(3);
    expect(err.exitCode).toBe(ExitCode.unexpected);
    expect(err.message).toContain('Storage is unreachable.');
    expect(err.message).toContain('req-9');
  });

  it.each([
    [400, 'RoleAssignmentRequestPolicyValidationFailed', ExitCode.refused],
    [409, 'Conflict', ExitCode.refused],
    [401, 'InvalidAuthenticationToken', ExitCode.notSignedIn],
    [403, 'Forbidden', ExitCode.forbiddenOrNotFound],
    [404, 'NotFound', ExitCode.forbiddenOrNotFound],
    [500, 'InternalServerError', ExitCode.unexpected],
  ])('turns a %d (%s) into exit code %d with the service message', async (status, code, exitCode) => {
    handler = (_req, res) => answer(res, status, { error: { code, message: 'What to do about it.' } });
    const err = await failure(new ApiClient(baseUrl, 't', fast).get('/api/v1.0/x'));
    expect(err.exitCode).toBe(exitCode);
    expect(err.serviceCode).toBe(code);
    expect(err.message).toContain('What to do about it.');
    if (status === 401) expect(err.message).toContain('jit login');
  });

  it('follows @odata.nextLink through every page', async () => {
    handler = (req, res) => {
      const page = new URL(req.url ?? '/', baseUrl).searchParams.get('$skiptoken');
      if (!page)
        answer(res, 200, { value: [1, 2], '@odata.nextLink': `${baseUrl}/api/v1.0/list?$skiptoken=2` });
      else answer(res, 200, { value: [3] });
    };
    expect(await new ApiClient(baseUrl, 't', fast).list('/api/v1.0/list')).toEqual([1, 2, 3]);
  });

  it('reads the service clock from its Date header', async () => {
    handler = (_req, res) => answer(res, 200, {}, { date: 'Wed, 02 Dec 2026 18:30:00 GMT' });
    expect((await new ApiClient(baseUrl).now()).toISOString()).toBe('2026-12-02T18:30:00.000Z');
  });

  it('says where it could not connect, at once, when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(new ApiClient(url, 't', fast).get('/api/v1.0/x'));
    expect(err.exitCode).toBe(ExitCode.unexpected);
    expect(err.message).toContain(`Cannot reach the service at ${url} (ECONNREFUSED)`);
  });
});

describe('retryAfterMs', () => {
  const policy = { attempts: 3, firstDelayMs: 500, maxDelayMs: 5000 };
  it('takes seconds or a date, bounded by the policy', () => {
    expect(retryAfterMs('2', policy)).toBe(2000);
    expect(retryAfterMs('120', policy)).toBe(5000);
    expect(retryAfterMs(null, policy)).toBe(500);
    expect(retryAfterMs('soon', policy)).toBe(500);
    expect(retryAfterMs(new Date(Date.now() - 1000).toUTCString(), policy)).toBe(0);
  });
});
