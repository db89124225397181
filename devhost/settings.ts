// Reads what Core Tools reads: host.json (route prefix, durable hub name) and the `Values` of
// local.settings.json, which become environment variables unless the environment already has them.
import fs from 'node:fs';
import path from 'node:path';

export interface HostJson {
  routePrefix: string;
  hubName: string;
}

export function readHostJson(appRoot: string): HostJson {
  const file = path.join(appRoot, 'host.json');
  const parsed = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const prefix = parsed?.extensions?.http?.routePrefix;
  return {
    routePrefix: typeof prefix === 'string' ? prefix : 'api',
    // DEVHOST_TASK_HUB lets several local hosts share one storage account without sharing work.
    hubName:
      process.env.DEVHOST_TASK_HUB || String(parsed?.extensions?.durableTask?.hubName ?? 'TestHubName'),
  };
}

export function applyLocalSettings(appRoot: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const file = path.join(appRoot, 'local.settings.json');
  if (!fs.existsSync(file)) return [];
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  const applied: string[] = [];
  for (const [key, value] of Object.entries(parsed?.Values ?? {})) {
    if (env[key] === undefined) {
      env[key] = String(value);
      applied.push(key);
    }
  }
  return applied;
}

/** The app's entry file: package.json `main`, relative to the app root. */
export function resolveAppEntry(appRoot: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(appRoot, 'package.json'), 'utf8'));
  if (!pkg.main) throw new Error('package.json has no "main" pointing at the compiled functions.');
  return path.resolve(appRoot, pkg.main);
}
