// Starts the compiled devhost as a child process (as `npm start` does) for end-to-end tests.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface DevhostProcess {
  baseUrl: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** Waits for `pattern` to appear in the host's output (deadline, no sleeps). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export interface DevhostOptions {
  appRoot?: string;
  entry?: string;
  env?: Record<string, string>;
  port?: number;
  quiet?: boolean;
  /** Read the app root's local.settings.json (default: only for fixture apps, not this repo). */
  localSettings?: boolean;
}

export async function startDevhost(options: DevhostOptions = {}): Promise<DevhostProcess> {
  const args = [path.join(repoRoot, 'dist', 'devhost', 'cli.js'), '--app-root', options.appRoot ?? repoRoot];
  // The tests bring their own settings: a developer's local.settings.json (npm start writes one) must
  // not change what they see. Fixture apps keep theirs (the devhost's own test reads one).
  const ownApp = options.appRoot === undefined || options.appRoot === repoRoot;
  if (!(options.localSettings ?? !ownApp)) args.push('--no-local-settings');
  if (options.entry) args.push('--entry', options.entry);
  args.push('--port', String(options.port ?? 0));
  if (options.quiet) args.push('--quiet');
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      AzureWebJobsStorage: inject('storageConnectionString'),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const waitForOutput = async (pattern: RegExp, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out)) {
      if (child.exitCode !== null) throw new Error(`devhost exited (${child.exitCode}):\n${out}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitForOutput(/DEVHOST_READY port=\d+/);
  const port = Number(/DEVHOST_READY port=(\d+)/.exec(out)?.[1]);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => out,
    waitForOutput,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails at the deadline. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms: ${String(lastError ?? '')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The JSON body of a response, typed loosely: tests assert its shape. */
// biome-ignore lint/suspicious/noExplicitAny: tests assert the shape of JSON answers
export async function readJson(res: Response): Promise<any> {
  return res.json();
}
