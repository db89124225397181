// One call to Microsoft Graph or Azure Resource Manager with the app's token, answered as an
// outcome the connector can act on: done, retry (throttled, a server error, no answer; with the
// service's Retry-After when it sent one) or failed for good (a 4xx that retrying cannot fix).
// Error messages keep the service's error code and message (Graph and ARM put no secrets there)
// and drop URLs; tokens never leave this module.
import type { TokenCredential } from '@azure/identity';
import { settings } from '../config';
import { azureCredential } from '../storage/azure-credential';

export type CloudApi = 'graph' | 'arm';

export type CloudAnswer =
  | { kind: 'ok'; status: number; body: unknown }
  | { kind: 'error'; status: number; code: string; message: string; retryAfterMs?: number };

export type CloudOutcome =
  | { kind: 'done'; note?: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'failed'; reason: string };

/** The API version of ARM's role assignments this service speaks. */
export const ARM_ROLE_ASSIGNMENTS_API = '2022-04-01';

const SCOPES: Record<CloudApi, string> = {
  graph: 'https://graph.microsoft.com/.default',
  arm: 'https://management.azure.com/.default',
};

let credential: TokenCredential | undefined;

// One token per API at a time: concurrent grants share the request for it, and it is reused until
// five minutes before it expires (the credential caches too, but not across concurrent misses).
const tokens = new Map<CloudApi, Promise<{ token: string; expiresOnTimestamp: number }>>();
const EARLY_REFRESH_MS = 5 * 60_000;

async function tokenFor(api: CloudApi): Promise<string> {
  const cached = tokens.get(api);
  if (cached) {
    const t = await cached.catch(() => undefined);
    if (t && t.expiresOnTimestamp - EARLY_REFRESH_MS > Date.now()) return t.token;
    if (tokens.get(api) !== cached) return tokenFor(api); // another caller is fetching a new one
  }
  credential ??= azureCredential(settings().AZURE_CLIENT_ID);
  const fetching = credential.getToken(SCOPES[api]).then((t) => {
    if (!t) throw new Error('the credential gave no token');
    return t;
  });
  tokens.set(api, fetching);
  fetching.catch(() => tokens.delete(api));
  return (await fetching).token;
}

function baseUrl(api: CloudApi): string {
  return (api === 'graph' ? settings().GRAPH_BASE_URL : settings().ARM_BASE_URL).replace(/\/+$/, '');
}

/** The absolute URL of a path on the API (Graph's `@odata.id` references need it too). */
export function cloudUrl(api: CloudApi, path: string): string {
  return `${baseUrl(api)}${path}`;
}

export async function cloudRequest(
  api: CloudApi,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<CloudAnswer | { kind: 'unreachable'; reason: string }> {
  let token: string;
  try {
    token = await tokenFor(api);
  } catch (err) {
    return { kind: 'unreachable', reason: `no token from the Azure credential (${firstLine(err)})` };
  }
  let res: Response;
  try {
    res = await fetch(cloudUrl(api, path), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(settings().WEBHOOK_TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    const why =
      e?.name === 'TimeoutError'
        ? 'no answer within the timeout'
        : `connection failed (${e?.cause?.code ?? 'unknown'})`;
    return { kind: 'unreachable', reason: why };
  }
  const text = await res.text().catch(() => '');
  const json = parseJson(text);
  if (res.ok) return { kind: 'ok', status: res.status, body: json };
  // Graph and ARM both answer {"error": {"code", "message"}}.
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    kind: 'error',
    status: res.status,
    code: typeof error?.code === 'string' ? error.code : `HTTP${res.status}`,
    message: typeof error?.message === 'string' ? error.message : '',
    retryAfterMs: retryAfter(res.headers.get('retry-after')),
  };
}

/** What to do about an answer that is not a success the caller recognised. */
export function outcomeOf(answer: CloudAnswer | { kind: 'unreachable'; reason: string }): CloudOutcome {
  if (answer.kind === 'ok') return { kind: 'done' };
  if (answer.kind === 'unreachable') return { kind: 'retry', reason: answer.reason };
  const reason = describe(answer);
  const transient = answer.status === 429 || answer.status === 408 || answer.status >= 500;
  return transient
    ? { kind: 'retry', reason, retryAfterMs: answer.retryAfterMs }
    : { kind: 'failed', reason };
}

export function describe(a: Extract<CloudAnswer, { kind: 'error' }>): string {
  const message = a.message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 200);
  return `HTTP ${a.status} ${a.code}${message ? `: ${message}` : ''}`;
}

/** Retry-After in seconds or as an HTTP date; absent or unreadable -> undefined. */
export function retryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 200);
}
