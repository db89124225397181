// `npm run reset` forgets the local data so the walkthrough can run again, and refuses while the
// Azurite that holds it still runs (it would keep serving, and rewrite, what it has in memory).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resetLocalState } from '../../scripts/reset';

function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-reset-'));
  fs.mkdirSync(path.join(root, '.azurite'));
  fs.writeFileSync(path.join(root, '.azurite', '__azurite_db_table__.json'), '{}');
  fs.writeFileSync(path.join(root, 'local.settings.json'), '{}');
  return root;
}

async function listener(): Promise<net.Server> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('npm run reset', () => {
  it('removes the local Azurite data and keeps the settings', async () => {
    const root = tempRoot();
    const free = await listener();
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    expect(await resetLocalState(root, port)).toEqual(['.azurite']);
    expect(fs.existsSync(path.join(root, '.azurite'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'local.settings.json'))).toBe(true);
    expect(await resetLocalState(root, port)).toEqual([]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('refuses while Azurite still runs, and removes nothing', async () => {
    const root = tempRoot();
    const running = await listener();
    try {
      await expect(resetLocalState(root, (running.address() as net.AddressInfo).port)).rejects.toThrow(
        /stop `npm start`/,
      );
      expect(fs.existsSync(path.join(root, '.azurite', '__azurite_db_table__.json'))).toBe(true);
    } finally {
      await new Promise((r) => running.close(r));
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
