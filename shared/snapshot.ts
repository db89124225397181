// A value read from storage and trusted for a few seconds: admin-sized lists that every activation
// consults (grant connectors, notification subscriptions) and that change rarely. A change made by
// this process is seen at once (`forget`); one made by another instance within `ttlMs`.
export class Snapshot<T> {
  private value: Promise<T> | undefined;
  private at = 0;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs = 5_000,
  ) {}

  get(): Promise<T> {
    if (this.value && performance.now() - this.at < this.ttlMs) return this.value;
    const value = this.load();
    this.value = value;
    this.at = performance.now();
    value.catch(() => {
      if (this.value === value) this.value = undefined;
    });
    return value;
  }

  forget(): void {
    this.value = undefined;
  }
}
