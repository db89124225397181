// Exit codes scripts can rely on; `jit --help` and the README print this same table.
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notSignedIn: 3,
  forbiddenOrNotFound: 4,
  refused: 5,
  waitingForApproval: 6,
  waitingForMfa: 7,
  accessDenied: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP: readonly [ExitCode, string][] = [
  [ExitCode.ok, 'success (for check: access allowed)'],
  [ExitCode.unexpected, 'unexpected error (service unreachable, server error)'],
  [ExitCode.usage, 'usage error (bad option or argument, ambiguous name)'],
  [ExitCode.notSignedIn, 'not signed in, or the token expired: run jit login'],
  [ExitCode.forbiddenOrNotFound, 'forbidden, or not found (unknown name or id)'],
  [ExitCode.refused, "refused by the service's policy or rules: its message names the fix"],
  [ExitCode.waitingForApproval, 'the request waits for an approver'],
  [ExitCode.waitingForMfa, 'the request waits for MFA (use --otp, or jit login --mfa and jit verify)'],
  [ExitCode.accessDenied, 'jit check: access denied'],
];

/** An error the CLI expects: its message says what to do, its code tells scripts what happened. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The service's error code, when the service refused. */
    readonly serviceCode?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
