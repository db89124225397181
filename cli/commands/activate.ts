// jit activate / extend / deactivate / verify / cancel: a person's own activation requests.
import { type GroupAccess, paths, type TargetKind } from '../api-paths';
import { approverNames } from '../approvers';
import { type CommonOptions, type SignedIn, signedIn } from '../context';
import { Directory, type Target } from '../directory';
import { formatRemaining, parseDuration } from '../duration';
import { CliError, ExitCode } from '../exit-codes';
import { ask, canPrompt } from '../prompt';
import { endOf, findRequest, followRequest, type Phase, phaseOf, type ScheduleRequest } from '../requests';

export interface TargetOptions extends CommonOptions {
  /** For a PIM group: membership (default) or ownership. */
  access?: GroupAccess;
  reason?: string;
}

export interface ActivateOptions extends TargetOptions {
  for?: string;
  ticket?: string;
  ticketSystem?: string;
  otp?: string;
  /** true: keep polling through approval; false: do not poll at all; undefined: poll until it settles. */
  wait?: boolean;
  timeout?: string;
}

/** How long to poll a request that is being provisioned, when no --timeout says otherwise. */
const PROVISIONING_TIMEOUT_MS = 120_000;

function targetFields(target: Target, access: GroupAccess = 'member'): Record<string, string> {
  return target.kind === 'role'
    ? { roleDefinitionId: target.id, directoryScopeId: '/' }
    : { groupId: target.id, accessId: access };
}

export async function activate(name: string, options: ActivateOptions): Promise<void> {
  const duration = options.for ? parseDuration(options.for) : undefined;
  const timeoutMs = parseTimeout(options);
  checkOtp(options.otp);
  const ctx = signedIn(options);
  const target = await new Directory(ctx.client).resolve(name);
  const ticket = options.ticket;
  // No startDateTime: the service starts the window at its own "now" (its clock may not be ours).
  const body = {
    action: 'selfActivate',
    principalId: ctx.session.user.id,
    ...targetFields(target, options.access),
    justification: options.reason ?? null,
    ticketInfo: ticket ? { ticketNumber: ticket, ticketSystem: options.ticketSystem ?? null } : null,
    scheduleInfo: duration ? { expiration: { type: 'afterDuration', duration: duration.iso } } : null,
  };
  const created = await ctx.client.post<ScheduleRequest>(paths.requests(target.kind), body);
  await settle(ctx, target, created, options, timeoutMs);
}

function parseTimeout(options: ActivateOptions): number | undefined {
  return options.timeout ? parseDuration(options.timeout).ms : undefined;
}

function checkOtp(otp: string | undefined): void {
  if (otp !== undefined && !/^\d{6}$/.test(otp)) {
    throw new CliError('--otp takes the 6-digit code of your authenticator app.', ExitCode.usage);
  }
}

/** Follows a new or pending request: MFA when asked, approval as the options say, then the outcome. */
async function settle(
  ctx: SignedIn,
  target: Target,
  created: ScheduleRequest,
  options: ActivateOptions,
  timeoutMs: number | undefined,
): Promise<void> {
  const { client, out } = ctx;
  let request = created;
  const started = Date.now();
  const show = (r: ScheduleRequest) =>
    out.progress(
      `${target.displayName}: ${describeStatus(r.status)}`,
      `(${formatWaited(Date.now() - started)})`,
    );
  if (options.wait !== false) {
    // Without --wait, stop at approval and give up on provisioning after a while; with it, wait
    // for the decision as long as --timeout allows (or the service's own approval timeout).
    const follow = {
      until: (options.wait ? ['done', 'mfa'] : ['done', 'mfa', 'approval']) as Phase[],
      timeoutMs: timeoutMs ?? (options.wait ? undefined : PROVISIONING_TIMEOUT_MS),
      onStatus: show,
    };
    request = (await followRequest(client, target.kind, request, follow)).request;
    if (phaseOf(request.status) === 'mfa') {
      out.endProgress();
      const code = await mfaCode(options.otp);
      if (code) {
        await client.post(`${paths.request(target.kind, request.id)}/verifyMfa`, { otp: code });
        // verifyMfa answers 204: the request has moved on; follow it from its new state.
        const fresh = await client.get<ScheduleRequest>(paths.request(target.kind, request.id));
        request = (await followRequest(client, target.kind, fresh, follow)).request;
      }
    }
  } else {
    show(request);
  }
  out.endProgress();
  await report(ctx, target, request);
}

/** --otp, else a code typed on the terminal; empty when neither (the caller then exits 7). */
async function mfaCode(otp: string | undefined): Promise<string> {
  if (otp) return otp;
  return canPrompt() ? ask('Code from your authenticator app (empty to stop): ') : '';
}

/** Prints the outcome and ends with the exit code it stands for. */
async function report(ctx: SignedIn, target: Target, request: ScheduleRequest): Promise<void> {
  const { client, out } = ctx;
  const phase = phaseOf(request.status);
  const access = request.accessId === 'owner' ? 'owner' : 'member';
  const approvers =
    phase === 'approval' ? await approverNames(client, target.kind, target.id, access) : undefined;
  const end = endOf(request);
  const now = await client.now();
  const endDateTime = phase === 'done' && request.status !== 'Revoked' ? (end ?? null) : null;
  out.result({ target, request, endDateTime, ...(approvers ? { approvers } : {}) }, () => {
    if (phase === 'done' && request.status === 'Revoked') return `${target.displayName} deactivated.`;
    if (phase === 'done' && request.status === 'ScheduleCreated')
      return `${target.displayName} is scheduled from ${request.scheduleInfo?.startDateTime} (request ${request.id}).`;
    if (phase === 'done')
      return end
        ? `${target.displayName} is active until ${end} (${formatRemaining(Date.parse(end) - now.getTime())} left).`
        : `${target.displayName} is active.`;
    return `${target.displayName}: ${describeStatus(request.status)} (request ${request.id}).`;
  });
  switch (phase) {
    case 'done':
      return;
    case 'approval': {
      const who = approvers?.length ? approvers.join(', ') : 'its approvers';
      throw new CliError(
        `Request ${request.id} waits for approval by ${who}. jit requests shows its status; ` +
          `jit activate ... --wait waits for the decision.`,
        ExitCode.waitingForApproval,
      );
    }
    case 'mfa':
      throw new CliError(
        `Request ${request.id} waits for MFA: run jit verify ${request.id} --otp <code>, ` +
          `or jit login --mfa and then jit verify ${request.id}.`,
        ExitCode.waitingForMfa,
      );
    case 'working':
      throw new CliError(
        `Request ${request.id} is still ${request.status}: jit requests shows when it is done.`,
        ExitCode.unexpected,
      );
    default:
      throw new CliError(
        `Request ${request.id} ended ${request.status}${request.completedDateTime ? ` at ${request.completedDateTime}` : ''}.`,
        ExitCode.refused,
      );
  }
}

/** `4s`, `2m 05s`: how long the command has waited, for the terminal's progress line. */
function formatWaited(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60
    ? `${seconds}s`
    : `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

export function describeStatus(status: string): string {
  switch (status) {
    case 'Provisioned':
    case 'Granted':
      return 'active';
    case 'PendingMfa':
      return 'waiting for MFA';
    case 'PendingApproval':
    case 'PendingAdminDecision':
      return 'waiting for approval';
    case 'PendingProvisioning':
      return 'provisioning';
    case 'ScheduleCreated':
      return 'scheduled';
    default:
      return status;
  }
}

export async function deactivate(name: string, options: TargetOptions): Promise<void> {
  const ctx = signedIn(options);
  const target = await new Directory(ctx.client).resolve(name);
  const request = await ctx.client.post<ScheduleRequest>(paths.requests(target.kind), {
    action: 'selfDeactivate',
    principalId: ctx.session.user.id,
    ...targetFields(target, options.access),
    justification: options.reason ?? null,
  });
  await report(ctx, target, request);
}

/** jit verify <id>: proves MFA for a request waiting for it, with a code or the session's fresh MFA. */
export async function verify(id: string, options: ActivateOptions): Promise<void> {
  checkOtp(options.otp);
  const timeoutMs = parseTimeout(options);
  const ctx = signedIn(options);
  const { kind, request } = await findRequest(ctx.client, id);
  if (phaseOf(request.status) !== 'mfa') {
    throw new CliError(`Request ${id} is ${request.status}, not waiting for MFA.`, ExitCode.refused);
  }
  const body = options.otp ? { otp: options.otp } : {};
  await ctx.client.post(`${paths.request(kind, id)}/verifyMfa`, body);
  const target = await targetOf(ctx, kind, request);
  const fresh = await ctx.client.get<ScheduleRequest>(paths.request(kind, id));
  await settle(ctx, target, fresh, options, timeoutMs);
}

/** jit cancel <id>: withdraws a request that still waits (for MFA, approval or its start). */
export async function cancel(id: string, options: CommonOptions): Promise<void> {
  const ctx = signedIn(options);
  const { kind, request } = await findRequest(ctx.client, id);
  await ctx.client.post(`${paths.request(kind, id)}/cancel`);
  const target = await targetOf(ctx, kind, request);
  const canceled = await ctx.client.get<ScheduleRequest>(paths.request(kind, id));
  ctx.out.result(
    { target, request: canceled },
    () => `Request ${id} (${target.displayName}) is ${canceled.status}.`,
  );
}

async function targetOf(ctx: SignedIn, kind: TargetKind, request: ScheduleRequest): Promise<Target> {
  const id = (kind === 'role' ? request.roleDefinitionId : request.groupId) ?? '';
  return { kind, id, displayName: await new Directory(ctx.client).nameOf(kind, id) };
}
