// `npm run bench`: starts its own in-memory Azurite, runs each benchmark against a devhost, prints tables.
// BENCH_TIMERS sets how many pending timers the idle measurement uses (default 10000);
// BENCH_AUDIT_ROWS / BENCH_AUDIT_DAYS the audit log's size (default 1000000 rows over 365 days);
// BENCH_ONLY=durable|activation|audit|alerts runs one of them.
import path from 'node:path';
import { startAzurite } from '../../devhost/azurite';
import { activationBench } from './activation-bench';
import { alertsBench } from './alerts-bench';
import { auditBench } from './audit-bench';
import { printTable, repoRoot, startBenchHost } from './bench-util';
import { durableBench } from './durable-bench';

async function main(): Promise<void> {
  const azurite = await startAzurite({ countRequests: true });
  try {
    const env = { AzureWebJobsStorage: azurite.connectionString, DEVHOST_VIRTUAL_CLOCK: 'true' };
    const fixture = path.join(repoRoot, 'test', 'fixtures', 'durable-app');
    const entry = path.join(repoRoot, 'dist', 'test', 'fixtures', 'durable-app', 'index.js');
    const only = process.env.BENCH_ONLY;
    if (only === 'activation') {
      printTable('Activation (devhost, Azurite in memory)', await activationBench(azurite));
      return;
    }
    if (only === 'alerts') {
      printTable(
        'PIM alerts evaluation (in process, Azurite in memory)',
        await alertsBench(azurite.connectionString),
      );
      return;
    }
    if (only === 'audit') {
      printTable(
        'Audit trail (devhost, Azurite in memory)',
        await auditBench(azurite.connectionString, azurite.process.pid),
      );
      return;
    }
    const rows = await durableBench(
      () => startBenchHost({ appRoot: fixture, entry, env }),
      Number(process.env.BENCH_TIMERS ?? 10_000),
    );
    printTable('Durable engine (devhost, Azurite in memory)', rows);
    if (only === 'durable') return;
    printTable('Activation (devhost, Azurite in memory)', await activationBench(azurite));
    printTable(
      'Audit trail (devhost, Azurite in memory)',
      await auditBench(azurite.connectionString, azurite.process.pid),
    );
    printTable(
      'PIM alerts evaluation (in process, Azurite in memory)',
      await alertsBench(azurite.connectionString),
    );
  } finally {
    await azurite.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
