// The service's HTTP API as the CLI uses it: bearer token, JSON bodies, Graph's paged collections,
// and Graph's error envelope turned into a CliError with an exit code and the service's message.
import { randomUUID } from 'node:crypto';
import { CliError, ExitCode } from './exit-codes';

export const API = '/api/v1.0';

interface GraphError {
  error?: { code?: string; message?: string };
}

interface Collection<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

/** Most pages a list follows: a guard against a service that keeps answering with a next link. */
const MAX_PAGES = 100;

export class ApiClient {
  /** The service's clock, from its last answer's Date header (the devhost's clock may be virtual). */
  private serverDate: Date | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly accessToken?: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('PATCH', path, body);
  }

  /** Every item of a Graph collection, following `@odata.nextLink`. */
  async list<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    for (let page = 0; next && page < MAX_PAGES; page++) {
      const body: Collection<T> = await this.json<Collection<T>>('GET', next);
      items.push(...body.value);
      next = body['@odata.nextLink'];
    }
    return items;
  }

  /** A raw answer (e.g. the CSV export) once it is known to be a success. */
  async stream(path: string): Promise<Response> {
    return this.send('GET', path);
  }

  /** Whether an anonymous GET answers 200 (e.g. the dev issuer's users); never throws for a status. */
  async probe(path: string): Promise<Response | undefined> {
    const res = await this.fetch('GET', path);
    return res.ok ? res : undefined;
  }

  /** The service's "now": its Date header (second precision), else this machine's clock. */
  async now(): Promise<Date> {
    if (!this.serverDate) await this.fetch('GET', '/api/health');
    return this.serverDate ?? new Date();
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await this.fetch(method, path, body);
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  /**
   * One call, retried while the service answers 503 (storage unreachable: it says so with
   * Retry-After) or the connection drops mid-way. Every attempt carries the same client-request-id,
   * so the service answers a repeated command with what its first attempt did instead of acting twice.
   */
  private async fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', 'client-request-id': randomUUID() };
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body: payload });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        // Refused: nothing listens there, so waiting will not help. A reset may be a restart: retry.
        if (cause !== 'ECONNREFUSED' && attempt < this.retry.attempts) {
          await delay(this.retry.firstDelayMs * attempt);
          continue;
        }
        throw new CliError(
          `Cannot reach the service at ${this.baseUrl} (${cause}): is it running (npm start)? Otherwise give --url or set JIT_URL.`,
          ExitCode.unexpected,
        );
      }
      const date = res.headers.get('date');
      if (date && !Number.isNaN(Date.parse(date))) this.serverDate = new Date(date);
      if (res.status !== 503 || attempt >= this.retry.attempts) return res;
      await res.body?.cancel();
      await delay(retryAfterMs(res.headers.get('retry-after'), this.retry));
    }
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  attempts: number;
  firstDelayMs: number;
  /** The longest wait a Retry-After may ask for: a CLI should not sit silent for minutes. */
  maxDelayMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, firstDelayMs: 500, maxDelayMs: 5000 };

/** Retry-After in seconds (or an HTTP date), bounded by the policy; the first delay when absent. */
export function retryAfterMs(header: string | null, policy: RetryPolicy): number {
  if (!header) return policy.firstDelayMs;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Math.min(Math.max(0, Number.isNaN(ms) ? policy.firstDelayMs : ms), policy.maxDelayMs);
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function errorFromResponse(res: Response): Promise<CliError> {
  const text = await res.text().catch(() => '');
  let envelope: GraphError = {};
  try {
    envelope = JSON.parse(text) as GraphError;
  } catch {
    // not JSON: the status says enough
  }
  const code = envelope.error?.code;
  const message = envelope.error?.message ?? (text.slice(0, 200) || res.statusText);
  const said = code ? `${code}: ${message}` : message;
  switch (res.status) {
    case 401:
      return new CliError(`${said} Run jit login.`, ExitCode.notSignedIn, code);
    case 403:
    case 404:
      return new CliError(said, ExitCode.forbiddenOrNotFound, code);
    case 400:
    case 409:
    case 412:
    case 422:
      return new CliError(said, ExitCode.refused, code);
    default: {
      const requestId = res.headers.get('request-id');
      return new CliError(
        `The service answered ${res.status}: ${said}${requestId ? ` (request-id ${requestId})` : ''}`,
        ExitCode.unexpected,
        code,
      );
    }
  }
}
