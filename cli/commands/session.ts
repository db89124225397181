// jit login / logout / whoami.
import { type CommonOptions, serviceUrl } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import { type LoginOptions, login as signIn } from '../login';
import { Output } from '../output';
import { clearSession, loadSession, requireSession, saveSession, sessionPath } from '../session-store';

/** As commander hands them over: --minutes is still text. */
type LoginCommandOptions = CommonOptions & Omit<LoginOptions, 'minutes'> & { minutes?: string };

export async function login(options: LoginCommandOptions): Promise<void> {
  const out = new Output(!!options.json);
  const minutes = options.minutes === undefined ? undefined : Number(options.minutes);
  if (minutes !== undefined && !(Number.isInteger(minutes) && minutes >= 1 && minutes <= 1440)) {
    throw new CliError('--minutes takes a whole number of minutes from 1 to 1440.', ExitCode.usage);
  }
  const session = await signIn(serviceUrl(options), { ...options, minutes }, out);
  const file = saveSession(session);
  out.say(`Session saved in ${file}.`);
  out.result(
    publicView(session),
    () =>
      `Signed in to ${session.url} as ${session.user.displayName} (${session.user.userPrincipalName})` +
      `${session.mfa ? ' with MFA' : ''}, until ${session.expiresAt}.`,
  );
}

export async function logout(options: CommonOptions): Promise<void> {
  const out = new Output(!!options.json);
  const had = loadSession();
  const removed = clearSession();
  out.result({ signedOut: removed, user: had?.user ?? null }, () =>
    removed ? `Signed out ${had?.user.displayName ?? ''} (removed ${sessionPath()}).` : 'Not signed in.',
  );
}

export async function whoami(options: CommonOptions): Promise<void> {
  const out = new Output(!!options.json);
  const session = requireSession();
  out.result(publicView(session), () => [
    `${session.user.displayName} (${session.user.userPrincipalName}, ${session.user.id})`,
    `service: ${session.url}`,
    `sign-in: ${session.mode === 'dev' ? 'dev issuer' : 'Entra ID device code'}${session.mfa ? ', with MFA' : ''}`,
    `expires: ${session.expiresAt}`,
  ]);
}

/** The session without its token: what may be printed. */
function publicView(session: ReturnType<typeof requireSession>) {
  const { accessToken: _token, ...rest } = session;
  return rest;
}
