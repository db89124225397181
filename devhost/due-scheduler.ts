// Runs callbacks when their due time (on the host clock) has come. One Node timer for the
// earliest entry only, re-armed when entries change or virtual time jumps; never one setTimeout
// per entry and never a delay over Node's 2^31-1 ms limit. 10,000 entries cost a heap, not timers.
import type { HostClock } from './clock';

interface Entry {
  key: string;
  due: number;
  run: () => void;
}

const MAX_SLEEP_MS = 60_000;

export class DueScheduler {
  private heap: Entry[] = [];
  private readonly live = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly clock: HostClock) {
    this.unsubscribe = clock.onJump(() => this.fireDue());
  }

  get size(): number {
    return this.live.size;
  }

  /** Schedules (or reschedules) `key`. */
  schedule(key: string, due: number, run: () => void): void {
    const entry = { key, due, run };
    this.live.set(key, entry);
    this.push(entry);
    if (due < this.armedFor) this.arm();
  }

  cancel(key: string): void {
    this.live.delete(key);
  }

  nextDue(): number | undefined {
    this.dropDead();
    return this.heap[0]?.due;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
  }

  private fireDue(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    for (;;) {
      this.dropDead();
      const top = this.heap[0];
      if (!top || top.due > now) break;
      this.pop();
      this.live.delete(top.key);
      try {
        top.run();
      } catch (err) {
        console.error('[devhost] scheduled callback failed', err);
      }
    }
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const due = this.nextDue();
    if (due === undefined) return;
    const delay = Math.max(0, Math.min(MAX_SLEEP_MS, due - this.clock.now()));
    this.armedFor = due;
    this.timer = setTimeout(() => this.fireDue(), delay);
    this.timer.unref();
  }

  private dropDead(): void {
    while (this.heap.length > 0 && this.live.get(this.heap[0].key) !== this.heap[0]) this.pop();
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].due <= h[i].due) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].due < h[m].due) m = l;
        if (r < h.length && h[r].due < h[m].due) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}
