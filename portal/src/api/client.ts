// Calls to the service's API with the signed-in user's bearer token. Failures arrive as Graph's
// error envelope; ApiError keeps its code, message and per-rule details so pages can show them.

export interface ErrorDetail {
  target: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type TokenSource = () => Promise<string>;

let tokenSource: TokenSource | undefined;

/** Set by the session when someone signs in (and cleared when they sign out). */
export function setTokenSource(source: TokenSource | undefined): void {
  tokenSource = source;
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  anonymous?: boolean;
}

async function send(path: string, options: CallOptions): Promise<Response> {
  const headers: Record<string, string> = {};
  if (!options.anonymous) {
    if (!tokenSource) throw new ApiError(401, 'NotSignedIn', 'Sign in first.');
    headers.authorization = `Bearer ${await tokenSource()}`;
  }
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (!res.ok) {
    const text = await res.text();
    let envelope: { error?: { code?: string; message?: string; details?: ErrorDetail[] } } = {};
    try {
      envelope = JSON.parse(text);
    } catch {
      // not the API's envelope: keep the status line
    }
    throw new ApiError(
      res.status,
      envelope.error?.code ?? `Http${res.status}`,
      envelope.error?.message ?? `${res.status} ${res.statusText}`,
      envelope.error?.details ?? [],
    );
  }
  return res;
}

/** JSON from the API (undefined for 204). */
export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  const res = await send(path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** The raw answer (an export's CSV, say). */
export async function apiText(path: string): Promise<string> {
  return (await send(path, {})).text();
}

export const V1 = '/api/v1.0';
export const ROLES = `${V1}/roleManagement/directory`;
export const GROUPS = `${V1}/identityGovernance/privilegedAccess/group`;
export const MINE = "filterByCurrentUser(on='principal')";
export const FOR_APPROVER = "filterByCurrentUser(on='approver')";

export const filter = (expression: string) => `$filter=${encodeURIComponent(expression)}`;
