// Shared bits of `npm run bench`: an Azurite and devhost of its own, percentiles, a printed table.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export interface Row {
  metric: string;
  value: string;
  target: string;
}

export interface BenchHost {
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export async function startBenchHost(options: {
  appRoot: string;
  entry?: string;
  env: Record<string, string>;
}): Promise<BenchHost> {
  // BENCH_HOST_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the host under load.
  const nodeArgs = (process.env.BENCH_HOST_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [
    ...nodeArgs,
    path.join(repoRoot, 'dist', 'devhost', 'cli.js'),
    '--app-root',
    options.appRoot,
    '--port',
    '0',
    '--quiet',
    '--no-local-settings',
  ];
  if (options.entry) args.push('--entry', options.entry);
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 60_000;
  while (!/DEVHOST_READY port=(\d+)/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`devhost did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const port = Number(/DEVHOST_READY port=(\d+)/.exec(out)?.[1]);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function printTable(title: string, rows: Row[]): void {
  const w1 = Math.max(6, ...rows.map((r) => r.metric.length));
  const w2 = Math.max(5, ...rows.map((r) => r.value.length));
  const w3 = Math.max(6, ...rows.map((r) => r.target.length));
  console.log(`\n${title}`);
  console.log(`| ${'metric'.padEnd(w1)} | ${'value'.padEnd(w2)} | ${'target'.padEnd(w3)} |`);
  console.log(`|${'-'.repeat(w1 + 2)}|${'-'.repeat(w2 + 2)}|${'-'.repeat(w3 + 2)}|`);
  for (const r of rows)
    console.log(`| ${r.metric.padEnd(w1)} | ${r.value.padEnd(w2)} | ${r.target.padEnd(w3)} |`);
}
