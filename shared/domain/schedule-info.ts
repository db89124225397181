// Graph's requestSchedule (`scheduleInfo`) and ticketInfo, and how a request's schedule becomes a
// concrete window: start defaults to now, the end comes from the expiration pattern.
import { z } from 'zod';
import { addDuration, DurationString } from './duration';
import { ciEnum } from './enums';
import { ValidationError } from './errors';
import { DateTimeString } from './ids';

export const ExpirationType = ciEnum(['afterDuration', 'afterDateTime', 'noExpiration', 'notSpecified']);

export const Expiration = z
  .strictObject({
    type: ExpirationType.optional(),
    duration: DurationString.nullish(),
    endDateTime: DateTimeString.nullish(),
  })
  .superRefine((e, ctx) => {
    if (e.type === 'afterDuration' && !e.duration) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'Required when type is afterDuration.' });
    }
    if (e.type === 'afterDateTime' && !e.endDateTime) {
      ctx.addIssue({
        code: 'custom',
        path: ['endDateTime'],
        message: 'Required when type is afterDateTime.',
      });
    }
  });
export type Expiration = z.infer<typeof Expiration>;

export const ScheduleInfo = z.strictObject({
  startDateTime: DateTimeString.nullish(),
  expiration: Expiration.nullish(),
  // Recurring schedules are not supported (nor used by Entra's role requests).
  recurrence: z.null().optional(),
});
export type ScheduleInfo = z.infer<typeof ScheduleInfo>;

export const TicketInfo = z.strictObject({
  ticketNumber: z.string().max(256).nullish(),
  ticketSystem: z.string().max(256).nullish(),
});
export type TicketInfo = z.infer<typeof TicketInfo>;

/** A resolved window. `end` null = permanent. */
export interface Window {
  start: Date;
  end: Date | null;
}

export type ResolvedExpirationType = 'afterDuration' | 'afterDateTime' | 'noExpiration';

/** The expiration type a pattern means; a missing type is inferred from the fields present. */
export function expirationTypeOf(expiration: Expiration | null | undefined): ResolvedExpirationType {
  const type = expiration?.type;
  if (type === 'afterDuration' || type === 'afterDateTime' || type === 'noExpiration') return type;
  if (type === 'notSpecified' || !expiration) return 'noExpiration';
  if (expiration.endDateTime) return 'afterDateTime';
  if (expiration.duration) return 'afterDuration';
  return 'noExpiration';
}

/** The concrete window of a requested schedule; ValidationError when it ends before it starts. */
export function resolveWindow(info: ScheduleInfo | null | undefined, now: Date): Window {
  const start = info?.startDateTime ? new Date(info.startDateTime) : now;
  const expiration = info?.expiration;
  let end: Date | null = null;
  switch (expirationTypeOf(expiration)) {
    case 'afterDuration':
      end = addDuration(start, expiration!.duration!);
      break;
    case 'afterDateTime':
      end = new Date(expiration!.endDateTime!);
      break;
    case 'noExpiration':
      end = null;
  }
  if (end !== null && end.getTime() <= start.getTime()) {
    throw new ValidationError('The schedule must end after it starts.', [
      { target: 'scheduleInfo.expiration', message: 'ends at or before startDateTime' },
    ]);
  }
  return { start, end };
}

/** Graph's scheduleInfo for a stored window (what schedules and requests echo back). */
export function scheduleInfoOf(startDateTime: string, endDateTime: string | null) {
  return {
    startDateTime,
    recurrence: null,
    expiration:
      endDateTime === null
        ? { type: 'noExpiration' as const, endDateTime: null, duration: null }
        : { type: 'afterDateTime' as const, endDateTime, duration: null },
  };
}
