import { describe, expect, it } from 'vitest';
import {
  addDuration,
  DurationString,
  fixedDurationMs,
  formatDurationMs,
  parseDuration,
} from '../../shared/domain/duration';
import { ValidationError } from '../../shared/domain/errors';
import { resolveWindow } from '../../shared/domain/schedule-info';

const T0 = new Date('2030-01-31T10:00:00.000Z');

describe('ISO 8601 durations', () => {
  it.each([
    ['PT8H', 8 * 3_600_000],
    ['P1D', 86_400_000],
    ['PT30M', 1_800_000],
    ['PT90S', 90_000],
    ['PT0.5S', 500],
    ['P1DT2H30M', 86_400_000 + 2 * 3_600_000 + 30 * 60_000],
    ['P2W', 14 * 86_400_000],
    ['P365D', 365 * 86_400_000],
    ['pt8h', 8 * 3_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(fixedDurationMs(text)).toBe(ms);
    expect(DurationString.safeParse(text).success).toBe(true);
  });

  it.each(['', 'P', 'PT', 'P1DT', '8H', 'PT8', 'P-1D', 'PT8H ', 'P1.5D', 'PTH', 'P1Y'.repeat(30)])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
      expect(DurationString.safeParse(text).success).toBe(false);
    },
  );

  it('adds calendar months and years with the day clamped to the month', () => {
    expect(addDuration(T0, 'P1M').toISOString()).toBe('2030-02-28T10:00:00.000Z');
    expect(addDuration(T0, 'P1Y').toISOString()).toBe('2031-01-31T10:00:00.000Z');
    expect(addDuration(new Date('2032-01-31T00:00:00Z'), 'P1M').toISOString()).toBe(
      '2032-02-29T00:00:00.000Z',
    );
    expect(addDuration(T0, 'P1MT1H').toISOString()).toBe('2030-02-28T11:00:00.000Z');
    expect(fixedDurationMs('P1M')).toBeUndefined();
  });

  it('formats milliseconds canonically', () => {
    expect(formatDurationMs(8 * 3_600_000)).toBe('PT8H');
    expect(formatDurationMs(86_400_000 + 90_000)).toBe('P1DT1M30S');
    expect(formatDurationMs(0)).toBe('PT0S');
    expect(fixedDurationMs(formatDurationMs(123_456_789))).toBe(123_456_789);
  });
});

describe('scheduleInfo windows', () => {
  it('starts now by default and ends after the duration', () => {
    const w = resolveWindow({ expiration: { type: 'afterDuration', duration: 'PT8H' } }, T0);
    expect(w.start).toEqual(T0);
    expect(w.end?.toISOString()).toBe('2030-01-31T18:00:00.000Z');
  });

  it('is permanent without an expiration, and honours an explicit end', () => {
    expect(resolveWindow(undefined, T0).end).toBeNull();
    expect(resolveWindow({ expiration: { type: 'noExpiration' } }, T0).end).toBeNull();
    const w = resolveWindow(
      { startDateTime: '2030-02-01T00:00:00.000Z', expiration: { endDateTime: '2030-03-01T00:00:00.000Z' } },
      T0,
    );
    expect([w.start.toISOString(), w.end?.toISOString()]).toEqual([
      '2030-02-01T00:00:00.000Z',
      '2030-03-01T00:00:00.000Z',
    ]);
  });

  it('refuses a window that ends before it starts', () => {
    expect(() =>
      resolveWindow({ expiration: { type: 'afterDateTime', endDateTime: '2030-01-01T00:00:00.000Z' } }, T0),
    ).toThrow(ValidationError);
  });
});
