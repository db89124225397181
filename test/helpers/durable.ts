// Helpers for tests that drive the durable fixture app through a devhost.
import path from 'node:path';
import { type DevhostProcess, eventually, readJson, repoRoot, startDevhost } from './devhost';

export const durableAppRoot = path.join(repoRoot, 'test', 'fixtures', 'durable-app');
export const durableEntry = path.join(repoRoot, 'dist', 'test', 'fixtures', 'durable-app', 'index.js');

/** `taskHub` keeps test files that run in parallel from picking up each other's work. */
export function startDurableHost(
  env: Record<string, string> = {},
  taskHub = 'DurableSample',
): Promise<DevhostProcess> {
  return startDevhost({
    appRoot: durableAppRoot,
    entry: durableEntry,
    quiet: true,
    env: { DEVHOST_VIRTUAL_CLOCK: 'true', DEVHOST_TASK_HUB: taskHub, ...env },
  });
}

const TERMINAL = ['Completed', 'Failed', 'Terminated'];

export interface InstanceStatus {
  instanceId: string;
  runtimeStatus: string;
  // biome-ignore lint/suspicious/noExplicitAny: orchestration outputs vary by test
  output: any;
  // biome-ignore lint/suspicious/noExplicitAny: custom status varies by test
  customStatus: any;
  // biome-ignore lint/suspicious/noExplicitAny: history events are DTFx objects
  historyEvents?: any[];
}

export async function getStatus(
  baseUrl: string,
  id: string,
  history = false,
): Promise<InstanceStatus | undefined> {
  const res = await fetch(
    `${baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}${history ? '?showHistory=true&showHistoryOutput=true' : ''}`,
  );
  if (res.status === 404) return undefined;
  return readJson(res);
}

export function waitFor(
  baseUrl: string,
  id: string,
  done: (s: InstanceStatus) => boolean = (s) => TERMINAL.includes(s.runtimeStatus),
  timeoutMs = 15_000,
): Promise<InstanceStatus> {
  return eventually(async () => {
    const s = await getStatus(baseUrl, id);
    return s && done(s) ? s : undefined;
  }, timeoutMs);
}

export async function start(baseUrl: string, name: string, id?: string, input?: unknown): Promise<string> {
  const res = await fetch(`${baseUrl}/api/start/${name}${id ? `/${encodeURIComponent(id)}` : ''}`, {
    method: 'POST',
    body: input === undefined ? undefined : JSON.stringify(input),
  });
  if (res.status !== 202) throw new Error(`start ${name} answered ${res.status}: ${await res.text()}`);
  return (await readJson(res)).id;
}

export async function advance(baseUrl: string, by: string): Promise<void> {
  const res = await fetch(`${baseUrl}/admin/devhost/clock`, {
    method: 'POST',
    body: JSON.stringify({ advanceBy: by }),
  });
  if (res.status !== 200) throw new Error(`clock answered ${res.status}`);
}

export async function raise(baseUrl: string, id: string, name: string, data: unknown): Promise<number> {
  const res = await fetch(`${baseUrl}/api/raise/${encodeURIComponent(id)}/${name}`, {
    method: 'POST',
    body: JSON.stringify(data),
  });
  return res.status;
}

// biome-ignore lint/suspicious/noExplicitAny: DTFx history events
export function countEvents(history: any[] | undefined, type: string, name?: string): number {
  return (history ?? []).filter((e) => e.EventType === type && (name === undefined || e.Name === name))
    .length;
}
