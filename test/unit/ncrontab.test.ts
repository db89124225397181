import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../devhost/ncrontab';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('NCRONTAB schedules', () => {
  it('finds the next occurrence of six-field expressions', () => {
    expect(iso(parseSchedule('0 */5 * * * *').next(at('2026-01-01T10:02:30Z')))).toBe(
      '2026-01-01T10:05:00.000Z',
    );
    expect(iso(parseSchedule('0 0 * * * *').next(at('2026-01-01T10:00:00Z')))).toBe(
      '2026-01-01T11:00:00.000Z',
    );
    expect(iso(parseSchedule('30 15 9 * * Mon-Fri').next(at('2026-01-03T00:00:00Z')))).toBe(
      '2026-01-05T09:15:30.000Z',
    );
    expect(iso(parseSchedule('0 0 0 1 Jan *').next(at('2026-03-01T00:00:00Z')))).toBe(
      '2027-01-01T00:00:00.000Z',
    );
    expect(iso(parseSchedule('0 0 12 * * 0').next(at('2026-01-01T00:00:00Z')))).toBe(
      '2026-01-04T12:00:00.000Z',
    );
  });

  it('accepts the TimeSpan form', () => {
    expect(iso(parseSchedule('00:10:00').next(at('2026-01-01T10:02:00Z')))).toBe('2026-01-01T10:10:00.000Z');
  });

  it('rejects malformed expressions', () => {
    expect(() => parseSchedule('* * * * *')).toThrow(/six fields/);
    expect(() => parseSchedule('0 61 * * * *')).toThrow(/range/);
    expect(() => parseSchedule('0 x * * * *')).toThrow();
  });
});
