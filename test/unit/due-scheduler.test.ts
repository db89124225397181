import { afterEach, describe, expect, it } from 'vitest';
import { HostClock } from '../../devhost/clock';
import { DueScheduler } from '../../devhost/due-scheduler';

const RealDate = Date;

describe('DueScheduler on a virtual clock', () => {
  afterEach(() => {
    globalThis.Date = RealDate;
  });

  it('fires due entries in due order when time jumps, once each, skipping cancelled ones', () => {
    const clock = new HostClock(true);
    const scheduler = new DueScheduler(clock);
    const fired: string[] = [];
    const t0 = clock.now();
    scheduler.schedule('b', t0 + 2 * 3600_000, () => fired.push('b'));
    scheduler.schedule('a', t0 + 3600_000, () => fired.push('a'));
    scheduler.schedule('c', t0 + 3 * 3600_000, () => fired.push('c'));
    scheduler.schedule('gone', t0 + 1000, () => fired.push('gone'));
    scheduler.cancel('gone');
    clock.advanceBy(2.5 * 3600_000);
    expect(fired).toEqual(['a', 'b']);
    clock.advanceBy(3600_000);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(scheduler.size).toBe(0);
    scheduler.stop();
  });

  it('holds 10,000 entries on a heap and reschedules a key instead of duplicating it', () => {
    const clock = new HostClock(true);
    const scheduler = new DueScheduler(clock);
    let count = 0;
    const t0 = clock.now();
    for (let i = 0; i < 10_000; i++)
      scheduler.schedule(`k${i}`, t0 + (10_000 - i) * 1000 + 60_000, () => count++);
    scheduler.schedule('k0', t0 + 1e12, () => count++); // moved far out
    expect(scheduler.size).toBe(10_000);
    expect(scheduler.nextDue()).toBe(t0 + 61_000);
    clock.advanceBy(10_001 * 1000 + 60_000);
    expect(count).toBe(9_999);
    scheduler.stop();
  });

  it('makes Date follow the virtual clock', () => {
    const clock = new HostClock(true);
    const before = Date.now();
    clock.advanceBy(8 * 3600_000);
    expect(Date.now() - before).toBeGreaterThanOrEqual(8 * 3600_000);
    // biome-ignore lint/complexity/useDateNow: checks the patched constructor, not Date.now
    expect(new Date().getTime() - before).toBeGreaterThanOrEqual(8 * 3600_000);
    expect(new Date(0).getTime()).toBe(0);
  });
});
