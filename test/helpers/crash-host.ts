// A devhost for crash tests: its own tables, the demo data, the dev issuer, the virtual clock, and
// fault injection enabled (POST /api/test/faults arms a point; the host kills itself with SIGKILL
// when it gets there). After a death, `restart` starts the next host on the same storage, which
// finishes at once whatever the dead one committed but had not published (startup grace 0).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { type DevhostProcess, eventually, readJson, startDevhost } from './devhost';

export interface Person {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert the shape of JSON answers
  body: any;
}

export interface CallOptions {
  body?: unknown;
  mfa?: boolean;
  /** Graph's client-request-id: a retry sends the same one. */
  clientRequestId?: string;
  headers?: Record<string, string>;
}

/** What the caller saw: an answer, or nothing (the host died under the call). */
export type Seen = Answer | 'died';

export function newPerson(name: string): Person {
  const id = randomUUID();
  return {
    id,
    displayName: `${name} ${id.slice(0, 4)}`,
    userPrincipalName: `${id.slice(0, 8)}@contoso.example`,
  };
}

export class CrashHost {
  host!: DevhostProcess;
  private readonly keyDir: string;
  private exited!: Promise<void>;

  constructor(
    readonly prefix: string,
    private readonly env: Record<string, string> = {},
  ) {
    this.keyDir = fs.mkdtempSync(path.join(os.tmpdir(), `jit-${prefix.toLowerCase()}-keys-`));
  }

  async start(): Promise<void> {
    this.host = await startDevhost({
      quiet: true,
      env: {
        DEV_ISSUER_ENABLED: 'true',
        DEV_ISSUER_KEY_DIR: this.keyDir,
        DEMO_DATA: 'true',
        BOOTSTRAP_ADMIN_IDS: DEMO_USERS.megan.id,
        TABLE_PREFIX: this.prefix,
        DEVHOST_TASK_HUB: `${this.prefix}Hub`,
        DEVHOST_VIRTUAL_CLOCK: 'true',
        FAULT_INJECTION_ENABLED: 'true',
        OUTBOX_STARTUP_GRACE_SECONDS: '0',
        MFA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
        ...this.env,
      },
    });
    this.exited = new Promise((resolve) => this.host.child.once('exit', () => resolve()));
  }

  async now(): Promise<Date> {
    return new Date((await readJson(await fetch(`${this.host.baseUrl}/admin/devhost/clock`))).now);
  }

  async advance(by: string): Promise<void> {
    const res = await fetch(`${this.host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: by }),
    });
    if (res.status !== 200) throw new Error(`clock answered ${res.status}`);
  }

  async token(who: DemoUserKey | Person, mfa = true): Promise<string> {
    return mintDevToken(who, { mfa, keyDir: this.keyDir, at: await this.now() });
  }

  /** A call as `who`; 'died' when the host died before answering. */
  async call(
    who: DemoUserKey | Person | undefined,
    method: string,
    url: string,
    o: CallOptions = {},
  ): Promise<Seen> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
    if (who) headers.authorization = `Bearer ${await this.token(who, o.mfa ?? true)}`;
    if (o.clientRequestId) headers['client-request-id'] = o.clientRequestId;
    try {
      const res = await fetch(`${this.host.baseUrl}${url}`, {
        method,
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    } catch (err) {
      // The connection broke: if the host is dying, its exit arrives a moment later.
      if (await this.diesWithin(5_000)) return 'died';
      throw new Error(`${method} ${url}: ${String(err)}; host output:\n${this.host.output().slice(-3000)}`);
    }
  }

  /** A call that must be answered with `status`. */
  async expect(
    status: number,
    who: DemoUserKey | Person | undefined,
    method: string,
    url: string,
    o: CallOptions = {},
  ) {
    const seen = await this.call(who, method, url, o);
    if (seen === 'died' || seen.status !== status)
      throw new Error(
        `${method} ${url}: expected ${status}, got ${seen === 'died' ? 'no answer' : `${seen.status} ${JSON.stringify(seen.body)}`}`,
      );
    return seen.body;
  }

  async arm(point: string | null): Promise<void> {
    await this.expect(204, undefined, 'POST', '/api/test/faults', { body: { point } });
  }

  /** Waits for the host to die (it must: the armed point is on the call's path), then starts the next. */
  async restartAfterDeath(point: string): Promise<void> {
    await eventually(async () => ((await this.isDead()) ? true : undefined), 20_000).catch(() => {
      throw new Error(`the host never reached ${point}`);
    });
    await this.start();
  }

  async stop(): Promise<void> {
    await this.host?.stop();
    fs.rmSync(this.keyDir, { recursive: true, force: true });
  }

  private async diesWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const died = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return died;
  }

  private async isDead(): Promise<boolean> {
    const c = this.host.child;
    if (c.exitCode !== null || c.signalCode !== null) {
      await this.exited;
      return true;
    }
    return false;
  }
}
