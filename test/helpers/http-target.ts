// A real HTTP server on 127.0.0.1 standing in for a target system or webhook receiver. It records
// every request (headers and body) and answers with whatever the test's `respond` says: a status,
// after a delay if asked. `reservePort` finds a free port that nothing listens on yet, for
// "down, then up" targets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert the shape of JSON bodies
  json: any;
}

export type Responder = (req: ReceivedRequest, seen: number) => { status: number; delayMs?: number };

export interface HttpTarget {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  respond: Responder;
  waitFor(match: (r: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  stop(): Promise<void>;
}

export async function startHttpTarget(
  respond: Responder = () => ({ status: 200 }),
  port = 0,
): Promise<HttpTarget> {
  const requests: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const target: HttpTarget = {
    url: '',
    port: 0,
    requests,
    respond,
    async waitFor(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.find(match);
        if (found) return found;
        if (Date.now() > deadline) {
          const seen = requests.map((r) => `${r.method} ${r.path} ${r.body.slice(0, 120)}`).join('\n');
          throw new Error(`no matching request in ${timeoutMs} ms; received:\n${seen}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      requests.push(received);
      const answer = target.respond(received, requests.length);
      const send = () => {
        if (!res.writableEnded)
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end('{}');
      };
      if (answer.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, answer.delayMs);
        t.unref();
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.unref();
  target.port = (server.address() as AddressInfo).port;
  target.url = `http://127.0.0.1:${target.port}`;
  return target;
}

/** A port that was free a moment ago and has no listener now. */
export async function reservePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
