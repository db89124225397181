// `npm start`: local.settings.json on first run, Azurite in .azurite/ (unless AzureWebJobsStorage
// names another account), then the devhost on http://localhost:7071. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type AzuriteHandle, startAzurite } from '../devhost/azurite';
import { applyLocalSettings } from '../devhost/settings';
import { listening, resetLocalState } from './reset';

const root = path.resolve(__dirname, '..', '..');

function ensureLocalSettings(): void {
  const target = path.join(root, 'local.settings.json');
  if (!fs.existsSync(target)) {
    fs.copyFileSync(path.join(root, 'local.settings.example.json'), target);
    console.log('[start] created local.settings.json from local.settings.example.json');
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--fresh')) {
    const removed = await resetLocalState(root);
    console.log(
      `[start] --fresh: ${removed.length > 0 ? `removed ${removed.join(', ')}` : 'no local data yet'}`,
    );
  }
  ensureLocalSettings();
  applyLocalSettings(root);
  let azurite: AzuriteHandle | undefined;
  const storage = process.env.AzureWebJobsStorage ?? 'UseDevelopmentStorage=true';
  if (storage.trim() === 'UseDevelopmentStorage=true') {
    if (await listening(10002)) {
      console.log('[start] an Azurite already listens on 127.0.0.1:10002; using it');
    } else {
      const location = path.join(root, '.azurite');
      fs.mkdirSync(location, { recursive: true });
      azurite = await startAzurite({ location, ports: { blob: 10000, queue: 10001, table: 10002 } });
      console.log(`[start] Azurite started (data in ${location})`);
    }
    process.env.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
  }

  const host = spawn(process.execPath, [path.join(root, 'dist', 'devhost', 'cli.js'), '--app-root', root], {
    stdio: 'inherit',
    env: process.env,
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (host.exitCode === null) host.kill('SIGTERM');
    await azurite?.stop();
    process.exit(code);
  };
  host.on('exit', (code) => void stop(code ?? 0));
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
}

main().catch((err) => {
  console.error('[start] failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
