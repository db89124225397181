// The CLI's session file: private modes, and "run jit login" (exit 3) when it is missing, damaged
// or expired.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError, ExitCode } from '../../cli/exit-codes';
import {
  clearSession,
  loadSession,
  requireSession,
  type Session,
  saveSession,
} from '../../cli/session-store';

const session: Session = {
  url: 'http://127.0.0.1:7071',
  accessToken: 'header.payload.signature',
  expiresAt: '2026-12-02T10:00:00.000Z',
  user: { id: 'u1', displayName: 'Alex Wilber', userPrincipalName: 'alexw@contoso.example' },
  mode: 'dev',
  mfa: true,
};

const dirs: string[] = [];
function environment(): NodeJS.ProcessEnv {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-session-'));
  dirs.push(root);
  return { JIT_CONFIG_DIR: path.join(root, 'jit') };
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function notSignedIn(run: () => unknown): CliError {
  try {
    run();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('session store', () => {
  it('saves the session readable by its owner only, in a private directory', () => {
    const env = environment();
    const file = saveSession(session, env);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(env.JIT_CONFIG_DIR!).mode & 0o777).toBe(0o700);
    expect(loadSession(env)).toEqual(session);
  });

  it('tightens an existing directory that others could read', () => {
    const env = environment();
    fs.mkdirSync(env.JIT_CONFIG_DIR!, { mode: 0o755 });
    saveSession(session, env);
    expect(fs.statSync(env.JIT_CONFIG_DIR!).mode & 0o777).toBe(0o700);
  });

  it('answers "run jit login" when there is no session, a damaged one, or an expired one', () => {
    const env = environment();
    const missing = notSignedIn(() => requireSession(env));
    expect(missing.exitCode).toBe(ExitCode.notSignedIn);
    expect(missing.message).toContain('run jit login');

    saveSession(session, env);
    expect(requireSession(env, Date.parse('2026-12-02T09:59:59Z')).user.displayName).toBe('Alex Wilber');
    const expired = notSignedIn(() => requireSession(env, Date.parse('2026-12-02T10:00:00Z')));
    expect(expired.exitCode).toBe(ExitCode.notSignedIn);
    expect(expired.message).toContain('expired');

    fs.writeFileSync(path.join(env.JIT_CONFIG_DIR!, 'session.json'), '{not json');
    expect(notSignedIn(() => requireSession(env)).exitCode).toBe(ExitCode.notSignedIn);
  });

  it('forgets the session on logout, once', () => {
    const env = environment();
    saveSession(session, env);
    expect(clearSession(env)).toBe(true);
    expect(clearSession(env)).toBe(false);
    expect(loadSession(env)).toBeUndefined();
  });
});
