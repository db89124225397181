#!/usr/bin/env node
// Usage: node dist/devhost/cli.js [--app-root DIR] [--entry FILE] [--port 7071] [--quiet]
//        [--no-local-settings]   (ignore the app root's local.settings.json: tests bring their own settings)
import path from 'node:path';
import { startHost } from './host';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const appRoot = path.resolve(arg('app-root') ?? process.cwd());
  const entry = arg('entry');
  const port = Number(arg('port') ?? process.env.DEVHOST_PORT ?? 7071);
  const quiet = process.argv.includes('--quiet') || /^(1|true)$/i.test(process.env.DEVHOST_QUIET ?? '');
  const localSettings = !process.argv.includes('--no-local-settings');
  const host = await startHost({ appRoot, entry: entry && path.resolve(entry), port, quiet, localSettings });
  // A machine-readable line that tests and scripts wait for.
  console.log(`DEVHOST_READY port=${host.port}`);
  const shutdown = () => {
    void host.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error('[devhost] failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
