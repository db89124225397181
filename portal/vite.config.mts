// The portal's build: portal/ -> dist/portal, served by functions/portal.ts (and packaged with the
// app by `npm run package`). `npx vite --config portal/vite.config.mts` serves it with hot reload,
// passing /api to a devhost on :7071.
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: path.resolve(root, '..', 'dist', 'portal'),
    emptyOutDir: true,
    // Big enough for React + Fluent UI in one chunk; MSAL is split off and loaded only to sign in.
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy: { '/api': 'http://localhost:7071' } },
});
