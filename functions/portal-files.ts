// The built portal's files (dist/portal, written by `vite build`). Hashed assets never change under
// their name, so they are read once and kept; index.html and the other files are read each time, so a
// build made while the host runs is served at once.
import fs from 'node:fs/promises';
import path from 'node:path';

export interface PortalFile {
  body: Buffer;
  contentType: string;
}

/** dist/functions/portal-files.js -> dist/portal */
const PORTAL_ROOT = path.resolve(__dirname, '..', 'portal');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const cache = new Map<string, Promise<PortalFile | undefined>>();

/** The file at `relative` under the portal's root, or undefined (also for anything outside it). */
export function readPortalFile(relative: string): Promise<PortalFile | undefined> {
  const full = path.resolve(PORTAL_ROOT, relative);
  if (!full.startsWith(PORTAL_ROOT + path.sep)) return Promise.resolve(undefined);
  const contentType = CONTENT_TYPES[path.extname(full).toLowerCase()];
  // Only the kinds of file a build emits: nothing else under the root is served.
  if (!contentType) return Promise.resolve(undefined);
  const read = () =>
    fs.readFile(full).then(
      (body) => ({ body, contentType }),
      () => undefined,
    );
  if (!relative.startsWith('assets/')) return read();
  let entry = cache.get(full);
  if (!entry) {
    entry = read();
    // A missing file is not remembered: a build made while the host runs shows up.
    entry.then((found) => {
      if (!found) cache.delete(full);
    });
    cache.set(full, entry);
  }
  return entry;
}
