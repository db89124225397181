// Durations as people type them (`8h`, `90m`, `1h30m`, `1d`) or as ISO 8601 (`PT8H`, `P1DT2H`),
// turned into milliseconds and the ISO form the API speaks; and `--since`/`--until` values,
// which are a duration back from now or an ISO date or time.
import { CliError, ExitCode } from './exit-codes';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const SHORT = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i;
const ISO = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

export interface ParsedDuration {
  ms: number;
  /** ISO 8601 duration with hours, minutes and seconds only (`PT1H30M`): what the API's fields take. */
  iso: string;
}

function usage(text: string): CliError {
  return new CliError(
    `'${text}' is not a duration: use e.g. 8h, 90m, 1h30m, 1d or ISO 8601 such as PT8H.`,
    ExitCode.usage,
  );
}

function partsToMs(parts: (string | undefined)[]): number | undefined {
  if (parts.every((p) => p === undefined)) return undefined;
  const [d, h, m, s] = parts.map((p) => Number(p ?? 0));
  return d * DAY + h * HOUR + m * MINUTE + Math.round(s * SECOND);
}

/** Parses `8h`, `90m`, `1h30m`, `2d`, `45s` or ISO 8601 (`PT8H`, `P1D`); refuses zero and anything else. */
export function parseDuration(input: string): ParsedDuration {
  const text = input.trim();
  const short = SHORT.exec(text);
  const iso = short ? undefined : ISO.exec(text);
  // `PT` alone or `P1DT` matches the ISO pattern with nothing after T: not a duration.
  if (iso && /T$/i.test(text)) throw usage(input);
  const ms = partsToMs((short ?? iso)?.slice(1) ?? []);
  if (ms === undefined || ms <= 0) throw usage(input);
  return { ms, iso: toIsoDuration(ms) };
}

/** `PT1H30M`, `PT45S`, `PT24H`: hours, minutes and seconds, as the API's maximums are written. */
export function toIsoDuration(ms: number): string {
  const totalSeconds = Math.round(ms / SECOND);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || totalSeconds === 0 ? `${s}S` : ''}`;
}

/** A point in time: a duration back from `now` (`1d`, `12h`, `PT6H`) or an ISO date or date-time. */
export function parsePointInTime(input: string, now: Date): Date {
  const text = input.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = new Date(text);
    if (!Number.isNaN(at.getTime())) return at;
  } else {
    try {
      return new Date(now.getTime() - parseDuration(text).ms);
    } catch {
      // fall through to the message that names both forms
    }
  }
  throw new CliError(
    `'${input}' is neither a duration back from now (1d, 12h, 90m, PT6H) nor an ISO date or time (2026-12-01, 2026-12-01T08:00:00Z).`,
    ExitCode.usage,
  );
}

/** `7h 59m`, `12m`, `40s`: a remaining time for people, to the nearest minute from a minute on. */
export function formatRemaining(ms: number): string {
  if (ms <= 0) return 'ended';
  if (ms < MINUTE) return `${Math.ceil(ms / SECOND)}s`;
  // Rounded: a window of 1h read a second after it began is "1h 0m" left, not "59m".
  const totalMinutes = Math.round(ms / MINUTE);
  const d = Math.floor(totalMinutes / (24 * 60));
  const h = Math.floor((totalMinutes % (24 * 60)) / 60);
  const m = totalMinutes % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  return `${m}m`;
}
