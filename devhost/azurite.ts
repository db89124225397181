// Starts Azurite from the `azurite` npm package on 127.0.0.1 (telemetry off, API version check off)
// and gives back a connection string for it. Used by `npm start` and by the test setup.
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

export interface AzuriteHandle {
  connectionString: string;
  tablePort: number;
  process: ChildProcess;
  /** Requests Azurite has answered (from its access log; counted only with `countRequests`). */
  requests(): number;
  stop(): Promise<void>;
}

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function connectionStringFor(ports: { blob: number; queue: number; table: number }): string {
  const base = 'http://127.0.0.1';
  return (
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};` +
    `BlobEndpoint=${base}:${ports.blob}/${ACCOUNT};QueueEndpoint=${base}:${ports.queue}/${ACCOUNT};` +
    `TableEndpoint=${base}:${ports.table}/${ACCOUNT};`
  );
}

export async function startAzurite(options: {
  /** Folder for data; in-memory when absent. */
  location?: string;
  ports?: { blob: number; queue: number; table: number };
  silent?: boolean;
  /** Count every request Azurite answers, from its own access log (benchmarks). */
  countRequests?: boolean;
}): Promise<AzuriteHandle> {
  const ports = options.ports ?? { blob: await freePort(), queue: await freePort(), table: await freePort() };
  const args = [
    require.resolve('azurite/dist/src/azurite.js'),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(ports.blob),
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    String(ports.queue),
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(ports.table),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
  ];
  if (options.location) args.push('--location', options.location);
  else args.push('--inMemoryPersistence');
  if (options.silent !== false && !options.countRequests) args.push('--silent');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let requests = 0;
  let partial = '';
  const ACCESS_LINE = /"(GET|POST|PUT|PATCH|MERGE|DELETE|HEAD|OPTIONS) \S+ HTTP\/1\.1" \d{3}/;
  child.stdout?.on('data', (d) => {
    if (options.countRequests) {
      // One access-log line per request (a batch is one request, as on Azure).
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (ACCESS_LINE.test(line)) requests++;
      if (output.length < 10_000) output += d;
      return;
    }
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const deadline = Date.now() + 30_000;
  while (!(await portOpen(ports.table))) {
    if (child.exitCode !== null) throw new Error(`Azurite exited: ${output}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`Azurite did not start in 30 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    connectionString: connectionStringFor(ports),
    tablePort: ports.table,
    process: child,
    requests: () => requests,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
