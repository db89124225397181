// Six-field NCRONTAB ("{second} {minute} {hour} {day} {month} {day-of-week}"), as Azure Functions
// timer triggers use it, evaluated in UTC. Also accepts the TimeSpan form "hh:mm:ss" (every interval).

const FIELDS = [
  { min: 0, max: 59 },
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12 },
  { min: 0, max: 6 },
] as const;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface Schedule {
  next(afterMs: number): number;
}

export function parseSchedule(expression: string): Schedule {
  const span = /^(\d+):(\d{2}):(\d{2})$/.exec(expression.trim());
  if (span) {
    const interval = ((Number(span[1]) * 60 + Number(span[2])) * 60 + Number(span[3])) * 1000;
    if (interval <= 0) throw new Error(`Invalid TimeSpan schedule "${expression}"`);
    return { next: (after) => (Math.floor(after / interval) + 1) * interval };
  }
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`NCRONTAB "${expression}" must have six fields`);
  const sets = parts.map((p, i) => parseField(p, i));
  const [sec, min, hour, day, month, dow] = sets;
  const dayRestricted = parts[3] !== '*' && parts[3] !== '?';
  const dowRestricted = parts[5] !== '*' && parts[5] !== '?';
  const dayMatches = (d: Date) => {
    const byDay = day.has(d.getUTCDate());
    const byDow = dow.has(d.getUTCDay());
    if (dayRestricted && dowRestricted) return byDay || byDow;
    return byDay && byDow;
  };
  return {
    next(afterMs: number): number {
      const t = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
      // Bounded search: at most ~5 years of days, each narrowed by hour/minute/second sets.
      for (let guard = 0; guard < 5 * 366 * 24 * 60; guard++) {
        if (!month.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!hour.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
          continue;
        }
        if (!min.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
          continue;
        }
        if (!sec.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
          continue;
        }
        return t.getTime();
      }
      throw new Error(`NCRONTAB "${expression}" never fires`);
    },
  };
}

function parseField(text: string, index: number): Set<number> {
  const { min, max } = FIELDS[index];
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|\?|[\w]+(?:-[\w]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`Invalid NCRONTAB field "${text}"`);
    const step = m[2] ? Number(m[2]) : 1;
    if (step < 1) throw new Error(`Invalid step in "${text}"`);
    let lo: number = min;
    let hi: number = max;
    if (m[1] !== '*' && m[1] !== '?') {
      const [a, b] = m[1].split('-');
      lo = value(a, index);
      hi = b === undefined ? (m[2] ? max : lo) : value(b, index);
    }
    if (lo < min || hi > max || lo > hi) throw new Error(`NCRONTAB field "${text}" is out of range`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  if (index === 5 && out.has(7)) out.add(0);
  return out;
}

function value(token: string, index: number): number {
  const lower = token.toLowerCase();
  if (index === 4 && MONTHS.includes(lower)) return MONTHS.indexOf(lower) + 1;
  if (index === 5 && DAYS.includes(lower)) return DAYS.indexOf(lower);
  if (!/^\d+$/.test(token)) throw new Error(`Invalid NCRONTAB value "${token}"`);
  const n = Number(token);
  return index === 5 && n === 7 ? 0 : n;
}
