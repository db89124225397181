// `npm run package`: the zip Azure Functions runs (run-from-package), from the current build.
//   .package/app/              host.json, package.json, dist/{functions,orchestrations,shared,portal},
//                              node_modules/ with the production dependencies only
//   .package/jit-access.zip    the same, zipped: what `azd deploy` or `az functionapp deploy` uploads
// No devhost, tests, scripts, settings files or keys go in: Azure reads settings from the app's
// configuration (infra/), and the devhost exists only because Core Tools cannot run here.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';

const root = path.resolve(__dirname, '..', '..');
const out = path.join(root, '.package');
const app = path.join(out, 'app');
// portal: the built web portal (vite), which functions/portal.ts serves.
const COMPILED = ['functions', 'orchestrations', 'shared', 'portal'];
// Type declarations, source maps and docs are for editors and people; Node never loads them.
const NOT_AT_RUN_TIME = /\.(d\.[cm]?ts|map|md|markdown)$/i;

function productionPackages(): string[] {
  // Every installed package the app needs at run time (nested copies included), as npm resolves them.
  const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return listed
    .split('\n')
    .map((line) => line.trim())
    .filter((p) => p !== '' && p !== root && p.startsWith(path.join(root, 'node_modules')));
}

function copyPackage(dir: string): void {
  const target = path.join(app, path.relative(root, dir));
  // A package's own files only: its nested node_modules are listed (and copied) on their own.
  fs.cpSync(dir, target, {
    recursive: true,
    filter: (src) =>
      !path.relative(dir, src).split(path.sep).includes('node_modules') && !NOT_AT_RUN_TIME.test(src),
  });
}

function filesUnder(
  dir: string,
  base = dir,
  acc: Record<string, Uint8Array> = {},
): Record<string, Uint8Array> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(full, base, acc);
    else if (entry.isFile()) acc[path.relative(base, full).split(path.sep).join('/')] = fs.readFileSync(full);
  }
  return acc;
}

function main(): void {
  if (!fs.existsSync(path.join(root, 'dist', 'functions', 'index.js'))) {
    throw new Error('No build: run `npm run build` first (npm run package does).');
  }
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(app, { recursive: true });
  fs.copyFileSync(path.join(root, 'host.json'), path.join(app, 'host.json'));
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const runtimePkg = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    main: pkg.main,
    type: pkg.type,
    engines: pkg.engines,
    dependencies: pkg.dependencies,
  };
  fs.writeFileSync(path.join(app, 'package.json'), `${JSON.stringify(runtimePkg, null, 2)}\n`);
  for (const dir of COMPILED) {
    fs.cpSync(path.join(root, 'dist', dir), path.join(app, 'dist', dir), { recursive: true });
  }
  const packages = productionPackages();
  for (const dir of packages) copyPackage(dir);
  const files = filesUnder(app);
  const zip = zipSync(files, { level: 6 });
  const zipPath = path.join(out, 'jit-access.zip');
  fs.writeFileSync(zipPath, zip);
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const raw = Object.values(files).reduce((s, f) => s + f.length, 0);
  console.log(
    `[package] ${path.relative(root, zipPath)}: ${Object.keys(files).length} files, ${packages.length} packages, ` +
      `${mb(raw)} MB unpacked, ${mb(zip.length)} MB zipped`,
  );
}

main();
