// The devhost serves a sample app's HTTP and timer triggers the way the Functions host does.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevhostProcess, eventually, readJson, repoRoot, startDevhost } from '../helpers/devhost';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'sample-app');
const entry = path.join(repoRoot, 'dist', 'test', 'fixtures', 'sample-app', 'index.js');

describe('devhost HTTP and timer triggers', () => {
  let host: DevhostProcess;

  beforeAll(async () => {
    host = await startDevhost({
      appRoot,
      entry,
      env: { SAMPLE_OVERRIDDEN: 'from-environment', DEVHOST_VIRTUAL_CLOCK: 'true' },
    });
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('routes with the api prefix, route parameters, query and headers', async () => {
    const res = await fetch(`${host.baseUrl}/api/echo/42/extra?x=1&y=two`, {
      headers: { 'x-sample': 'hello' },
    });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({
      method: 'GET',
      params: { id: '42', part: 'extra' },
      query: { x: '1', y: 'two' },
      header: 'hello',
      body: null,
    });
    const withoutOptional = await fetch(`${host.baseUrl}/api/echo/7`);
    expect((await readJson(withoutOptional)).params).toEqual({ id: '7' });
  });

  it('passes JSON and text bodies through', async () => {
    const jsonRes = await fetch(`${host.baseUrl}/api/echo/1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 2], b: 'ü' }),
    });
    expect((await readJson(jsonRes)).body).toEqual({ a: [1, 2], b: 'ü' });
    const textRes = await fetch(`${host.baseUrl}/api/echo/1`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'just text',
    });
    expect((await readJson(textRes)).body).toBe('just text');
  });

  it('returns the handler status, headers and text body', async () => {
    const res = await fetch(`${host.baseUrl}/api/text`);
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('plain words');
  });

  it('applies route constraints and prefers literal routes', async () => {
    expect(await readJson(await fetch(`${host.baseUrl}/api/items/12`))).toEqual({ kind: 'number', n: 12 });
    expect(await readJson(await fetch(`${host.baseUrl}/api/items/abc`))).toEqual({
      kind: 'name',
      name: 'abc',
    });
    expect(await readJson(await fetch(`${host.baseUrl}/api/items/special`))).toEqual({ kind: 'literal' });
    expect((await fetch(`${host.baseUrl}/api/items/a1`)).status).toBe(404);
  });

  it('answers 404 for unknown routes and 405 for wrong methods', async () => {
    expect((await fetch(`${host.baseUrl}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${host.baseUrl}/echo/1`)).status).toBe(404);
    const wrong = await fetch(`${host.baseUrl}/api/text`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('turns an unhandled exception into a 500 with a request id and no stack trace', async () => {
    const res = await fetch(`${host.baseUrl}/api/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.error.requestId).toMatch(/[0-9a-f-]{36}/);
    expect(res.headers.get('request-id')).toBe(body.error.requestId);
    expect(text).not.toContain('secret internals');
    expect(text).not.toContain('at ');
    await host.waitForOutput(/secret internals at line 42/);
  });

  it('reads local.settings.json Values into the environment without overriding it', async () => {
    const res = await fetch(`${host.baseUrl}/api/settings`);
    expect(await readJson(res)).toEqual({ setting: 'from-local-settings', overridden: 'from-environment' });
  });

  it('leaves local.settings.json out with --no-local-settings', async () => {
    const bare = await startDevhost({
      appRoot,
      entry,
      localSettings: false,
      quiet: true,
      env: { SAMPLE_OVERRIDDEN: 'from-environment' },
    });
    try {
      const res = await fetch(`${bare.baseUrl}/api/settings`);
      expect(await readJson(res)).toEqual({ overridden: 'from-environment' });
    } finally {
      await bare.stop();
    }
  });

  it('runs app.hook.appStart handlers before serving', async () => {
    expect(await readJson(await fetch(`${host.baseUrl}/api/app-start`))).toEqual({ ran: true });
  });

  it('writes one log line per invocation with status and duration', async () => {
    await fetch(`${host.baseUrl}/api/items/99`);
    await host.waitForOutput(/GET \/api\/items\/99 -> 200 \(\d+\.\d ms\) numbered/);
  });

  it('runs timer triggers on startup and on the clock, flagging late runs as past due', async () => {
    const startup = await eventually(async () => {
      const log = await readJson(await fetch(`${host.baseUrl}/api/timer-log`));
      return log.length >= 1 ? log : undefined;
    });
    expect(startup[0].isPastDue).toBe(false);
    const moved = await fetch(`${host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: 'PT3H' }),
    });
    expect(moved.status).toBe(200);
    const after = await eventually(async () => {
      const log = await readJson(await fetch(`${host.baseUrl}/api/timer-log`));
      return log.length >= 2 ? log : undefined;
    });
    // One late firing stands for the missed hours, as in Azure.
    expect(after).toHaveLength(2);
    expect(after[1].isPastDue).toBe(true);
    expect(Date.parse(after[1].at) - Date.parse(startup[0].at)).toBeGreaterThanOrEqual(3 * 3600_000);
  });

  it('rejects a malformed clock move and leaves the clock alone', async () => {
    const before = (await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`))).now;
    const res = await fetch(`${host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: 'eight hours' }),
    });
    expect(res.status).toBe(400);
    const after = (await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`))).now;
    expect(Date.parse(after) - Date.parse(before)).toBeLessThan(60_000);
  });
});

describe('devhost quiet mode and real clock', () => {
  it('prints no invocation lines when quiet, and hides the clock endpoint without the setting', async () => {
    const host = await startDevhost({ appRoot, entry, quiet: true });
    try {
      expect((await fetch(`${host.baseUrl}/api/items/5`)).status).toBe(200);
      expect((await fetch(`${host.baseUrl}/admin/devhost/clock`)).status).toBe(404);
      expect(host.output()).not.toMatch(/-> 200/);
    } finally {
      await host.stop();
    }
  });
});

describe('devhost HTTP streaming (app.setup({ enableHttpStream: true }))', () => {
  const streamRoot = path.join(repoRoot, 'test', 'fixtures', 'stream-app');
  const streamEntry = path.join(repoRoot, 'dist', 'test', 'fixtures', 'stream-app', 'index.js');
  let host: DevhostProcess;

  beforeAll(async () => {
    host = await startDevhost({ appRoot: streamRoot, entry: streamEntry });
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('relays the body while the function is still producing it', async () => {
    const res = await fetch(`${host.baseUrl}/api/gated/g1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    // The second part cannot exist yet: a buffering host would never hand over the first.
    const first = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('first chunk did not arrive: the host buffers')), 10_000),
      ),
    ]);
    expect(decoder.decode(first.value)).toBe('first part\n');
    expect((await fetch(`${host.baseUrl}/api/open/g1`, { method: 'POST' })).status).toBe(204);
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += decoder.decode(value, { stream: true });
    }
    expect(rest).toBe('second part\n');
  });

  it('streams an async iterable body of many chunks in order', async () => {
    const text = await (await fetch(`${host.baseUrl}/api/count/20000`)).text();
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(20000);
    expect(lines[0]).toBe('line 0');
    expect(lines[19999]).toBe('line 19999');
  });

  it('still passes route parameters, query, headers and request bodies', async () => {
    const res = await fetch(`${host.baseUrl}/api/echo/7?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sample': 'hi' },
      body: JSON.stringify({ a: 'ü' }),
    });
    expect(res.headers.get('x-ms-invocation-id')).toBeNull();
    expect(await readJson(res)).toEqual({
      params: { id: '7' },
      query: { x: '1' },
      header: 'hi',
      body: { a: 'ü' },
    });
  });

  it('answers 500 without internals when the handler throws, 204 when it returns nothing', async () => {
    const boom = await fetch(`${host.baseUrl}/api/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).not.toContain('secret internals');
    expect((await fetch(`${host.baseUrl}/api/nothing`)).status).toBe(204);
  });

  it('breaks the transfer when the body fails midway instead of ending it as a success', async () => {
    const res = await fetch(`${host.baseUrl}/api/fails-midway/g2`);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('partial');
    expect((await fetch(`${host.baseUrl}/api/open/g2`, { method: 'POST' })).status).toBe(204);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended as a success';
      })(),
    ).rejects.toThrow();
    await host.waitForOutput(/storage went away/);
  });
});
