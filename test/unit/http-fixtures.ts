// Builds in-process HTTP requests and invocation contexts for handler tests (no host needed).
import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';

export function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): HttpRequest {
  return new HttpRequest({
    method: init.method ?? 'GET',
    url,
    // A body is JSON unless the test says otherwise, as every client of this API sends it.
    headers: init.body === undefined ? init.headers : { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : { string: init.body },
  });
}

export interface CapturedContext {
  context: InvocationContext;
  logs: { level: string; text: string }[];
}

export function context(): CapturedContext {
  const logs: { level: string; text: string }[] = [];
  const context = new InvocationContext({
    functionName: 'test',
    invocationId: 'test-invocation',
    logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(' ') }),
  });
  return { context, logs };
}

export function header(res: HttpResponseInit, name: string): string | null {
  return new Headers(res.headers as ConstructorParameters<typeof Headers>[0]).get(name);
}

// biome-ignore lint/suspicious/noExplicitAny: tests assert the shape of JSON answers
export function body(res: HttpResponseInit): any {
  return res.body === undefined ? undefined : JSON.parse(String(res.body));
}
