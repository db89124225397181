// GET /api/health (anonymous): is storage reachable, and which version runs. 503 when storage is down.
import { app, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { settings } from '../shared/config';
import { apiRoute } from '../shared/http/api-route';
import { registerOperation } from '../shared/openapi/registry';
import { tableServiceClient } from '../shared/storage/connection';

const STORAGE_TIMEOUT_MS = 3000;

const Health = z
  .object({
    status: z.enum(['healthy', 'unhealthy']),
    version: z.string(),
    storage: z.enum(['reachable', 'unreachable']),
  })
  .meta({ id: 'health' });

registerOperation({
  method: 'get',
  path: '/health',
  summary: 'Is storage reachable, and which version runs',
  tags: ['service'],
  anonymous: true,
  responses: {
    200: { description: 'Healthy', schema: Health },
    503: { description: 'Storage cannot be reached', schema: Health },
  },
});

async function storageReachable(): Promise<boolean> {
  const client = tableServiceClient({ retryOptions: { maxRetries: 0 } });
  try {
    await client.listTables().byPage({ maxPageSize: 1 }).next();
    return true;
  } catch {
    return false;
  }
}

async function health(): Promise<HttpResponseInit> {
  const reachable = await Promise.race([
    storageReachable(),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), STORAGE_TIMEOUT_MS).unref()),
  ]);
  return {
    status: reachable ? 200 : 503,
    jsonBody: {
      status: reachable ? 'healthy' : 'unhealthy',
      version: settings().APP_VERSION,
      storage: reachable ? 'reachable' : 'unreachable',
    },
  };
}

app.http('health', { route: apiRoute('health'), methods: ['GET'], authLevel: 'anonymous', handler: health });
