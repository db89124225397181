// The signed-in session: one JSON file, readable by its owner only, because it holds a bearer token.
// `$JIT_CONFIG_DIR/session.json`, or `~/.config/jit/session.json`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, ExitCode } from './exit-codes';

export interface SessionUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

export interface Session {
  url: string;
  accessToken: string;
  /** ISO time after which the token is no longer accepted (from the CLI's clock). */
  expiresAt: string;
  user: SessionUser;
  /** How the token was obtained: the local dev issuer, or Entra ID's device code flow. */
  mode: 'dev' | 'deviceCode';
  /** Whether the token proves MFA (`amr` has `mfa`). */
  mfa: boolean;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.JIT_CONFIG_DIR || path.join(os.homedir(), '.config', 'jit');
}

export function sessionPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'session.json');
}

export function saveSession(session: Session, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir keeps an existing directory's mode: tighten it, the token must not be readable by others.
  fs.chmodSync(dir, 0o700);
  const file = sessionPath(env);
  // Write next to it and rename, so a crash never leaves half a session.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
  fs.chmodSync(file, 0o600);
  return file;
}

export function loadSession(env: NodeJS.ProcessEnv = process.env): Session | undefined {
  let text: string;
  try {
    text = fs.readFileSync(sessionPath(env), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as Session;
  } catch {
    throw new CliError(
      `The session file ${sessionPath(env)} is damaged: run jit login.`,
      ExitCode.notSignedIn,
    );
  }
}

/** Removes the session; true when there was one. */
export function clearSession(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    fs.unlinkSync(sessionPath(env));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** The session to call the service with, or exit code 3 saying how to get one. */
export function requireSession(env: NodeJS.ProcessEnv = process.env, now = Date.now()): Session {
  const session = loadSession(env);
  if (!session) throw new CliError('Not signed in: run jit login.', ExitCode.notSignedIn);
  if (Date.parse(session.expiresAt) <= now) {
    throw new CliError(
      `The token of ${session.user.displayName} expired at ${session.expiresAt}: run jit login.`,
      ExitCode.notSignedIn,
    );
  }
  return session;
}
