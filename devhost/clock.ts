// The host's clock. Real by default; with the virtual clock switched on (setting
// DEVHOST_VIRTUAL_CLOCK=true) it runs at real speed plus an offset that the control endpoint moves
// forward. The offset is applied to the process's `Date`, so the app (which reads time through its
// own clock module, i.e. `Date`) and `context.df.currentUtcDateTime` follow it without any code
// path that exists only for the devhost. Durations measured with `performance.now()` are untouched.

const RealDate = Date;

export class HostClock {
  private offsetMs = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly virtual: boolean) {
    if (virtual) installVirtualDate(() => this.offsetMs);
  }

  now(): number {
    return RealDate.now() + this.offsetMs;
  }

  /** How far ahead of real time the clock runs. */
  get offset(): number {
    return this.offsetMs;
  }

  advanceBy(ms: number): void {
    if (!this.virtual) throw new Error('The virtual clock is off.');
    if (!Number.isFinite(ms) || ms < 0) throw new Error('Time only moves forward.');
    this.offsetMs += ms;
    for (const l of this.listeners) l();
  }

  /** Called whenever virtual time jumps, so that schedulers re-check what came due. */
  onJump(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function installVirtualDate(offset: () => number): void {
  class VirtualDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offset());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return RealDate.now() + offset();
    }
  }
  globalThis.Date = VirtualDate as DateConstructor;
}

/** ISO 8601 durations such as PT8H, P1DT2H30M, PT0.5S -> milliseconds. */
export function parseIsoDuration(text: string): number | undefined {
  const m =
    /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(
      text.trim(),
    );
  if (!m || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [, w, d, h, min, s] = m.map((v) => (v === undefined ? 0 : Number(v))) as number[];
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}
