// HTTP streaming, as the Functions host does it for an app that calls
// `app.setup({ enableHttpStream: true })`: the library then answers the worker's capabilities with
// an `HttpUri` (a small HTTP server of its own). For each HTTP trigger the host forwards the request
// there, tagged with `x-ms-invocation-id`, while it invokes the function; the library writes the
// function's response to that connection and the host relays it as it comes, so a streamed body
// reaches the caller chunk by chunk (with backpressure) instead of being collected first.
import http from 'node:http';
import type { RawRequest } from './http-server';
import type { RpcTypedData } from './invoke';

// Hop-by-hop headers are the connection's own, never forwarded (RFC 9110 7.6.1).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
]);

export const INVOCATION_ID_HEADER = 'x-ms-invocation-id';

export interface Forwarded {
  /** The library's response, once the function has answered. */
  response: Promise<http.IncomingMessage>;
  /** Drops the forwarded request (the invocation failed, or the caller went away). */
  abort(): void;
}

export class StreamProxy {
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly base: URL;

  constructor(httpUri: string) {
    this.base = new URL(httpUri);
  }

  forward(invocationId: string, raw: RawRequest): Forwarded {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(raw.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
    }
    headers[INVOCATION_ID_HEADER] = invocationId;
    headers['x-forwarded-host'] = raw.url.host;
    headers['x-forwarded-proto'] = raw.url.protocol.replace(/:$/, '');
    headers['content-length'] = String(raw.body.length);
    const target = new URL(`${raw.url.pathname}${raw.url.search}`, this.base);
    const req = http.request(target, { method: raw.method, headers, agent: this.agent });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    // Not every path awaits the response; a dropped one must not become an unhandled rejection.
    response.catch(() => undefined);
    req.end(raw.body.length > 0 ? raw.body : undefined);
    return { response, abort: () => req.destroy() };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The library reads headers and route parameters of a streamed request from the trigger metadata. */
export function streamTriggerMetadata(
  raw: RawRequest,
  params: Record<string, string>,
): Record<string, RpcTypedData> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  const metadata: Record<string, RpcTypedData> = { Headers: { json: JSON.stringify(headers) } };
  for (const [k, v] of Object.entries(params)) {
    if (k !== 'Headers' && k !== 'Query') metadata[k] = { string: v };
  }
  return metadata;
}

/** The relayed response's headers: the library's, minus hop-by-hop ones and the invocation tag. */
export function relayedHeaders(res: http.IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    const lower = k.toLowerCase();
    if (v === undefined || lower === INVOCATION_ID_HEADER) continue;
    if (HOP_BY_HOP.has(lower) && lower !== 'content-length') continue;
    out[k] = v;
  }
  return out;
}
