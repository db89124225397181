// The `jit` command line: commands, their options, and the help text with the exit codes.
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { activate, cancel, deactivate, verify } from './commands/activate';
import { approvals, decide } from './commands/approvals';
import { audit } from './commands/audit';
import { check } from './commands/check';
import { requests } from './commands/requests';
import { roles } from './commands/roles';
import { login, logout, whoami } from './commands/session';
import { DEFAULT_URL } from './context';
import { EXIT_CODE_HELP } from './exit-codes';

function version(): string {
  try {
    const file = path.join(__dirname, '..', '..', 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function exitCodeHelp(): string {
  return ['Exit codes:', ...EXIT_CODE_HELP.map(([code, meaning]) => `  ${code}  ${meaning}`)].join('\n');
}

/** --json and --url on every command, so they can be given after the command's name. */
/** For PIM groups: membership or ownership. */
const accessOption = () =>
  new Option('--access <access>', 'for a PIM group: member or owner')
    .choices(['member', 'owner'])
    .default('member');

function common(command: Command): Command {
  return command
    .option('--json', 'machine-readable JSON on stdout (messages go to stderr)')
    .option('--url <url>', `the service (default: JIT_URL, else ${DEFAULT_URL})`);
}

/** A subcommand with the common options and the exit codes in its help. */
function subcommand(program: Command, name: string): Command {
  return common(program.command(name)).addHelpText('after', `\n${exitCodeHelp()}`);
}

export function buildProgram(): Command {
  const program = new Command('jit')
    .description('Just-in-time privileged access: activate roles and groups, approve, check, audit.')
    .version(version())
    // Before the commands are added, so they inherit it: usage errors reach main() and exit 2.
    .exitOverride()
    .showHelpAfterError('(jit --help lists the commands)')
    .addHelpText(
      'after',
      `\nEnvironment: JIT_URL, JIT_CONFIG_DIR (session file), JIT_TENANT_ID, JIT_CLIENT_ID, JIT_SCOPE,\nJIT_AUTHORITY_HOST.\n\n${exitCodeHelp()}`,
    );

  // --json and --url may also come before the command (`jit --json roles`): hand them down.
  common(program).hook('preAction', (_program, command) => {
    for (const [key, value] of Object.entries(program.opts())) {
      if (command.getOptionValue(key) === undefined) command.setOptionValue(key, value);
    }
  });

  subcommand(program, 'login')
    .description(
      'sign in: locally as a demo user through the dev issuer, otherwise with the Entra ID device code flow',
    )
    .option('--as <user>', 'demo user to sign in as (alex, adele, megan, reader, other); asked on a terminal')
    .option('--mfa', 'the dev token proves MFA')
    .option('--minutes <n>', 'dev token lifetime in minutes (1-1440, default 60)')
    .option('--tenant <id>', 'Entra ID tenant (JIT_TENANT_ID); selects the device code flow')
    .option('--client-id <id>', "the CLI's app registration (JIT_CLIENT_ID)")
    .option('--scope <scope>', "the API's scope (JIT_SCOPE, default api://jit-access/.default)")
    .option(
      '--authority-host <url>',
      'Entra ID endpoint of a national cloud, e.g. https://login.microsoftonline.us (JIT_AUTHORITY_HOST)',
    )
    .action(login);
  subcommand(program, 'logout').description('forget the saved session').action(logout);
  subcommand(program, 'whoami').description('who is signed in, where, until when').action(whoami);

  subcommand(program, 'roles')
    .description('your eligible and active roles and PIM groups, with the time left on active ones')
    .action(roles);

  subcommand(program, 'activate')
    .description('activate a role or PIM group membership by name (case-insensitive)')
    .argument('<name>', 'role or group name, e.g. "Security Reader"')
    .option('--for <duration>', "how long: 8h, 90m, 1h30m or PT8H (default: the policy's maximum)")
    .addOption(accessOption())
    .option('--reason <text>', 'justification')
    .option('--ticket <number>', 'ticket number')
    .option('--ticket-system <name>', 'ticket system, e.g. ServiceNow')
    .option('--otp <code>', 'code from your authenticator app, when the request waits for MFA')
    .option('--wait', 'keep waiting while the request waits for approval')
    .option('--no-wait', 'do not wait at all: print the request as first answered')
    .option('--timeout <duration>', 'give up waiting after this long (e.g. 10m)')
    .action((name: string, options) => activate(name, options));

  subcommand(program, 'extend')
    .description('move the end of an active role or group membership: --for counts from now')
    .argument('<name>', 'role or group name')
    .option('--for <duration>', 'new length from now: 8h, 90m, 1h30m or PT8H')
    .addOption(accessOption())
    .option('--reason <text>', 'justification')
    .option('--ticket <number>', 'ticket number')
    .option('--ticket-system <name>', 'ticket system')
    .option('--otp <code>', 'code from your authenticator app, when asked for MFA')
    .option('--wait', 'keep waiting while the extension waits for approval')
    .option('--no-wait', 'do not wait at all')
    .option('--timeout <duration>', 'give up waiting after this long')
    // A second selfActivate of a live activation moves its end (Graph's selfExtend asks an admin
    // about an assignment instead; the service answers that with PendingAdminDecision).
    .action((name: string, options) => activate(name, options));

  subcommand(program, 'deactivate')
    .description('end an active role or group membership of yours now')
    .argument('<name>', 'role or group name')
    .addOption(accessOption())
    .option('--reason <text>', 'justification')
    .action(deactivate);

  subcommand(program, 'verify')
    .description('prove MFA for a request waiting for it (a code, or a session signed in with MFA)')
    .argument('<id>', 'request id')
    .option('--otp <code>', 'code from your authenticator app')
    .option('--timeout <duration>', 'give up waiting after this long')
    .action(verify);

  subcommand(program, 'cancel')
    .description('withdraw a request of yours that still waits')
    .argument('<id>', 'request id')
    .action(cancel);

  subcommand(program, 'requests')
    .description('your requests and their status, newest first')
    .action(requests);

  subcommand(program, 'approvals').description('requests waiting for your approval').action(approvals);
  subcommand(program, 'approve')
    .description('approve a request waiting for you')
    .argument('<id>', 'approval id (jit approvals)')
    .option('--reason <text>', "approver's justification")
    .action((id: string, options) => decide(id, 'Approve', options));
  subcommand(program, 'deny')
    .description('deny a request waiting for you')
    .argument('<id>', 'approval id (jit approvals)')
    .option('--reason <text>', "approver's justification")
    .action((id: string, options) => decide(id, 'Deny', options));

  subcommand(program, 'check')
    .description('may you do <action> now? exit 0 allowed, 8 denied')
    .argument('<action>', 'e.g. microsoft.office365.securityComplianceCenter/threatExplorer/emails/read')
    .option('--scope <scope>', 'directory scope', '/')
    .option('--principal <id>', "someone else's object id (readers and admins)")
    .action(check);

  subcommand(program, 'audit')
    .description("audit log rows of a time window (everyone's: readers and admins; your own: --mine)")
    .addOption(new Option('--since <when>', 'duration back (1d, 12h) or ISO date/time').default('1d'))
    .option('--until <when>', 'duration back or ISO date/time (default: now)')
    .option('--csv', "CSV from the service's export (header first)")
    .option('--mine', 'only what you did (no reader role needed)')
    .action(audit);

  return program;
}
