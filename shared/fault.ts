// Fault injection for crash tests: the process kills itself (SIGKILL, as a crash or an OOM kill
// would) the first time it reaches an armed point, e.g. `outbox:afterCommit`. A point is armed at
// start with FAULT_INJECTION=<point>, or, where FAULT_INJECTION_ENABLED=true, by the test-only
// endpoint POST /api/test/faults (functions/test-hooks.ts), so that a test can set up its state
// first and arm the point just before the call it means to break. Unarmed (always, outside tests),
// a point costs a string compare.
let armed: string | undefined = process.env.FAULT_INJECTION || undefined;

export function faultPoint(point: string): void {
  if (armed !== point) return;
  console.error(`[fault] injected crash at ${point}`);
  process.kill(process.pid, 'SIGKILL');
}

/** Arms `point` (or disarms, with undefined). */
export function armFault(point: string | undefined): void {
  armed = point;
}

export function faultInjectionEnabled(): boolean {
  return /^(1|true)$/i.test(process.env.FAULT_INJECTION_ENABLED ?? '');
}
