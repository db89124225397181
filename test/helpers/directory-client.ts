// A devhost for the directory tests (own tables, dev issuer, Megan as bootstrap admin, virtual
// clock) and a small client that signs in as a demo user on the host's clock.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { type DevhostProcess, readJson, startDevhost } from './devhost';

export const V1 = '/api/v1.0';
export const ROLE_BASE = `${V1}/roleManagement/directory`;
export const GROUP_BASE = `${V1}/identityGovernance/privilegedAccess/group`;

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert the shape of JSON answers
  body: any;
}

export interface CallOptions {
  body?: unknown;
  /** A raw body, sent as is (fuzzing). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Send the body with no Content-Type at all (fetch adds text/plain to a string body). */
  omitContentType?: boolean;
  /** Sign in without MFA (default: with a fresh MFA). */
  mfa?: boolean;
}

export interface DirectoryHost {
  host: DevhostProcess;
  baseUrl: string;
  /** `user` undefined = anonymous. `path` starts with /api. */
  call(
    user: DemoUserKey | undefined,
    method: string,
    path: string,
    options?: CallOptions,
  ): Promise<ApiResponse>;
  /** Moves the host's virtual clock; tokens are then minted at the new time. */
  advanceClock(duration: string): Promise<void>;
  hostNow(): Promise<Date>;
  stop(): Promise<void>;
}

export async function startDirectoryHost(
  prefix: string,
  env: Record<string, string> = {},
): Promise<DirectoryHost> {
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), `jit-${prefix.toLowerCase()}-keys-`));
  const host = await startDevhost({
    quiet: true,
    env: {
      DEV_ISSUER_ENABLED: 'true',
      DEV_ISSUER_KEY_DIR: keyDir,
      BOOTSTRAP_ADMIN_IDS: DEMO_USERS.megan.id,
      TABLE_PREFIX: prefix,
      DEVHOST_TASK_HUB: `${prefix}Hub`,
      DEVHOST_VIRTUAL_CLOCK: 'true',
      DEMO_DATA: 'false',
      MFA_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      ...env,
    },
  });
  // Tokens are minted at the host's time; a moved clock invalidates them.
  const tokens = new Map<string, string>();
  let offsetMs: number | undefined;
  const hostNow = async (): Promise<Date> => {
    const { now } = await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`));
    return new Date(now);
  };
  const tokenFor = async (user: DemoUserKey, mfa: boolean): Promise<string> => {
    offsetMs ??= (await hostNow()).getTime() - Date.now();
    const key = `${user}|${mfa}`;
    let token = tokens.get(key);
    if (!token) {
      token = await mintDevToken(user, { keyDir, mfa, at: new Date(Date.now() + offsetMs) });
      tokens.set(key, token);
    }
    return token;
  };
  return {
    host,
    baseUrl: host.baseUrl,
    hostNow,
    async call(user, method, url, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (user) headers.authorization = `Bearer ${await tokenFor(user, options.mfa ?? true)}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && !options.omitContentType) headers['content-type'] ??= 'application/json';
      const sent = body !== undefined && options.omitContentType ? Buffer.from(body) : body;
      const res = await fetch(`${host.baseUrl}${url}`, { method, headers, body: sent });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON: keep the text (asserted by the caller)
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async advanceClock(duration) {
      const res = await fetch(`${host.baseUrl}/admin/devhost/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advanceBy: duration }),
      });
      if (res.status !== 200) throw new Error(`clock: ${res.status} ${await res.text()}`);
      tokens.clear();
      offsetMs = undefined;
    },
    async stop() {
      await host.stop();
      fs.rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

/** Follows `@odata.nextLink` from `first` to the end; returns every item. */
export async function allPages(
  api: DirectoryHost,
  user: DemoUserKey,
  first: string,
  // biome-ignore lint/suspicious/noExplicitAny: JSON items
): Promise<{ items: any[]; pages: number }> {
  // biome-ignore lint/suspicious/noExplicitAny: JSON items
  const items: any[] = [];
  let url: string | undefined = first;
  let pages = 0;
  while (url) {
    const res = await api.call(user, 'GET', url);
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.value);
    pages++;
    const next: string | undefined = res.body['@odata.nextLink'];
    url = next ? new URL(next).pathname + new URL(next).search : undefined;
    if (pages > 200) throw new Error('too many pages');
  }
  return { items, pages };
}
