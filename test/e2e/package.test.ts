// `npm run package` makes the zip Azure runs; unpacked, it starts on the devhost as the Functions
// host would start it (its own node_modules, no repo around it) and serves the seeds' first step.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { type DevhostProcess, readJson, repoRoot, startDevhost } from '../helpers/devhost';
import { ACTIONS } from '../helpers/seeds';

let unpacked: string;
let keyDir: string;
let entries: string[];
let host: DevhostProcess;

beforeAll(async () => {
  process.env.AzureWebJobsStorage = inject('storageConnectionString');
  execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'scripts', 'package.js')], { cwd: repoRoot });
  const zip = unzipSync(fs.readFileSync(path.join(repoRoot, '.package', 'jit-access.zip')));
  unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-package-'));
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-package-keys-'));
  entries = Object.keys(zip);
  for (const [name, data] of Object.entries(zip)) {
    if (name.endsWith('/')) continue;
    const file = path.join(unpacked, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
  }
  host = await startDevhost({
    appRoot: unpacked,
    quiet: true,
    env: {
      DEV_ISSUER_ENABLED: 'true',
      DEV_ISSUER_KEY_DIR: keyDir,
      DEMO_DATA: 'true',
      TABLE_PREFIX: 'Package',
      DEVHOST_TASK_HUB: 'PackageHub',
    },
  });
}, 120_000);

afterAll(async () => {
  await host?.stop();
  for (const dir of [unpacked, keyDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the deployment package', () => {
  it('holds the app and its production dependencies, and nothing local', () => {
    expect(entries).toContain('host.json');
    expect(entries).toContain('package.json');
    expect(entries).toContain('dist/functions/index.js');
    // The web portal, built by vite; its packages are bundled into it, not shipped.
    expect(entries).toContain('dist/portal/index.html');
    expect(entries.some((e) => /^dist\/portal\/assets\/index-[\w-]+\.js$/.test(e))).toBe(true);
    expect(entries.filter((e) => /^node_modules\/(react|react-dom|@fluentui|vite)\//.test(e))).toEqual([]);
    expect(entries).toContain('node_modules/durable-functions/package.json');
    expect(entries).toContain('node_modules/@azure/identity/package.json');
    const local = entries.filter((e) =>
      /^(dist\/(devhost|test|scripts)\/|node_modules\/(vitest|azurite|typescript|@biomejs)\/|local\.settings|\.devkeys|\.azurite)/.test(
        e,
      ),
    );
    expect(local).toEqual([]);
  });

  it('starts from the unpacked zip and serves an activation and the access check', async () => {
    const health = await fetch(`${host.baseUrl}/api/health`);
    expect(health.status).toBe(200);
    const portal = await fetch(`${host.baseUrl}/`);
    expect(portal.status).toBe(200);
    expect(await portal.text()).toContain('<div id="root">');
    const token = await mintDevToken('alex', { mfa: true, keyDir });
    const call = (url: string, body: unknown) =>
      fetch(`${host.baseUrl}${url}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const activation = await call('/api/v1.0/roleManagement/directory/roleAssignmentScheduleRequests', {
      action: 'selfActivate',
      principalId: DEMO_USERS.alex.id,
      roleDefinitionId: BuiltInRoleId.securityReader,
      directoryScopeId: '/',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
    });
    expect(activation.status).toBe(201);
    expect((await readJson(activation)).status).toBe('Provisioned');
    const check = await call('/api/v1.0/access/check', { action: ACTIONS.readSecurity, scope: '/' });
    expect((await readJson(check)).allowed).toBe(true);
  });
});
