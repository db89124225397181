// Durable engine figures: start-to-completion latency of a 3-activity orchestration at 1 and 20
// concurrent instances, table operations per orchestration, idle CPU and memory with 10,000
// pending durable timers.
import fs from 'node:fs';
import { type BenchHost, percentile, type Row } from './bench-util';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers of the devhost
const body = async (res: Response): Promise<any> => res.json();

/** Start-and-wait (the Durable API's createAndWait): no status polling load on the store. */
async function runOne(base: string, id: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/runtime/webhooks/durabletask/orchestrators/sequence/${id}?timeout=60`, {
    method: 'POST',
  });
  const s = (await body(res)).runtimeStatus;
  if (res.status !== 200 || s !== 'Completed') throw new Error(`${id} answered ${res.status} ${s}`);
  return performance.now() - t0;
}

async function latency(base: string, total: number, concurrency: number): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      out.push(await runOne(base, `bench-${concurrency}-${i}-${Date.now()}`));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

async function stats(
  base: string,
): Promise<{ tableOperations: number; scheduledDueItems: number; rssBytes: number }> {
  return body(await fetch(`${base}/admin/devhost/stats`));
}

function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

export async function durableBench(start: () => Promise<BenchHost>, timerCount: number): Promise<Row[]> {
  const rows: Row[] = [];
  let host = await start();
  const base = host.baseUrl;
  await latency(base, 5, 1); // warm-up
  const before = (await stats(base)).tableOperations;
  const one = await latency(base, 40, 1);
  const opsPer = ((await stats(base)).tableOperations - before) / 40;
  const twenty = await latency(base, 200, 20);
  rows.push({
    metric: '3-activity orchestration, 1 at a time: p50 / p99',
    value: `${percentile(one, 50).toFixed(1)} / ${percentile(one, 99).toFixed(1)} ms`,
    target: '',
  });
  rows.push({
    metric: '3-activity orchestration, 20 concurrent: p50 / p99',
    value: `${percentile(twenty, 50).toFixed(1)} / ${percentile(twenty, 99).toFixed(1)} ms`,
    target: '',
  });
  rows.push({
    metric: 'table operations per 3-activity orchestration',
    value: opsPer.toFixed(1),
    target: '',
  });

  // 10,000 instances each waiting on a 30-day timer.
  let started = 0;
  const startTimers = async () => {
    while (started < timerCount) {
      const i = started++;
      const res = await fetch(
        `${base}/runtime/webhooks/durabletask/orchestrators/manyTimers/timer-${i}-${Date.now()}`,
        { method: 'POST' },
      );
      if (res.status !== 202) throw new Error(`timer start answered ${res.status}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 32 }, startTimers));
  for (;;) {
    const s = await stats(base);
    if (s.scheduledDueItems >= timerCount) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  rows.push({
    metric: `time to start ${timerCount} timer orchestrations`,
    value: `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    target: '',
  });
  const measureIdle = async (label: string) => {
    const ticks0 = cpuTicks(host.pid);
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, 5000));
    const cpu = ((cpuTicks(host.pid) - ticks0) / 100 / ((performance.now() - w0) / 1000)) * 100;
    const rss = (await stats(host.baseUrl)).rssBytes / 1024 / 1024;
    rows.push({
      metric: `idle CPU with ${timerCount} pending timers (${label})`,
      value: `${cpu.toFixed(2)} %`,
      target: '',
    });
    rows.push({
      metric: `RSS with ${timerCount} pending timers (${label})`,
      value: `${rss.toFixed(0)} MiB`,
      target: '',
    });
  };
  await measureIdle('after starting them');
  await host.stop();
  const r0 = performance.now();
  host = await start();
  for (;;) {
    const s = await stats(host.baseUrl);
    if (s.scheduledDueItems >= timerCount) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  rows.push({
    metric: `restart: reload ${timerCount} pending timers from storage`,
    value: `${((performance.now() - r0) / 1000).toFixed(1)} s`,
    target: '',
  });
  await measureIdle('after a restart');
  await host.stop();
  return rows;
}
