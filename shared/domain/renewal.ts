// Graph's selfExtend and selfRenew: a principal asks an admin to extend an eligible or active
// assignment of theirs that ends within 14 days, or to renew one that has ended. The request waits
// as PendingAdminDecision; an admin's adminExtend or adminRenew of that schedule grants it, an
// admin's cancel (or adminRemove) denies it, and the principal may cancel it.
// A live activation is lengthened by a second selfActivate instead (Graph has no word for that).
import type { ScheduleRecord } from './schedules';

export const RENEWAL_ACTIONS = ['selfExtend', 'selfRenew'] as const;
export type RenewalAction = (typeof RENEWAL_ACTIONS)[number];

/** How close to its end an assignment must be before its principal may ask for an extension. */
export const EXTEND_WINDOW_DAYS = 14;
const DAY_MS = 86_400_000;

export function isRenewalAction(action: string): action is RenewalAction {
  return (RENEWAL_ACTIONS as readonly string[]).includes(action);
}

export type RenewalCandidate =
  | { ok: true; schedule: ScheduleRecord }
  | { ok: false; reason: 'none' | 'notEndingSoon' | 'stillRunning'; schedule?: ScheduleRecord };

/**
 * The schedule a selfExtend or selfRenew is about, among the principal's schedules of one target:
 * selfExtend wants a running, time-bound one ending within EXTEND_WINDOW_DAYS; selfRenew the one
 * that ended last, while none runs.
 */
export function renewalCandidate(
  action: RenewalAction,
  schedules: readonly ScheduleRecord[],
  now: Date,
  targetScheduleId?: string | null,
): RenewalCandidate {
  const t = now.getTime();
  const end = (s: ScheduleRecord) =>
    s.endDateTime === null ? Number.POSITIVE_INFINITY : Date.parse(s.endDateTime);
  const named = schedules.filter((s) => !targetScheduleId || s.id === targetScheduleId);
  const running = named.filter((s) => end(s) > t);
  if (action === 'selfExtend') {
    const soonest = running.sort((a, b) => end(a) - end(b))[0];
    if (!soonest) return { ok: false, reason: 'none' };
    if (end(soonest) - t > EXTEND_WINDOW_DAYS * DAY_MS)
      return { ok: false, reason: 'notEndingSoon', schedule: soonest };
    return { ok: true, schedule: soonest };
  }
  if (running.length > 0) return { ok: false, reason: 'stillRunning', schedule: running[0] };
  const latest = named.sort((a, b) => end(b) - end(a))[0];
  return latest ? { ok: true, schedule: latest } : { ok: false, reason: 'none' };
}
