// Serves the app's HTTP triggers with Functions' routing: route prefix, templates, methods,
// query, headers and bodies, through the programming model's own HttpRequest conversion.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { relayedHeaders, StreamProxy, streamTriggerMetadata } from './http-stream';
import { fromTypedData, type InvocationResult, type Invoker } from './invoke';
import type { RegisteredFunction, Registry } from './registry';
import { type CompiledRoute, compareRoutes, compileRoute, matchRoute } from './routes';

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface RawRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RawResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Host-owned endpoints outside the app (durable management API, devhost control). */
export type HostEndpoint = (req: RawRequest) => Promise<RawResponse | undefined>;

export interface HttpServerOptions {
  routePrefix: string;
  log: (line: string) => void;
  /** The library's HTTP streaming endpoint, when the app enabled streaming (see http-stream.ts). */
  streamUri?: string;
}

interface RouteTarget {
  fn: RegisteredFunction;
  methods: string[];
}

export class FunctionsHttpServer {
  private readonly routes: CompiledRoute<RouteTarget>[];
  private readonly endpoints: HostEndpoint[] = [];
  private server: http.Server | undefined;
  private readonly prefix: string;
  private readonly proxy: StreamProxy | undefined;

  constructor(
    registry: Registry,
    private readonly invoker: Invoker,
    private readonly options: HttpServerOptions,
  ) {
    this.prefix = options.routePrefix.replace(/^\/+|\/+$/g, '');
    this.proxy = options.streamUri ? new StreamProxy(options.streamUri) : undefined;
    this.routes = registry
      .byTriggerType('httpTrigger')
      .map((fn) => {
        const route = (fn.trigger.route as string | undefined) ?? fn.metadata.name;
        const methods = ((fn.trigger.methods as string[] | undefined) ?? []).map((m) => m.toUpperCase());
        return compileRoute(route, { fn, methods });
      })
      .sort(compareRoutes);
  }

  addEndpoint(endpoint: HostEndpoint): void {
    this.endpoints.push(endpoint);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        this.options.log(`[devhost] request failed: ${String(err)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    this.proxy?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    const body = await readBody(req);
    if (body === undefined) {
      // The same envelope a Graph-style app answers with, so a client sees one 413 whichever limit it hit.
      const error = {
        code: 'RequestEntityTooLarge',
        message: `The request body exceeds ${MAX_BODY_BYTES} bytes.`,
        details: [],
        innerError: {
          'request-id': requestId,
          'client-request-id': requestId,
          date: new Date().toISOString(),
        },
      };
      send(res, { status: 413, headers: { 'request-id': requestId }, body: json({ error }) });
      return;
    }
    const host = req.headers.host ?? '127.0.0.1';
    const url = new URL(req.url ?? '/', `http://${host}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const raw: RawRequest = { method, url, headers: req.headers, body };

    for (const endpoint of this.endpoints) {
      const answer = await endpoint(raw);
      if (answer) {
        send(res, answer);
        return;
      }
    }

    const path = decodePathForRouting(url.pathname);
    const routed = path === undefined ? undefined : this.route(path);
    if (!routed || routed.kind === 'none') {
      send(res, notFound(requestId));
      this.logLine(method, url.pathname, 404, started);
      return;
    }
    const match = routed.candidates.find(
      (c) => c.target.methods.length === 0 || c.target.methods.includes(method),
    );
    if (!match) {
      const allow = [...new Set(routed.candidates.flatMap((c) => c.target.methods))].join(', ');
      send(res, {
        status: 405,
        headers: { allow },
        body: json({ error: { code: 'MethodNotAllowed', message: `Method ${method} is not allowed here.` } }),
      });
      this.logLine(method, url.pathname, 405, started);
      return;
    }
    const fn = match.target.fn;
    if (this.proxy) {
      const status = await this.invokeStreaming(this.proxy, fn, raw, match.params, res, requestId);
      this.logLine(method, url.pathname, status, started, fn.metadata.name);
      return;
    }
    let answer: RawResponse;
    try {
      const result = await this.invoker.invoke(fn, { http: toRpcHttp(raw, match.params) });
      answer = fromRpcResponse(result);
    } catch (err) {
      this.options.log(`[devhost] ${fn.metadata.name} threw (request ${requestId}): ${errorText(err)}`);
      answer = internalError(requestId);
    }
    send(res, answer);
    this.logLine(method, url.pathname, answer.status, started, fn.metadata.name);
  }

  // The function answers through the library's own server; its response is relayed as it streams.
  private async invokeStreaming(
    proxy: StreamProxy,
    fn: RegisteredFunction,
    raw: RawRequest,
    params: Record<string, string>,
    res: http.ServerResponse,
    requestId: string,
  ): Promise<number> {
    const invocationId = randomUUID();
    const forwarded = proxy.forward(invocationId, raw);
    const invoked = this.invoker.invoke(
      fn,
      { http: toRpcHttp(raw, params) },
      streamTriggerMetadata(raw, params),
      invocationId,
    );
    const failed = (err: unknown): number => {
      this.options.log(`[devhost] ${fn.metadata.name} threw (request ${requestId}): ${errorText(err)}`);
      forwarded.abort();
      if (res.headersSent) {
        res.destroy(); // mid-body: the caller must see a broken transfer, not a short success
        return res.statusCode;
      }
      send(res, internalError(requestId));
      return 500;
    };
    const first = await Promise.race([
      forwarded.response.then(
        (r) => ({ kind: 'response' as const, r }),
        (err: unknown) => ({ kind: 'proxyFailed' as const, err }),
      ),
      invoked.then(
        (result) => ({ kind: 'done' as const, answered: result.handlerAnswered === true }),
        (err: unknown) => ({ kind: 'failed' as const, err }),
      ),
    ]);
    if (first.kind === 'failed') return failed(first.err);
    if (first.kind === 'proxyFailed') return failed(first.err);
    if (first.kind === 'done' && !first.answered) {
      forwarded.abort(); // the library sends nothing for an empty answer
      send(res, { status: 204 });
      return 204;
    }
    let upstream: http.IncomingMessage;
    try {
      upstream = first.kind === 'response' ? first.r : await forwarded.response;
    } catch (err) {
      return failed(err);
    }
    res.writeHead(upstream.statusCode ?? 200, relayedHeaders(upstream));
    const relay = pipeline(upstream, res).catch(() => undefined);
    // A failing body stream fails the invocation after the headers went out.
    const status = await invoked.then(
      () => upstream.statusCode ?? 200,
      (err: unknown) => failed(err),
    );
    await relay;
    return status;
  }

  private route(
    path: string,
  ):
    | { kind: 'none' }
    | { kind: 'match'; candidates: { target: RouteTarget; params: Record<string, string> }[] } {
    let rest: string;
    if (this.prefix === '') rest = path.replace(/^\/+/, '');
    else {
      const lower = path.toLowerCase();
      const p = `/${this.prefix.toLowerCase()}`;
      if (lower !== p && !lower.startsWith(`${p}/`)) return { kind: 'none' };
      rest = path.slice(p.length).replace(/^\/+/, '');
    }
    const candidates: { target: RouteTarget; params: Record<string, string> }[] = [];
    for (const route of this.routes) {
      const params = matchRoute(route, rest);
      if (params) candidates.push({ target: route.value, params });
    }
    return candidates.length === 0 ? { kind: 'none' } : { kind: 'match', candidates };
  }

  private logLine(method: string, path: string, status: number, started: number, fn?: string): void {
    const ms = (performance.now() - started).toFixed(1);
    this.options.log(`[devhost] ${method} ${path} -> ${status} (${ms} ms)${fn ? ` ${fn}` : ''}`);
  }
}

function decodePathForRouting(pathname: string): string | undefined {
  // Keep %2F encoded so that a parameter cannot smuggle a path separator; matchRoute decodes.
  return pathname.replace(/\/{2,}/g, '/');
}

function toRpcHttp(req: RawRequest, params: Record<string, string>): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of req.url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  return {
    method: req.method,
    url: req.url.toString(),
    headers,
    query,
    params,
    body: req.body.length > 0 ? { bytes: req.body } : undefined,
  };
}

function fromRpcResponse(result: InvocationResult): RawResponse {
  const rv = result.returnValue;
  const httpData = rv?.http as
    | {
        statusCode?: string;
        headers?: Record<string, string>;
        cookies?: { name: string; value: string; path?: string; httpOnly?: boolean; secure?: boolean }[];
        body?: { bytes?: Uint8Array; string?: string };
      }
    | undefined;
  if (!httpData) {
    if (rv === undefined || rv === null) return { status: 204 };
    const value = fromTypedData(rv);
    return { status: 200, body: typeof value === 'string' ? value : JSON.stringify(value) };
  }
  const headers = { ...(httpData.headers ?? {}) };
  const cookies = (httpData.cookies ?? []).map(
    (c) =>
      `${c.name}=${c.value}${c.path ? `; Path=${c.path}` : ''}${c.httpOnly ? '; HttpOnly' : ''}${c.secure ? '; Secure' : ''}`,
  );
  const body = httpData.body?.bytes
    ? Buffer.from(httpData.body.bytes)
    : httpData.body?.string !== undefined
      ? Buffer.from(httpData.body.string)
      : undefined;
  const answer: RawResponse = { status: Number(httpData.statusCode ?? 200), headers, body };
  if (cookies.length > 0) (answer as RawResponse & { cookies: string[] }).cookies = cookies;
  return answer;
}

function send(res: http.ServerResponse, answer: RawResponse & { cookies?: string[] }): void {
  const headers: Record<string, string | string[]> = { ...(answer.headers ?? {}) };
  if (answer.cookies) headers['set-cookie'] = answer.cookies;
  const body =
    answer.body === undefined
      ? undefined
      : Buffer.isBuffer(answer.body)
        ? answer.body
        : Buffer.from(answer.body);
  if (body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  res.writeHead(answer.status, headers);
  res.end(body);
}

export function json(value: unknown): string {
  return JSON.stringify(value);
}

function internalError(requestId: string): RawResponse {
  return {
    status: 500,
    headers: { 'request-id': requestId },
    body: json({
      error: { code: 'InternalServerError', message: 'An unexpected error occurred.', requestId },
    }),
  };
}

function notFound(requestId: string): RawResponse {
  return {
    status: 404,
    headers: { 'request-id': requestId },
    body: json({ error: { code: 'NotFound', message: 'No function matches this route.' } }),
  };
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
