// What every command starts from: the output mode, the service's URL, and (for all but login) the
// signed-in session with a client that carries its token.
import { CliError, ExitCode } from './exit-codes';
import { ApiClient } from './http-client';
import { Output } from './output';
import { requireSession, type Session } from './session-store';

export const DEFAULT_URL = 'http://localhost:7071';

export interface CommonOptions {
  json?: boolean;
  url?: string;
}

/** `--url`, else `JIT_URL`, else the local devhost; without a trailing slash. */
export function explicitUrl(
  options: CommonOptions,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const url = options.url ?? env.JIT_URL;
  return url ? url.replace(/\/+$/, '') : undefined;
}

export function serviceUrl(options: CommonOptions, env: NodeJS.ProcessEnv = process.env): string {
  return explicitUrl(options, env) ?? DEFAULT_URL;
}

export interface SignedIn {
  session: Session;
  client: ApiClient;
  out: Output;
}

export function signedIn(options: CommonOptions, env: NodeJS.ProcessEnv = process.env): SignedIn {
  const session = requireSession(env);
  const wanted = explicitUrl(options, env);
  // A token is only good for the service that accepted it at login.
  if (wanted && wanted !== session.url) {
    throw new CliError(
      `Signed in to ${session.url}, not ${wanted}: run jit login --url ${wanted}.`,
      ExitCode.notSignedIn,
    );
  }
  return {
    session,
    client: new ApiClient(session.url, session.accessToken),
    out: new Output(!!options.json),
  };
}
