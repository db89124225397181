// Fault injection for crash tests: with FAULT_INJECTION=<point> the process kills itself (SIGKILL,
// as a crash or an OOM kill would) the first time it reaches that point, e.g.
// `outbox:afterCommit`. Tests start a host with it, make the call, restart the host without it and
// check that nothing was lost. Unset (always, outside tests), the points cost a string compare.
export function faultPoint(point: string): void {
  if (process.env.FAULT_INJECTION !== point) return;
  console.error(`[fault] injected crash at ${point}`);
  process.kill(process.pid, 'SIGKILL');
}
