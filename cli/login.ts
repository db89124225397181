// Signing in. Locally the service's dev issuer hands out a demo user's token; against Entra ID the
// device code flow does (the person opens a browser on any device and types the code shown).
import { CliError, ExitCode } from './exit-codes';
import { ApiClient } from './http-client';
import type { Output } from './output';
import { ask, canPrompt } from './prompt';
import type { Session } from './session-store';
import { provesMfa, readClaims, userFromClaims } from './token-claims';

export interface LoginOptions {
  as?: string;
  mfa?: boolean;
  minutes?: number;
  tenant?: string;
  clientId?: string;
  scope?: string;
  authorityHost?: string;
}

interface DemoUser {
  key: string;
  id: string;
  displayName: string;
  userPrincipalName: string;
  jobTitle: string;
  persona: string;
}

/** The API's audience by default (`AUTH_AUDIENCE`'s default is `api://jit-access`). */
export const DEFAULT_SCOPE = 'api://jit-access/.default';

export async function login(
  url: string,
  options: LoginOptions,
  out: Output,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Session> {
  const tenant = options.tenant ?? env.JIT_TENANT_ID;
  if (!tenant) {
    const users = await devIssuerUsers(url);
    if (users) return devLogin(url, users, options, out);
  }
  return deviceCodeLogin(url, { ...options, tenant }, out, env);
}

/** The dev issuer's demo users, or undefined when the service has no dev issuer (404). */
async function devIssuerUsers(url: string): Promise<DemoUser[] | undefined> {
  const res = await new ApiClient(url).probe('/api/dev-issuer/users');
  if (!res) return undefined;
  return ((await res.json()) as { value: DemoUser[] }).value;
}

async function devLogin(
  url: string,
  users: DemoUser[],
  options: LoginOptions,
  out: Output,
): Promise<Session> {
  const user = options.as ? findDemoUser(options.as, users) : await pickDemoUser(users, out);
  // Picked on a terminal: ask about MFA too, as a real sign-in would offer it.
  const mfa = options.mfa === true || (!options.as && /^(y|yes|)$/i.test(await ask('Prove MFA? [Y/n]: ')));
  const client = new ApiClient(url);
  const issued = await client.post<{ access_token: string; expires_in: number }>('/api/dev-issuer/token', {
    user: user.key,
    mfa,
    minutes: options.minutes ?? 60,
  });
  const claims = readClaims(issued.access_token);
  return {
    url,
    accessToken: issued.access_token,
    expiresAt: new Date(Date.now() + issued.expires_in * 1000).toISOString(),
    user: { id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName },
    mode: 'dev',
    mfa: provesMfa(claims),
  };
}

function findDemoUser(wanted: string, users: DemoUser[]): DemoUser {
  const w = wanted.toLowerCase();
  const found = users.find((u) =>
    [u.key, u.id, u.displayName, u.userPrincipalName].some((v) => v.toLowerCase() === w),
  );
  if (!found) {
    throw new CliError(
      `No demo user '${wanted}': use one of ${users.map((u) => u.key).join(', ')}.`,
      ExitCode.usage,
    );
  }
  return found;
}

async function pickDemoUser(users: DemoUser[], out: Output): Promise<DemoUser> {
  if (!canPrompt()) {
    throw new CliError(
      `Say who to sign in as: jit login --as <user> [--mfa], one of ${users.map((u) => u.key).join(', ')}.`,
      ExitCode.usage,
    );
  }
  out.say('Sign in to the local service as:');
  users.forEach((u, i) => {
    out.say(`  ${i + 1}. ${u.displayName} (${u.key}, ${u.persona}: ${u.jobTitle})`);
  });
  const answer = await ask(`Number or name [1-${users.length}]: `);
  const index = Number(answer);
  if (Number.isInteger(index) && index >= 1 && index <= users.length) return users[index - 1];
  return findDemoUser(answer, users);
}

async function deviceCodeLogin(
  url: string,
  options: LoginOptions,
  out: Output,
  env: NodeJS.ProcessEnv,
): Promise<Session> {
  const clientId = options.clientId ?? env.JIT_CLIENT_ID;
  const scope = options.scope ?? env.JIT_SCOPE ?? DEFAULT_SCOPE;
  if (!options.tenant || !clientId) {
    throw new CliError(
      `${url} has no dev issuer, so sign in with Entra ID: give --tenant <tenant id> and --client-id <app id> ` +
        '(or set JIT_TENANT_ID and JIT_CLIENT_ID), and --scope or JIT_SCOPE if the API is not api://jit-access.',
      ExitCode.usage,
    );
  }
  // Loaded only here: @azure/identity is large and the dev sign-in does not need it.
  const { DeviceCodeCredential } = await import('@azure/identity');
  const authorityHost = options.authorityHost ?? env.JIT_AUTHORITY_HOST;
  const credential = new DeviceCodeCredential({
    tenantId: options.tenant,
    clientId,
    // A national cloud or private authority: trust the one configured, do not ask the public cloud about it.
    ...(authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {}),
    userPromptCallback: (info) => out.say(info.message),
  });
  let token: { token: string; expiresOnTimestamp: number } | null;
  try {
    token = await credential.getToken(scope);
  } catch (err) {
    throw new CliError(`Sign-in with Entra ID failed: ${(err as Error).message}`, ExitCode.notSignedIn);
  }
  if (!token) throw new CliError('Entra ID returned no token: run jit login again.', ExitCode.notSignedIn);
  const claims = readClaims(token.token);
  return {
    url,
    accessToken: token.token,
    expiresAt: new Date(token.expiresOnTimestamp).toISOString(),
    user: userFromClaims(claims),
    mode: 'deviceCode',
    mfa: provesMfa(claims),
  };
}
