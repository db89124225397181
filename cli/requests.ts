// Activation requests: their shape as the CLI reads it, what each status means for the person
// waiting, and following one until it settles (polling with a deadline).
import { KINDS, paths, type TargetKind } from './api-paths';
import { parseDuration } from './duration';
import { CliError, ExitCode } from './exit-codes';
import type { ApiClient } from './http-client';

export interface ScheduleRequest {
  id: string;
  status: string;
  action: string;
  principalId: string;
  roleDefinitionId?: string;
  groupId?: string;
  accessId?: string;
  approvalId?: string | null;
  createdDateTime: string;
  completedDateTime?: string | null;
  justification?: string | null;
  scheduleInfo?: {
    startDateTime?: string | null;
    expiration?: { type?: string; duration?: string | null; endDateTime?: string | null } | null;
  } | null;
}

export type Phase = 'done' | 'working' | 'mfa' | 'approval' | 'failed';

/** What a status means for the person who asked. */
export function phaseOf(status: string): Phase {
  switch (status) {
    case 'Provisioned':
    case 'Granted':
    case 'ScheduleCreated':
    case 'Revoked':
      return 'done';
    case 'PendingMfa':
      return 'mfa';
    case 'PendingApproval':
    case 'PendingAdminDecision':
      return 'approval';
    case 'PendingProvisioning':
    case 'PendingScheduleCreation':
      return 'working';
    default:
      // Denied, Canceled, Failed, TimedOut, Expired
      return 'failed';
  }
}

export const kindOfRequest = (r: ScheduleRequest): TargetKind => (r.groupId ? 'group' : 'role');

/** A request by id, whether it is a role's or a group's. */
export async function findRequest(
  client: ApiClient,
  id: string,
): Promise<{ kind: TargetKind; request: ScheduleRequest }> {
  for (const kind of KINDS) {
    try {
      return { kind, request: await client.get<ScheduleRequest>(paths.request(kind, id)) };
    } catch (err) {
      if (!(err instanceof CliError && err.exitCode === ExitCode.forbiddenOrNotFound)) throw err;
    }
  }
  throw new CliError(`No request '${id}' of yours: jit requests lists them.`, ExitCode.forbiddenOrNotFound);
}

export interface FollowOptions {
  /** Stop when the request reaches one of these phases (it is then returned). */
  until: Phase[];
  /** Give up after this long; undefined: no limit but the service's own timeouts. */
  timeoutMs?: number;
  intervalMs?: number;
  onStatus: (request: ScheduleRequest) => void;
}

/** Polls a request until its phase is one of `until` or it fails; returns the last answer. */
export async function followRequest(
  client: ApiClient,
  kind: TargetKind,
  first: ScheduleRequest,
  options: FollowOptions,
): Promise<{ request: ScheduleRequest; timedOut: boolean }> {
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  let request = first;
  for (;;) {
    options.onStatus(request);
    const phase = phaseOf(request.status);
    if (phase === 'failed' || options.until.includes(phase)) return { request, timedOut: false };
    if (Date.now() >= deadline) return { request, timedOut: true };
    await delay(Math.min(options.intervalMs ?? 500, Math.max(0, deadline - Date.now())));
    request = await client.get<ScheduleRequest>(paths.request(kind, request.id));
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When a request's window ends: its endDateTime, or its start plus its duration (Graph leaves the former null). */
export function endOf(request: ScheduleRequest): string | undefined {
  const info = request.scheduleInfo;
  if (info?.expiration?.endDateTime) return info.expiration.endDateTime;
  const start = info?.startDateTime ?? request.completedDateTime;
  const duration = info?.expiration?.duration;
  if (!start || !duration) return undefined;
  try {
    return new Date(Date.parse(start) + parseDuration(duration).ms).toISOString();
  } catch {
    return undefined;
  }
}
