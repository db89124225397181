// Runs the app's timer triggers (`app.timer`) on the host clock: six-field NCRONTAB or TimeSpan
// schedules, `runOnStartup`, and `isPastDue` when an occurrence fires late (a virtual-clock jump,
// or a busy host). Like Azure, one late firing stands for all missed occurrences.
import type { HostClock } from './clock';
import type { DueScheduler } from './due-scheduler';
import type { Invoker } from './invoke';
import { parseSchedule } from './ncrontab';
import type { RegisteredFunction, Registry } from './registry';

const PAST_DUE_TOLERANCE_MS = 1000;

export class TimerTriggers {
  private readonly running = new Set<string>();

  constructor(
    private readonly registry: Registry,
    private readonly invoker: Invoker,
    private readonly scheduler: DueScheduler,
    private readonly clock: HostClock,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    for (const fn of this.registry.byTriggerType('timerTrigger')) {
      const expression = String(fn.trigger.schedule ?? '');
      const schedule = parseSchedule(expression);
      let last: number | undefined;
      const plan = (after: number) => {
        const due = schedule.next(after);
        this.scheduler.schedule(`timer:${fn.metadata.name}`, due, () => {
          const now = this.clock.now();
          const pastDue = now - due > PAST_DUE_TOLERANCE_MS;
          const next = schedule.next(now);
          void this.fire(fn, { last, next, pastDue }).finally(() => plan(this.clock.now()));
          last = now;
        });
      };
      if (fn.trigger.runOnStartup) {
        const now = this.clock.now();
        void this.fire(fn, { last: undefined, next: schedule.next(now), pastDue: false }).finally(() =>
          plan(this.clock.now()),
        );
      } else plan(this.clock.now());
    }
  }

  private async fire(
    fn: RegisteredFunction,
    status: { last: number | undefined; next: number; pastDue: boolean },
  ): Promise<void> {
    const name = fn.metadata.name;
    if (this.running.has(name)) return; // Azure never overlaps invocations of one timer function.
    this.running.add(name);
    const started = performance.now();
    const iso = (ms: number | undefined) =>
      ms === undefined ? '0001-01-01T00:00:00' : new Date(ms).toISOString();
    const payload = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: { Last: iso(status.last), Next: iso(status.next), LastUpdated: iso(this.clock.now()) },
      IsPastDue: status.pastDue,
    };
    let outcome = 'ok';
    try {
      await this.invoker.invoke(fn, { json: JSON.stringify(payload) });
    } catch (err) {
      outcome = `failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.running.delete(name);
    }
    this.log(`[devhost] timer ${name} ${outcome} (${(performance.now() - started).toFixed(1)} ms)`);
  }
}
