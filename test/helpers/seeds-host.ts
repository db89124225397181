// A devhost with the seeds' demo data, the dev issuer and the virtual clock, and calls signed as a
// demo user at the host's (virtual) time, so tokens stay valid after the clock moves.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DemoUserKey } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { type DevhostProcess, readJson, startDevhost } from './devhost';

export interface SeedsHost {
  host: DevhostProcess;
  call(
    user: DemoUserKey,
    method: string,
    url: string,
    body?: unknown,
    mfa?: boolean,
    claims?: Record<string, unknown>,
    /** Extra request headers (e.g. the two-person rule's break-glass justification). */
    headers?: Record<string, string>,
  ): Promise<Response>;
  stop(): Promise<void>;
}

export async function startSeedsHost(prefix: string, env: Record<string, string> = {}): Promise<SeedsHost> {
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), `jit-${prefix.toLowerCase()}-keys-`));
  const host = await startDevhost({
    quiet: true,
    env: {
      DEV_ISSUER_ENABLED: 'true',
      DEV_ISSUER_KEY_DIR: keyDir,
      DEMO_DATA: 'true',
      TABLE_PREFIX: prefix,
      DEVHOST_TASK_HUB: `${prefix}Hub`,
      DEVHOST_VIRTUAL_CLOCK: 'true',
      MFA_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
      ...env,
    },
  });
  return {
    host,
    async call(user, method, url, body, mfa = true, claims, headers = {}) {
      const { now } = await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`));
      const token = await mintDevToken(user, { mfa, keyDir, at: new Date(now), claims });
      return fetch(`${host.baseUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
    async stop() {
      await host.stop();
      fs.rmSync(keyDir, { recursive: true, force: true });
    },
  };
}
