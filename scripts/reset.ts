// `npm run reset` (or `npm start -- --fresh`): forget the local service's data, so the README's
// walkthrough starts again from the demo data. It removes the Azurite data `npm start` keeps in
// .azurite/; settings (local.settings.json) and the dev issuer's keys (.devkeys/) stay.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const AZURITE_TABLE_PORT = 10002;

/** Whether something answers on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Removes `root`/.azurite; refuses while an Azurite answers on the table port (it would keep the data). */
export async function resetLocalState(root: string, tablePort = AZURITE_TABLE_PORT): Promise<string[]> {
  if (await listening(tablePort)) {
    throw new Error(
      `an Azurite still listens on 127.0.0.1:${tablePort}: stop \`npm start\` (Ctrl-C) first, then reset`,
    );
  }
  const removed: string[] = [];
  for (const dir of ['.azurite']) {
    const full = path.join(root, dir);
    if (fs.existsSync(full)) {
      fs.rmSync(full, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  resetLocalState(root)
    .then((removed) =>
      console.log(
        removed.length > 0
          ? `[reset] removed ${removed.join(', ')}: the next \`npm start\` begins with the demo data`
          : '[reset] nothing to remove',
      ),
    )
    .catch((err: Error) => {
      console.error(`[reset] ${err.message}`);
      process.exit(1);
    });
}
