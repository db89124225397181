// The Durable Functions HTTP API under /runtime/webhooks/durabletask/: the RPC endpoint that the
// durable client of `df.getClient(context)` calls (its rpcBaseUrl) and the management links of
// `createCheckStatusResponse`. Status codes follow the extension: 202 accepted/running, 200 done,
// 404 unknown, 410 already finished (never 500 for a Failed instance: the client would reject).
import type { RawRequest, RawResponse } from '../http-server';
import { type DurableEngine, InstanceExistsError } from './engine';
import { EventType, TERMINAL } from './history';
import type { InstanceState } from './store';

export const BASE_PATH = '/runtime/webhooks/durabletask/';

const json = (status: number, body: unknown, headers: Record<string, string> = {}): RawResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

const EVENT_NAMES = Object.fromEntries(Object.entries(EventType).map(([k, v]) => [v, k]));

export function managementUrls(origin: string, hubName: string) {
  const base = `${origin}${BASE_PATH}instances/INSTANCEID`;
  const q = `taskHub=${hubName}&connection=Storage&code=`;
  return {
    id: 'INSTANCEID',
    statusQueryGetUri: `${base}?${q}`,
    sendEventPostUri: `${base}/raiseEvent/{eventName}?${q}`,
    terminatePostUri: `${base}/terminate?reason={text}&${q}`,
    rewindPostUri: `${base}/rewind?reason={text}&${q}`,
    purgeHistoryDeleteUri: `${base}?${q}`,
    restartPostUri: `${base}/restart?${q}`,
    suspendPostUri: `${base}/suspend?reason={text}&${q}`,
    resumePostUri: `${base}/resume?reason={text}&${q}`,
  };
}

/** What a `durableClient` input binding receives. */
export function clientInputData(origin: string, hubName: string) {
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${origin}${BASE_PATH}orchestrators/{functionName}[/{instanceId}]?code=`,
      createAndWaitOnNewInstancePostUri: `${origin}${BASE_PATH}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=`,
    },
    managementUrls: managementUrls(origin, hubName),
    baseUrl: `${origin}${BASE_PATH}`,
    requiredQueryStringParameters: 'code=',
    rpcBaseUrl: `${origin}${BASE_PATH}`,
    httpBaseUrl: `${origin}${BASE_PATH}`,
  };
}

export function managementEndpoint(engine: DurableEngine, hubName: string) {
  return async (req: RawRequest): Promise<RawResponse | undefined> => {
    const path = req.url.pathname;
    if (!path.startsWith(BASE_PATH)) return undefined;
    const rest = path.slice(BASE_PATH.length).split('/').map(decodeURIComponent);
    const q = req.url.searchParams;
    const origin = req.url.origin;
    try {
      if (rest[0] === 'orchestrators' && req.method === 'POST' && rest[1]) {
        const inputJson = jsonBody(req);
        if (inputJson === undefined) return json(400, { message: 'The request body is not valid JSON.' });
        const id = await engine.startNew(rest[1], rest[2] || undefined, inputJson);
        const links = managementUrls(origin, hubName);
        const payload = Object.fromEntries(
          Object.entries(links).map(([k, v]) => [k, v.replace('INSTANCEID', id)]),
        );
        // "Start and wait" (createAndWaitOnNewInstancePostUri): with ?timeout=seconds, answer 200 with
        // the final status when the instance finishes in time, else the usual 202.
        const timeoutSeconds = Number(q.get('timeout') ?? 0);
        if (
          timeoutSeconds > 0 &&
          (await engine.waitForCompletion(id, Math.min(timeoutSeconds, 300) * 1000))
        ) {
          const s = await engine.store.getState(id, false);
          if (s) return json(200, statusPayload(s));
        }
        return json(202, { ...payload, id }, { location: payload.statusQueryGetUri });
      }
      if (rest[0] !== 'instances') return json(404, { message: 'Unknown durable API path.' });
      const id = rest[1] ?? '';
      const action = rest[2];
      if (id === '' && req.method === 'GET') return await listInstances(engine, req);
      if (id === '' && req.method === 'DELETE') return await purgeBy(engine, req);
      if (!action && req.method === 'GET') return await instanceStatus(engine, id, q);
      if (!action && req.method === 'DELETE') {
        const deleted = await engine.purge(id);
        return deleted
          ? json(200, { instancesDeleted: deleted })
          : json(404, { message: 'No such instance.' });
      }
      if (req.method !== 'POST') return json(405, { message: 'Method not allowed.' });
      const reason = q.get('reason') ?? '';
      let outcome: 'accepted' | 'notFound' | 'gone';
      switch (action) {
        case 'raiseEvent': {
          const inputJson = jsonBody(req);
          if (inputJson === undefined) return json(400, { message: 'The event data is not valid JSON.' });
          outcome = await engine.raiseEvent(id, rest[3] ?? '', inputJson);
          break;
        }
        case 'terminate':
          outcome = await engine.terminate(id, reason);
          break;
        case 'suspend':
          outcome = await engine.suspend(id, reason);
          break;
        case 'resume':
          outcome = await engine.resume(id, reason);
          break;
        default:
          return json(501, { message: `"${action}" is not supported by the devhost.` });
      }
      return { accepted: { status: 202 }, notFound: { status: 404 }, gone: { status: 410 } }[outcome];
    } catch (err) {
      if (err instanceof InstanceExistsError) return json(409, { message: err.message });
      if (err instanceof Error && /No orchestrator function/.test(err.message))
        return json(400, { message: err.message });
      throw err;
    }
  };
}

function statusPayload(s: InstanceState) {
  return {
    name: s.name,
    instanceId: s.instanceId,
    runtimeStatus: s.runtimeStatus,
    input: JSON.parse(s.input),
    customStatus: JSON.parse(s.customStatus),
    output: JSON.parse(s.output),
    createdTime: s.createdTime,
    lastUpdatedTime: s.lastUpdatedTime,
  };
}

async function instanceStatus(engine: DurableEngine, id: string, q: URLSearchParams): Promise<RawResponse> {
  const s = await engine.store.getState(id, false);
  if (!s) return json(404, { message: `No instance with ID '${id}'.` });
  const body: Record<string, unknown> = statusPayload(s);
  if (q.get('showInput') === 'false') body.input = null;
  if (q.get('showHistory') === 'true') {
    const withOutput = q.get('showHistoryOutput') === 'true';
    const events = await engine.store.loadHistory(s);
    body.historyEvents = events
      .filter(
        (e) =>
          e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted,
      )
      .map((e) => {
        const { EventType: type, IsPlayed: _played, Result, Input, ...rest } = e;
        const out: Record<string, unknown> = { EventType: EVENT_NAMES[type] ?? type, ...rest };
        if (withOutput && Result !== undefined) out.Result = JSON.parse(String(Result));
        if (withOutput && Input !== undefined) out.Input = JSON.parse(String(Input));
        return out;
      });
  }
  return json(TERMINAL.has(s.runtimeStatus) ? 200 : 202, body);
}

async function listInstances(engine: DurableEngine, req: RawRequest): Promise<RawResponse> {
  const q = req.url.searchParams;
  const token = req.headers['x-ms-continuation-token'];
  const { states, continuationToken } = await engine.store.queryStates({
    createdFrom: q.get('createdTimeFrom') ?? undefined,
    createdTo: q.get('createdTimeTo') ?? undefined,
    statuses: q.get('runtimeStatus')?.split(',').filter(Boolean),
    top: Number(q.get('top') ?? 100) || 100,
    continuationToken: typeof token === 'string' && token !== '' ? token : undefined,
  });
  return json(
    200,
    states.map(statusPayload),
    continuationToken ? { 'x-ms-continuation-token': continuationToken } : {},
  );
}

async function purgeBy(engine: DurableEngine, req: RawRequest): Promise<RawResponse> {
  const q = req.url.searchParams;
  let deleted = 0;
  let continuationToken: string | undefined;
  do {
    const page = await engine.store.queryStates({
      createdFrom: q.get('createdTimeFrom') ?? undefined,
      createdTo: q.get('createdTimeTo') ?? undefined,
      statuses: q.get('runtimeStatus')?.split(',').filter(Boolean),
      continuationToken,
    });
    for (const s of page.states)
      if (TERMINAL.has(s.runtimeStatus)) deleted += await engine.store.deletePartition(s.instanceId);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return deleted > 0 ? json(200, { instancesDeleted: deleted }) : json(404, { instancesDeleted: 0 });
}

/** The body as a JSON string ('null' when empty), or undefined when it is not JSON. */
function jsonBody(req: RawRequest): string | undefined {
  const body = req.body.toString('utf8');
  const text = body.trim() === '' ? 'null' : body;
  try {
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}
