// The local Functions host: provides `@azure/functions-core`, loads the app, serves its HTTP
// triggers, runs its timer triggers (and, with the durable engine, its orchestrations), all on one
// host clock that can be virtual. Generic: it knows nothing of the app it runs.
import { HostClock, parseIsoDuration } from './clock';
import { ClockStore } from './clock-store';
import { DueScheduler } from './due-scheduler';
import { DurableEngine } from './durable/engine';
import { clientInputData, managementEndpoint } from './durable/management-api';
import { errorText, FunctionsHttpServer, json, type RawRequest, type RawResponse } from './http-server';
import { installCoreApi } from './install-core-api';
import { Invoker } from './invoke';
import { Registry } from './registry';
import { applyLocalSettings, readHostJson, resolveAppEntry } from './settings';
import { TimerTriggers } from './timer-triggers';

export interface HostOptions {
  appRoot: string;
  /** Entry file; defaults to package.json `main` under appRoot. */
  entry?: string;
  port: number;
  quiet?: boolean;
  /** Read the app root's local.settings.json into the environment (default), as Core Tools does. */
  localSettings?: boolean;
}

export interface RunningHost {
  port: number;
  clock: HostClock;
  registry: Registry;
  durable?: DurableEngine;
  stop(): Promise<void>;
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  if (options.localSettings !== false) applyLocalSettings(options.appRoot);
  const hostJson = readHostJson(options.appRoot);
  const log = (line: string) => {
    if (!options.quiet) console.log(line);
  };
  const clock = new HostClock(/^(1|true|yes)$/i.test(process.env.DEVHOST_VIRTUAL_CLOCK ?? ''));
  const clockStore = clock.virtual ? new ClockStore(storageConnectionString(), hostJson.hubName) : undefined;
  if (clockStore) await resumeVirtualTime(clock, clockStore, log);
  const registry = new Registry();
  installCoreApi(registry, (level, category, message) => {
    if (level === 'error' || level === 'critical') console.error(`[${category}] ${message}`);
    else if (level !== 'debug' && level !== 'trace') log(`[${category}] ${message}`);
  });

  const entry = options.entry ?? resolveAppEntry(options.appRoot);
  require(entry);
  if (registry.functions.size === 0) throw new Error(`The app at ${entry} registered no functions.`);
  // As the worker does after loading: ask for the library's capabilities (this also locks app.setup).
  const capabilities = (await registry.programmingModel?.getCapabilities?.({})) ?? {};
  const streamUri = capabilities.HttpUri || undefined;
  // As the worker does once the app is loaded: `app.hook.appStart` handlers run before any trigger.
  for (const hook of registry.hooks.get('appStart') ?? []) {
    await hook({ hookData: {}, appHookData: {}, functionAppDirectory: options.appRoot });
  }

  const invoker = new Invoker(registry, (level, fn, message) => {
    if (level === 'error' || level === 'critical') console.error(`[${fn}] ${message}`);
    else if (level !== 'debug' && level !== 'trace') log(`[${fn}] ${message}`);
  });
  const scheduler = new DueScheduler(clock);
  const server = new FunctionsHttpServer(registry, invoker, {
    routePrefix: hostJson.routePrefix,
    log,
    streamUri,
  });
  server.addEndpoint((req) => clockEndpoint(req, clock, clockStore));

  let origin = '';
  const durable = usesDurable(registry)
    ? new DurableEngine({
        hubName: hostJson.hubName,
        connectionString: storageConnectionString(),
        clock,
        scheduler,
        invoker,
        registry,
        log,
        maxConcurrentOrchestrations: Number(process.env.DEVHOST_MAX_CONCURRENT_ORCHESTRATIONS ?? 10),
        maxConcurrentActivities: Number(process.env.DEVHOST_MAX_CONCURRENT_ACTIVITIES ?? 10),
        fault: process.env.DEVHOST_DURABLE_FAULT || undefined,
      })
    : undefined;
  // Resolves once no orchestration episode or activity runs or waits (benchmarks, tests).
  server.addEndpoint(async (req) => {
    if (req.url.pathname !== '/admin/devhost/idle' || req.method !== 'GET') return undefined;
    await durable?.whenIdle();
    return { status: 200, body: json({ idle: true }) };
  });
  server.addEndpoint(async (req) =>
    req.url.pathname === '/admin/devhost/stats' && req.method === 'GET'
      ? {
          status: 200,
          body: json({
            tableOperations: durable?.store.operations ?? 0,
            scheduledDueItems: scheduler.size,
            rssBytes: process.memoryUsage().rss,
          }),
        }
      : undefined,
  );
  if (durable) {
    invoker.provideInput('durableClient', () => ({
      string: JSON.stringify(clientInputData(origin, hostJson.hubName)),
    }));
    server.addEndpoint(managementEndpoint(durable, hostJson.hubName));
    // Storage may be down at start: HTTP triggers are served anyway (health then says 503) and the
    // engine keeps trying in the background, as the Functions host does.
    const engine = durable;
    const startEngine = (): void => {
      engine.start().catch((err) => {
        log(`[durable] storage not reachable (${err instanceof Error ? err.message : err}); retrying in 5 s`);
        setTimeout(startEngine, 5000).unref();
      });
    };
    startEngine();
  }

  const port = await server.listen(options.port);
  origin = `http://127.0.0.1:${port}`;
  new TimerTriggers(registry, invoker, scheduler, clock, log).start();
  log(`[devhost] ${registry.functions.size} functions loaded; listening on http://127.0.0.1:${port}`);

  return {
    port,
    clock,
    registry,
    durable,
    async stop() {
      durable?.stop();
      scheduler.stop();
      await server.close();
    },
  };
}

/**
 * A restarted host goes on at the virtual time it had reached (saved with the task hub's state);
 * DEVHOST_CLOCK_OFFSET starts it that much further ahead (so that timers due "while down" fire at
 * once). Virtual time never goes back.
 */
async function resumeVirtualTime(
  clock: HostClock,
  store: ClockStore,
  log: (line: string) => void,
): Promise<void> {
  let saved = 0;
  try {
    saved = await store.load();
  } catch (err) {
    log(`[devhost] could not read the saved virtual time (${errorText(err).split('\n')[0]}); starting at 0`);
  }
  const requested = parseIsoDuration(process.env.DEVHOST_CLOCK_OFFSET ?? '') ?? 0;
  const offset = saved + requested;
  if (offset > 0) clock.advanceBy(offset);
  if (requested > 0) await store.save(offset).catch(() => undefined);
}

/** `GET|POST /admin/devhost/clock`: read or move the virtual clock. Absent unless it is on. */
async function clockEndpoint(
  req: RawRequest,
  clock: HostClock,
  store: ClockStore | undefined,
): Promise<RawResponse | undefined> {
  if (req.url.pathname !== '/admin/devhost/clock' || !clock.virtual) return undefined;
  if (req.method === 'POST') {
    let ms: number | undefined;
    try {
      const body = JSON.parse(req.body.toString('utf8') || '{}');
      if (typeof body.advanceBy === 'string') ms = parseIsoDuration(body.advanceBy);
      else if (typeof body.advanceTo === 'string') ms = Date.parse(body.advanceTo) - clock.now();
    } catch (err) {
      return {
        status: 400,
        body: json({ error: { code: 'BadRequest', message: errorText(err).split('\n')[0] } }),
      };
    }
    if (ms === undefined || Number.isNaN(ms) || ms < 0) {
      return {
        status: 400,
        body: json({
          error: {
            code: 'BadRequest',
            message: 'Give {"advanceBy":"PT8H"} or a future {"advanceTo":"<ISO time>"}.',
          },
        }),
      };
    }
    // Saved first: a host killed by what the jump sets off (a timer's work) resumes at this time.
    await store?.save(clock.offset + ms);
    clock.advanceBy(ms);
  } else if (req.method !== 'GET') {
    return { status: 405, headers: { allow: 'GET, POST' } };
  }
  return { status: 200, body: json({ now: new Date(clock.now()).toISOString(), virtual: true }) };
}

function usesDurable(registry: Registry): boolean {
  return [...registry.functions.values()].some((f) =>
    Object.values(f.metadata.bindings).some((b) =>
      [
        'orchestrationtrigger',
        'activitytrigger',
        'entitytrigger',
        'durableclient',
        'orchestrationclient',
      ].includes(b.type.toLowerCase()),
    ),
  );
}

const DEVELOPMENT_STORAGE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

/** The durable store lives where the Functions host keeps it: the AzureWebJobsStorage account. */
function storageConnectionString(): string {
  const value = process.env.AzureWebJobsStorage ?? '';
  if (value === '' || value.trim() === 'UseDevelopmentStorage=true') return DEVELOPMENT_STORAGE;
  return value;
}
