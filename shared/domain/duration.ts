// ISO 8601 durations (`PT8H`, `P1D`, `P1Y2M3DT4H5M6.5S`, `P2W`) as Graph uses them for policy
// limits and request windows. Years and months are calendar units, so a duration is applied to a
// start instant (UTC) rather than converted to milliseconds: "P1M" from 31 January is 28/29 days.
import { z } from 'zod';

export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const PATTERN =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,9})?)S)?)?$/i;

// Bounds keep arithmetic exact and dates representable; no PIM window comes near them.
const MAX_COMPONENT = 1_000_000;

/** The duration, or undefined when `text` is not an ISO 8601 duration we accept. */
export function parseDuration(text: string): Duration | undefined {
  if (text.length > 64) return undefined;
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  // A trailing T without a time component ("P1DT") is not a valid duration.
  if (/T$/i.test(text)) return undefined;
  const n = (i: number) => (m[i] === undefined ? 0 : Number(m[i]!.replace(',', '.')));
  const d: Duration = {
    years: n(1),
    months: n(2),
    weeks: n(3),
    days: n(4),
    hours: n(5),
    minutes: n(6),
    seconds: n(7),
  };
  if (Object.values(d).some((v) => !Number.isFinite(v) || v > MAX_COMPONENT)) return undefined;
  return d;
}

/** Zod schema for a duration string; the output stays the canonical input text (Graph echoes it). */
export const DurationString = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, 'Expected an ISO 8601 duration such as PT8H or P365D.');

/** `start` plus `duration`, calendar-aware in UTC. */
export function addDuration(start: Date, duration: Duration | string): Date {
  const d = typeof duration === 'string' ? requireDuration(duration) : duration;
  const out = new Date(start.getTime());
  if (d.years || d.months) {
    // Clamp the day so 31 Jan + P1M is the last day of February, not 3 March.
    const day = out.getUTCDate();
    out.setUTCDate(1);
    out.setUTCMonth(out.getUTCMonth() + d.years * 12 + d.months);
    const lastDay = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
    out.setUTCDate(Math.min(day, lastDay));
  }
  const fixedMs =
    (((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60_000 + Math.round(d.seconds * 1000);
  return new Date(out.getTime() + fixedMs);
}

/** Milliseconds of a duration without calendar units; undefined when it has years or months. */
export function fixedDurationMs(duration: Duration | string): number | undefined {
  const d = typeof duration === 'string' ? parseDuration(duration) : duration;
  if (!d || d.years || d.months) return undefined;
  return addDuration(new Date(0), d).getTime();
}

/** Canonical text for a number of milliseconds: `PT8H`, `P1DT2H30M`, `PT0S`. */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('duration must be a non-negative finite number');
  let rest = Math.round(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  const date = days ? `${days}D` : '';
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!date && !time) return 'PT0S';
  return `P${date}${time ? `T${time}` : ''}`;
}

function requireDuration(text: string): Duration {
  const d = parseDuration(text);
  if (!d) throw new RangeError(`not an ISO 8601 duration: ${text}`);
  return d;
}
