// Audit figures (issue 8): BENCH_AUDIT_ROWS rows (default 1,000,000) over BENCH_AUDIT_DAYS days
// (default 365) written straight into the audit tables in entity-group batches per partition,
// then through the devhost: the first page of a one-day window and of one initiator (target
// <= 100 ms), a full CSV export (target >= 20,000 rows/s) and the host's peak memory meanwhile.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { DAY_MS } from '../../shared/audit/audit-keys';
import { AuditRepository, auditEntities } from '../../shared/audit/audit-repository';
import { AuditSealer } from '../../shared/audit/audit-seal';
import { type AuditTables, auditTables } from '../../shared/audit/audit-tables';
import { AuditVerifier } from '../../shared/audit/audit-verify';
import { auditEvent, type DirectoryAudit } from '../../shared/audit/directory-audit';
import { SealKey } from '../../shared/audit/seal-format';
import { SealStore } from '../../shared/audit/seal-store';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { type BenchHost, percentile, type Row, repoRoot, startBenchHost } from './bench-util';

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

const AUDITS = '/api/v1.0/auditLogs/directoryAudits';

// A small deterministic generator: the same rows for the same count, run after run.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());

/** Submits entity-group transactions of up to 100 rows per partition, `width` at a time. */
class BatchWriter {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly width: number) {}

  /** Writes `entities`, each to the table `tableOf` names (created first). */
  async write(tableOf: (e: Entity) => TableClient, entities: Entity[], tables: AuditTables): Promise<void> {
    const byPartition = new Map<string, { table: TableClient; list: Entity[] }>();
    for (const e of entities) {
      const table = tableOf(e);
      const key = `${table.tableName}\n${e.partitionKey}`;
      const group = byPartition.get(key) ?? { table, list: [] };
      group.list.push(e);
      byPartition.set(key, group);
    }
    for (const t of new Set([...byPartition.values()].map((g) => g.table))) await tables.ensure(t);
    for (const { table, list } of byPartition.values()) {
      for (let i = 0; i < list.length; i += 100) {
        const batch: TransactionAction[] = list.slice(i, i + 100).map((e) => ['upsert', e, 'Replace']);
        await this.run(() =>
          batch.length === 1 ? table.upsertEntity(list[i]!, 'Replace') : table.submitTransaction(batch),
        );
      }
    }
  }

  private async run(task: () => Promise<unknown>): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.active >= this.width) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.active++;
    const p: Promise<void> = task()
      .then(
        () => undefined,
        (err: unknown) => {
          this.failure ??= err;
        },
      )
      .finally(() => {
        this.active--;
        this.running.delete(p);
        this.waiters.shift()?.();
      });
    this.running.add(p);
  }

  async drain(): Promise<void> {
    await Promise.all([...this.running]);
    if (this.failure) throw this.failure;
  }
}

export async function generateAuditRows(
  total: number,
  days: number,
  endMs: number,
): Promise<{ initiators: string[]; firstDay: number }> {
  const tables = auditTables();
  const catalogOf = (e: Entity) => tables.catalogFor(e.partitionKey);
  const rnd = random(total);
  const users = ids(500);
  const roles = ids(30);
  const writer = new BatchWriter(12);
  const firstDay = Math.floor(endMs / DAY_MS) * DAY_MS - days * DAY_MS;
  const catalog = new Map<string, Entity>();
  let written = 0;
  for (let d = 0; d < days; d++) {
    const dayStart = firstDay + d * DAY_MS;
    const n = Math.floor(total / days) + (d < total % days ? 1 : 0);
    const records: Entity[] = [];
    const copies: Entity[] = [];
    let correlation = randomUUID();
    let day: string | undefined;
    for (let i = 0; i < n; i++) {
      if (i % 5 === 0) correlation = randomUUID(); // an activation's steps share one
      const at = dayStart + Math.floor(((i + rnd()) * DAY_MS) / n);
      const initiator = users[Math.floor(rnd() * users.length)]!;
      const principal = users[Math.floor(rnd() * users.length)]!;
      const event: DirectoryAudit = auditEvent({
        category: i % 7 === 0 ? 'GroupManagement' : 'RoleManagement',
        activityDisplayName: 'Add member to role in PIM completed (timebound)',
        operationType: 'Assign',
        initiatedBy: { user: { id: initiator, displayName: `User ${initiator.slice(0, 4)}` } },
        correlationId: correlation,
        targetResources: [
          { id: roles[Math.floor(rnd() * roles.length)]!, type: 'Role', displayName: 'Security Reader' },
          { id: principal, type: 'User', displayName: `User ${principal.slice(0, 4)}` },
        ],
        details: {
          Justification: 'Investigating incident INC-4411 for the SOC rotation',
          TicketNumber: `CHG-${1000 + (i % 9000)}`,
          TicketSystem: 'ServiceNow',
          RequestId: correlation,
        },
        at: new Date(at),
      });
      const plan = auditEntities(event, at + 500);
      day ??= plan.day;
      const { partitionKey: _pk, rowKey: _rk, ...columns } = plan.record;
      records.push(plan.record);
      for (const pk of plan.copyPartitions)
        copies.push({ ...columns, partitionKey: pk, rowKey: plan.rowKey });
      for (const e of plan.catalog) catalog.set(`${e.partitionKey}\n${e.rowKey}`, e);
    }
    if (day) {
      const today = day;
      await writer.write(() => tables.day(today), records, tables);
      await writer.write((e) => tables.indexFor(today, e.partitionKey), copies, tables);
    }
    written += n;
    // Correlation catalogs are one row each: write them as the days go; the rest at the end.
    const perDay = [...catalog.values()].filter((e) => e.partitionKey.startsWith('correlationDays:'));
    for (const e of perDay) catalog.delete(`${e.partitionKey}\n${e.rowKey}`);
    await writer.write(catalogOf, perDay, tables);
    if ((d + 1) % 30 === 0) process.stdout.write(`  audit bench: ${written} rows written\n`);
  }
  await writer.write(catalogOf, [...catalog.values()], tables);
  await writer.drain();
  return { initiators: users, firstDay };
}

/** CPU seconds a process has used (Linux /proc); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export async function auditBench(connectionString: string, azuritePid?: number): Promise<Row[]> {
  const total = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
  const days = Number(process.env.BENCH_AUDIT_DAYS ?? 365);
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-bench-keys-'));
  const prefix = `AuditBench${Date.now()}`;
  process.env.AzureWebJobsStorage = connectionString;
  process.env.TABLE_PREFIX = prefix;
  process.env.DEV_ISSUER_ENABLED = 'true';
  const endMs = Date.now() - DAY_MS;
  const started = performance.now();
  const { initiators, firstDay } = await generateAuditRows(total, days, endMs);
  const genSeconds = (performance.now() - started) / 1000;
  // The timer would have sealed every hour as it closed: seal the year at once, signed.
  const key = new SealKey(Buffer.alloc(32, 1));
  const repo = new AuditRepository();
  const seals = new SealStore(repo.tables.seals);
  const sealStarted = performance.now();
  const sealRun = await new AuditSealer(repo, seals, key).sealDue(new Date(), {
    maxPeriods: 24 * (days + 3),
  });
  const sealSeconds = (performance.now() - sealStarted) / 1000;

  const host: BenchHost = await startBenchHost({
    appRoot: repoRoot,
    env: {
      AzureWebJobsStorage: connectionString,
      DEV_ISSUER_ENABLED: 'true',
      DEV_ISSUER_KEY_DIR: keyDir,
      BOOTSTRAP_ADMIN_IDS: DEMO_USERS.megan.id,
      DEMO_DATA: 'false',
      TABLE_PREFIX: prefix,
      DEVHOST_TASK_HUB: `${prefix}Hub`,
      DEVHOST_QUIET: '1',
      AUDIT_SEAL_KEY: key.base64,
    },
  });
  try {
    const token = await mintDevToken('megan', { keyDir, minutes: 180 });
    const get = async (url: string): Promise<{ ms: number; count: number }> => {
      const t0 = performance.now();
      const res = await fetch(`${host.baseUrl}${url}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { value?: unknown[] };
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body)}`);
      return { ms, count: body.value?.length ?? 0 };
    };
    await get(`${AUDITS}?$top=1`); // sign-in and connections warm
    const rnd = random(7);
    const dayWindows: number[] = [];
    const initiatorPages: number[] = [];
    for (let i = 0; i < 30; i++) {
      const day = firstDay + Math.floor(rnd() * days) * DAY_MS;
      const filter = `activityDateTime ge ${new Date(day).toISOString()} and activityDateTime lt ${new Date(day + DAY_MS).toISOString()}`;
      const page = await get(`${AUDITS}?$top=100&$filter=${encodeURIComponent(filter)}`);
      if (page.count !== 100 && total / days >= 100)
        throw new Error(`one-day window gave ${page.count} rows`);
      dayWindows.push(page.ms);
      const who = initiators[Math.floor(rnd() * initiators.length)]!;
      const mine = await get(
        `${AUDITS}?$top=100&$filter=${encodeURIComponent(`initiatedBy/user/id eq '${who}'`)}`,
      );
      initiatorPages.push(mine.ms);
    }

    // Export everything as CSV, sampling the host's memory meanwhile.
    const stats = async (): Promise<number> => {
      try {
        const res = await fetch(`${host.baseUrl}/admin/devhost/stats`);
        return ((await res.json()) as { rssBytes: number }).rssBytes;
      } catch {
        return 0; // the host is gone (the export failed): the error below says why
      }
    };
    const baseline = await stats();
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await stats());
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const t0 = performance.now();
    const cpu0 = { host: cpuSeconds(host.pid), azurite: cpuSeconds(azuritePid) };
    let lines = 0;
    let bytes = 0;
    try {
      const res = await fetch(`${host.baseUrl}${AUDITS}/export?format=csv`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) throw new Error(`export: ${res.status} ${await res.text()}`);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        for (const b of chunk) if (b === 10) lines++;
      }
    } finally {
      sampling = false;
      await sampler;
    }
    const exportSeconds = (performance.now() - t0) / 1000;
    const cpu = (now: number | undefined, before: number | undefined) =>
      now !== undefined && before !== undefined ? now - before : undefined;
    const hostCpu = cpu(cpuSeconds(host.pid), cpu0.host);
    const azuriteCpu = cpu(cpuSeconds(azuritePid), cpu0.azurite);
    const exported = lines - 1; // the header
    if (exported < total) throw new Error(`export gave ${exported} rows, expected ${total}`);
    const verifyStarted = performance.now();
    const verification = await new AuditVerifier(repo, seals, key, new Date()).verify(
      new Date(firstDay),
      new Date(),
    );
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    if (!verification.verified) throw new Error(`verify: ${JSON.stringify(verification.firstBroken)}`);
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    return [
      {
        metric: `rows written (${days} day tables + indexes)`,
        value: `${total} in ${genSeconds.toFixed(0)} s`,
        target: '-',
      },
      {
        metric: `sealing (${sealRun.sealed} hours, signed, with blocks)`,
        value: `${Math.round(total / sealSeconds)} rows/s`,
        target: '-',
      },
      {
        metric: `verify (${verification.periods.verified} hours, in process)`,
        value: `${Math.round(verification.rows / verifySeconds)} rows/s`,
        target: '-',
      },
      {
        metric: 'first page, one-day window ($top=100) p50',
        value: fmt(percentile(dayWindows, 50)),
        target: '<= 100 ms',
      },
      { metric: 'first page, one-day window p95', value: fmt(percentile(dayWindows, 95)), target: '-' },
      {
        metric: 'first page, one initiator ($top=100) p50',
        value: fmt(percentile(initiatorPages, 50)),
        target: '<= 100 ms',
      },
      { metric: 'first page, one initiator p95', value: fmt(percentile(initiatorPages, 95)), target: '-' },
      {
        metric: `CSV export (${exported} rows, ${mb(bytes)})`,
        value: `${Math.round(exported / exportSeconds)} rows/s`,
        target: '>= 20000 rows/s',
      },
      ...(hostCpu !== undefined && azuriteCpu !== undefined
        ? [
            {
              metric: 'export CPU: host / Azurite',
              value: `${hostCpu.toFixed(1)} s / ${azuriteCpu.toFixed(1)} s`,
              target: '-',
            },
            {
              metric: 'export rows per host CPU second (the app alone)',
              value: `${Math.round(exported / Math.max(hostCpu, 0.01))}`,
              target: '-',
            },
          ]
        : []),
      { metric: 'host memory (RSS) before export', value: mb(baseline), target: '-' },
      { metric: 'host memory (RSS) peak during export', value: mb(peak), target: 'flat' },
    ];
  } finally {
    await host.stop();
    fs.rmSync(keyDir, { recursive: true, force: true });
  }
}
