// The CLI's duration parser: what people type for --for, --timeout, --since and --until.
import { describe, expect, it } from 'vitest';
import { formatRemaining, parseDuration, parsePointInTime, toIsoDuration } from '../../cli/duration';
import { CliError, ExitCode } from '../../cli/exit-codes';

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('parseDuration', () => {
  it.each([
    ['8h', 8 * HOUR, 'PT8H'],
    ['90m', 90 * MINUTE, 'PT1H30M'],
    ['1h30m', 90 * MINUTE, 'PT1H30M'],
    ['1H30M', 90 * MINUTE, 'PT1H30M'],
    ['45s', 45_000, 'PT45S'],
    ['1d', 24 * HOUR, 'PT24H'],
    ['2d12h', 60 * HOUR, 'PT60H'],
    [' 2h ', 2 * HOUR, 'PT2H'],
    ['PT8H', 8 * HOUR, 'PT8H'],
    ['pt90m', 90 * MINUTE, 'PT1H30M'],
    ['PT1H30M', 90 * MINUTE, 'PT1H30M'],
    ['P1D', 24 * HOUR, 'PT24H'],
    ['P1DT2H', 26 * HOUR, 'PT26H'],
    ['PT0.5S', 500, 'PT1S'],
  ])('%s is %d ms (%s)', (text, ms, iso) => {
    expect(parseDuration(text)).toEqual({ ms, iso });
  });

  it.each([
    '',
    'h',
    '8',
    '8 h',
    '1.5h',
    '-1h',
    '0h',
    'PT0S',
    'PT',
    'P',
    'P1DT',
    '8hours',
    'h8',
    '30m1h',
    'PT8X',
  ])('refuses %j as a usage error that shows the forms', (text) => {
    let error: unknown;
    try {
      parseDuration(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(ExitCode.usage);
    expect((error as CliError).message).toContain('1h30m');
  });
});

describe('toIsoDuration', () => {
  it('writes hours, minutes and seconds, leaving out zero parts', () => {
    expect(toIsoDuration(8 * HOUR)).toBe('PT8H');
    expect(toIsoDuration(61 * MINUTE + 5000)).toBe('PT1H1M5S');
    expect(toIsoDuration(0)).toBe('PT0S');
  });
});

describe('parsePointInTime', () => {
  const now = new Date('2026-12-02T10:00:00.000Z');

  it('counts a duration back from now', () => {
    expect(parsePointInTime('1d', now).toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(parsePointInTime('12h', now).toISOString()).toBe('2026-12-01T22:00:00.000Z');
    expect(parsePointInTime('PT30M', now).toISOString()).toBe('2026-12-02T09:30:00.000Z');
  });

  it('takes ISO dates and times as they are', () => {
    expect(parsePointInTime('2026-11-30', now).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(parsePointInTime('2026-11-30T08:15:00Z', now).toISOString()).toBe('2026-11-30T08:15:00.000Z');
  });

  it.each(['yesterday', '2026-13-45', 'last week'])('refuses %j naming both forms', (text) => {
    expect(() => parsePointInTime(text, now)).toThrow(/duration back from now .* ISO date/);
  });
});

describe('formatRemaining', () => {
  it('reads like a person would say it', () => {
    expect(formatRemaining(2 * HOUR)).toBe('2h 0m');
    expect(formatRemaining(119 * MINUTE + 20_000)).toBe('1h 59m');
    expect(formatRemaining(60 * MINUTE - 1000)).toBe('1h 0m');
    expect(formatRemaining(12 * MINUTE)).toBe('12m');
    expect(formatRemaining(40_000)).toBe('40s');
    expect(formatRemaining(26 * HOUR)).toBe('1d 2h');
    expect(formatRemaining(0)).toBe('ended');
  });
});
